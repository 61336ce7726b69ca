//! The parts of tus 1.0.0 (the resumable upload protocol) that both sides need: header
//! names, the `Upload-Metadata` encoding, and `Upload-Checksum`.
//!
//! How photos travel: the device pushes a report first, then creates one upload per photo
//! (`POST /v1/uploads/` with `Upload-Length` and metadata naming the report and photo,
//! usually with the first bytes in the same request), then appends with `PATCH` from the
//! offset the server holds. After a broken connection it asks that offset again with
//! `HEAD` and goes on from there, so bytes the server has kept are never sent twice.
//! Each `PATCH` may carry a checksum of its own body; the finished photo is always checked
//! against the SHA-256 in its report before it counts as arrived.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// The protocol version spoken.
pub const VERSION: &str = "1.0.0";
/// Extensions the server supports, as `OPTIONS` advertises them.
pub const EXTENSIONS: &str = "creation,creation-with-upload,termination,checksum,expiration";
/// Checksum algorithms accepted in `Upload-Checksum`.
pub const CHECKSUM_ALGORITHMS: &str = "sha1,sha256";
/// The content type of every body that carries upload bytes.
pub const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";
/// The status code for a body whose checksum does not match (defined by the extension).
pub const CHECKSUM_MISMATCH: u16 = 460;

/// Header names (lower case, as HTTP/2 and the `http` crate want them).
pub mod header {
    pub const TUS_RESUMABLE: &str = "tus-resumable";
    pub const TUS_VERSION: &str = "tus-version";
    pub const TUS_EXTENSION: &str = "tus-extension";
    pub const TUS_MAX_SIZE: &str = "tus-max-size";
    pub const TUS_CHECKSUM_ALGORITHM: &str = "tus-checksum-algorithm";
    pub const UPLOAD_LENGTH: &str = "upload-length";
    pub const UPLOAD_OFFSET: &str = "upload-offset";
    pub const UPLOAD_METADATA: &str = "upload-metadata";
    pub const UPLOAD_CHECKSUM: &str = "upload-checksum";
    pub const UPLOAD_EXPIRES: &str = "upload-expires";
    pub const UPLOAD_DEFER_LENGTH: &str = "upload-defer-length";
    pub const X_HTTP_METHOD_OVERRIDE: &str = "x-http-method-override";
}

/// Metadata keys Gridwalk uses: which report and which of its photos an upload carries.
pub mod meta {
    pub const REPORT: &str = "report";
    pub const PHOTO: &str = "photo";
    pub const FILENAME: &str = "filename";
    pub const FILETYPE: &str = "filetype";
}

/// Encodes `Upload-Metadata`: comma-separated `key base64(value)` pairs.
#[must_use]
pub fn encode_metadata<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| {
            if v.is_empty() {
                k.to_owned()
            } else {
                format!("{k} {}", BASE64.encode(v))
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Decodes `Upload-Metadata`. Keys must be unique, non-empty and free of spaces and
/// commas; a key may come without a value. Values are returned as bytes: tus does not
/// promise they are text.
pub fn parse_metadata(header: &str) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut out = BTreeMap::new();
    if header.trim().is_empty() {
        return Ok(out);
    }
    for pair in header.split(',') {
        let pair = pair.trim();
        let (key, value) = pair.split_once(' ').unwrap_or((pair, ""));
        if key.is_empty() || !key.is_ascii() {
            return Err(format!("metadata key {key:?} is not a plain ASCII word"));
        }
        let value = BASE64
            .decode(value.trim())
            .map_err(|e| format!("metadata {key:?} is not base64: {e}"))?;
        if out.insert(key.to_owned(), value).is_some() {
            return Err(format!("metadata key {key:?} is given twice"));
        }
    }
    Ok(out)
}

/// A checksum of one request body, from `Upload-Checksum: <algorithm> <base64 digest>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checksum {
    Sha1(Vec<u8>),
    Sha256(Vec<u8>),
}

/// Why an `Upload-Checksum` header could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChecksumError {
    #[error("checksum algorithm {0:?} is not supported (use sha1 or sha256)")]
    Unsupported(String),
    #[error("Upload-Checksum must be \"<algorithm> <base64 digest>\": {0}")]
    Malformed(String),
}

impl Checksum {
    /// Parses the header value.
    pub fn parse(header: &str) -> Result<Self, ChecksumError> {
        let (algo, digest) = header
            .trim()
            .split_once(' ')
            .ok_or_else(|| ChecksumError::Malformed("no digest".into()))?;
        let digest = BASE64
            .decode(digest.trim())
            .map_err(|e| ChecksumError::Malformed(e.to_string()))?;
        let (checksum, len) = match algo.to_ascii_lowercase().as_str() {
            "sha1" => (Checksum::Sha1(digest), 20),
            "sha256" => (Checksum::Sha256(digest), 32),
            other => return Err(ChecksumError::Unsupported(other.to_owned())),
        };
        if checksum.digest().len() != len {
            return Err(ChecksumError::Malformed(format!(
                "a {algo} digest is {len} bytes, this one is {}",
                checksum.digest().len()
            )));
        }
        Ok(checksum)
    }

