//! Enrolling a tablet with a one-time code (`POST /v1/enroll`), and the QR code's payload.
//!
//! An administrator or team leader makes a code for one inspector in the console (or with
//! `gridwalk-sync admin enrollment-code`); the console shows it as a QR code and as text.
//! The tablet scans (or the inspector types) it and redeems it once, before it expires,
//! for its own device token: no token is ever typed or handed over.
//!
//! A code is [`CODE_CHARS`] characters of Crockford's base32 (100 random bits), shown in
//! groups of four (`7K3M-Q9TD-…`). Reading it back forgives what people and cameras get
//! wrong: case, spaces and dashes, `O` for `0`, `I` and `L` for `1` ([`normalise_code`]).
//!
//! The QR code holds `gridwalk://enroll?server=<the centre's address, percent-encoded>&code=<code>`
//! ([`payload`], [`parse_payload`]): a URI, so a phone's own scanner shows what it is,
//! with the address the tablet should reach the centre at (which may differ from the one
//! the console's browser uses).

use serde::{Deserialize, Serialize};

use crate::{DeviceId, Profile};

/// How many characters a code has.
pub const CODE_CHARS: usize = 20;
/// Crockford's base32: digits and capitals without I, L, O and U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// How many random bytes make one code (the last four bits are not used).
pub const CODE_BYTES: usize = 13;
/// The payload's scheme and path.
const PREFIX: &str = "gridwalk://enroll?";

/// `POST /v1/enroll`: a tablet redeems a one-time code for its device token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EnrollRequest {
    /// The code, as scanned or typed (case, spaces and dashes do not matter).
    pub code: String,
    /// The device enrolling itself.
    pub device: DeviceId,
    /// The device's Ed25519 public key, standard base64 of its 32 bytes: bound to the
    /// enrollment at once.
    pub public_key: String,
}

/// What a redeemed code gives the tablet: its token (shown once) and whom it is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enrolled {
    pub token: String,
    pub profile: Profile,
}

/// The console asks for a one-time code for an inspector.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CodeRequest {
    /// The inspector's login.
    pub login: String,
    /// The centre's address as the tablet reaches it (put in the QR code).
    pub server: String,
    /// How long the code lasts, in minutes (15 unless given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub minutes: Option<u32>,
}

/// A one-time code, shown once: as text to type, and as a QR code to scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EnrollmentCode {
    /// The code, in groups of four.
    pub code: String,
    pub login: String,
    pub name: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// What the QR code says ([`payload`]).
    pub payload: String,
    /// The QR code as an SVG document.
    pub svg: String,
}

/// The code made from `random` (its first 100 bits), in groups of four.
#[must_use]
pub fn code_from(random: [u8; CODE_BYTES]) -> String {
    let mut bits = 0u32;
    let mut held = 0u32;
    let mut chars = Vec::with_capacity(CODE_CHARS);
    for byte in random {
        bits = (bits << 8) | u32::from(byte);
        held += 8;
        while held >= 5 && chars.len() < CODE_CHARS {
            held -= 5;
            chars.push(ALPHABET[((bits >> held) & 31) as usize]);
        }
        bits &= (1 << held) - 1;
    }
    chars
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// The code in its one stored form (capitals, no separators), or `None` if `typed` is not
/// a code.
#[must_use]
pub fn normalise_code(typed: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_CHARS);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            ' ' | '-' | '\t' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        out.push(c);
    }
    (out.len() == CODE_CHARS).then_some(out)
}

/// The QR code's text for a code and the address the tablet reaches the centre at.
#[must_use]
pub fn payload(server: &str, code: &str) -> String {
    format!(
        "{PREFIX}server={}&code={}",
        percent_encode(server.trim()),
        percent_encode(code)
    )
}

/// The server's address and the code a QR code's text carries, if it is an enrollment
/// payload.
#[must_use]
pub fn parse_payload(text: &str) -> Option<(String, String)> {
    let query = text.trim().strip_prefix(PREFIX)?;
    let (mut server, mut code) = (None, None);
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=')?;
        match key {
            "server" => server = Some(percent_decode(value)?),
            "code" => code = Some(percent_decode(value)?),
            _ => {}
        }
    }
    Some((server?, code?))
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_has_twenty_characters_in_groups_and_reads_back_forgivingly() {
        let code = code_from([0xff; CODE_BYTES]);
        assert_eq!(code, "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ");
        let code = code_from([0; CODE_BYTES]);
        assert_eq!(code, "0000-0000-0000-0000-0000");
        let code = code_from([
            0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22, 0x33, 0x44, 0x55,
        ]);
        let plain = normalise_code(&code).expect("a code made here reads back");
        assert_eq!(plain.len(), CODE_CHARS);
        assert_eq!(normalise_code(&code.to_lowercase()), Some(plain.clone()));
        assert_eq!(
            normalise_code("oooo iiii llll 0000 1111"),
            Some("00001111111100001111".into())
        );
        assert_eq!(normalise_code("ABCD"), None, "too short");
        assert_eq!(
            normalise_code("ABCD-EFGH-JKMN-PQRS-TVWU"),
            None,
            "U is not used"
        );
        assert_eq!(
            normalise_code("ABCD-EFGH-JKMN-PQRS-TVWXY"),
            None,
            "too long"
        );
    }

    #[test]
    fn the_payload_round_trips_and_nothing_else_is_one() {
        let text = payload("https://centre.example:8443/gw", "7K3M-Q9TD-0000-1111-ZZZZ");
        assert_eq!(
            text,
            "gridwalk://enroll?server=https%3A%2F%2Fcentre.example%3A8443%2Fgw&code=7K3M-Q9TD-0000-1111-ZZZZ"
        );
        assert_eq!(
            parse_payload(&text),
            Some((
                "https://centre.example:8443/gw".into(),
                "7K3M-Q9TD-0000-1111-ZZZZ".into()
            ))
        );
        assert_eq!(parse_payload("https://example.com/?code=1"), None);
        assert_eq!(parse_payload("gridwalk://enroll?server=x"), None);
        assert_eq!(parse_payload("gridwalk://enroll?server=%ZZ&code=1"), None);
    }
}