    /// The checksum of `body` with `algorithm` (`sha1` or `sha256`).
    #[must_use]
    pub fn sha256_of(body: &[u8]) -> Self {
        Checksum::Sha256(Sha256::digest(body).to_vec())
    }

    /// The header value.
    #[must_use]
    pub fn header(&self) -> String {
        match self {
            Checksum::Sha1(d) => format!("sha1 {}", BASE64.encode(d)),
            Checksum::Sha256(d) => format!("sha256 {}", BASE64.encode(d)),
        }
    }

    fn digest(&self) -> &[u8] {
        match self {
            Checksum::Sha1(d) | Checksum::Sha256(d) => d,
        }
    }

    /// Whether `body` has this checksum.
    #[must_use]
    pub fn matches(&self, body: &[u8]) -> bool {
        let mut d = self.digesting();
        d.update(body);
        self.matched_by(d)
    }

    /// A running digest with this checksum's algorithm, for a body that streams in.
    #[must_use]
    pub fn digesting(&self) -> Digesting {
        match self {
            Checksum::Sha1(_) => Digesting::Sha1(Sha1::new()),
            Checksum::Sha256(_) => Digesting::Sha256(Sha256::new()),
        }
    }

    /// Whether the body fed to `d` (from [`Checksum::digesting`]) has this checksum.
    #[must_use]
    pub fn matched_by(&self, d: Digesting) -> bool {
        match (self, d) {
            (Checksum::Sha1(want), Digesting::Sha1(h)) => h.finalize()[..] == want[..],
            (Checksum::Sha256(want), Digesting::Sha256(h)) => h.finalize()[..] == want[..],
            _ => false,
        }
    }
}

/// A digest being computed over a body as it arrives.
#[derive(Debug, Clone)]
pub enum Digesting {
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Digesting {
    /// Feeds the next bytes of the body.
    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Digesting::Sha1(h) => h.update(bytes),
            Digesting::Sha256(h) => h.update(bytes),
        }
    }
}

/// Parses an `Upload-Offset` or `Upload-Length` value: a non-negative decimal integer.
pub fn parse_size(name: &str, value: &str) -> Result<u64, String> {
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{name} must be a non-negative whole number, not {value:?}"
        ));
    }
    v.parse()
        .map_err(|_| format!("{name} {value:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trips_and_refuses_nonsense() {
        let h = encode_metadata([
            ("report", "0192-abc"),
            ("filename", "照片.jpg"),
            ("flag", ""),
        ]);
        assert_eq!(
            h, "report MDE5Mi1hYmM=,filename 54Wn54mHLmpwZw==,flag",
            "values in base64, empty values bare"
        );
        let m = parse_metadata(&h).expect("parses");
        assert_eq!(m["report"], b"0192-abc");
        assert_eq!(String::from_utf8_lossy(&m["filename"]), "照片.jpg");
        assert_eq!(m["flag"], b"");
        assert!(parse_metadata("").expect("empty").is_empty());
        assert!(parse_metadata("a !!!").is_err(), "not base64");
        assert!(parse_metadata("a YQ==,a Yg==").is_err(), "duplicate key");
        assert!(parse_metadata("a YQ==,,b Yg==").is_err(), "empty key");
    }

    #[test]
    fn checksums_parse_and_verify() {
        // SHA-1 and SHA-256 of "hello", from coreutils.
        let sha1 = Checksum::parse("sha1 qvTGHdzF6KLavt4PO0gs2a6pQ00=").expect("sha1");
        assert!(sha1.matches(b"hello"));
        assert!(!sha1.matches(b"hellO"));
        let sha256 =
            Checksum::parse("sha256 LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=").expect("sha256");
        assert!(sha256.matches(b"hello"));
        assert_eq!(Checksum::sha256_of(b"hello"), sha256);
        assert_eq!(
            Checksum::parse(&sha256.header()).expect("round trip"),
            sha256
        );
        assert_eq!(
            Checksum::parse("md5 XUFAKrxLKna5cZ2REBfFkg=="),
            Err(ChecksumError::Unsupported("md5".into()))
        );
        assert!(matches!(
            Checksum::parse("sha1 aGVsbG8="),
            Err(ChecksumError::Malformed(_))
        ));
        assert!(Checksum::parse("sha1").is_err());
    }

    #[test]
    fn sizes_are_plain_numbers() {
        assert_eq!(parse_size("Upload-Offset", "0"), Ok(0));
        assert_eq!(parse_size("Upload-Offset", " 1234 "), Ok(1234));
        assert!(parse_size("Upload-Offset", "-1").is_err());
        assert!(parse_size("Upload-Offset", "1e3").is_err());
        assert!(parse_size("Upload-Length", "").is_err());
        assert!(parse_size("Upload-Length", "99999999999999999999999").is_err());
    }
}
