//! Signed mutations: how a device vouches for what it sends, and how the centre checks it.
//!
//! Each device makes an Ed25519 key pair when it is first set up; the public key is bound to
//! the device's token at the centre on first use (see the README's Security section). Every
//! mutation is signed once, on the device, when it is made; the signature travels with it
//! and is kept at the centre beside what it produced, so a report's record can later be
//! shown to be exactly what the tablet sent.
//!
//! **The canonical form** ([`signed_bytes`]) is what is signed: the prefix
//! [`SIGNED_PREFIX`] (`gridwalk-mutation/v1` and a newline) followed by the mutation as
//! canonical JSON: its wire form without the `signature` member, objects with their members
//! sorted by name (byte order), no whitespace, strings and numbers as `serde_json` writes
//! them. It therefore covers everything the centre acts on: the mutation's number, device
//! and time, its kind (`op`), the IDs it names, every field of a report or edit, each
//! photo's SHA-256, size and pixel dimensions, and the body-cam clip references. Both sides
//! compute it from the typed value, so it does not depend on how the JSON was spaced or
//! ordered in transit; numbers survive the trip exactly because `serde_json` parses floats
//! with `float_roundtrip`. A new version of the form gets a new prefix.
//!
//! The form is not RFC 8785 (JCS): numbers are spelled as `serde_json` writes them from the
//! typed value (floats in the shortest form that reads back the same, with `.0` on a whole
//! number held as a float, e.g. an accuracy of `5.0`), times as `chrono` writes them (`Z`
//! for UTC, no fraction when there is none). A checker in another language must spell them
//! the same way, or check against the kept form (`signed_mutations.signed`).
//!
//! Keys and signatures travel as standard base64 (32 and 64 bytes).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde_json::Value;

use crate::{Mutation, MutationId};

/// What every signed form starts with: the scheme and its version.
pub const SIGNED_PREFIX: &[u8] = b"gridwalk-mutation/v1\n";

/// The error code of an answer refusing a key other than the one bound to the device.
pub const KEY_MISMATCH: &str = "key_mismatch";

/// Why a mutation's signature does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureProblem {
    #[error("mutation {0} is not signed")]
    Missing(MutationId),
    #[error("mutation {0} has a signature that is not 64 bytes of base64")]
    Malformed(MutationId),
    #[error(
        "mutation {0}: the signature does not match its content and this device's key \
         (changed after it was signed, or signed by another device)"
    )]
    Mismatch(MutationId),
}

/// The bytes a device signs for `m` (see the module docs).
#[must_use]
pub fn signed_bytes(m: &Mutation) -> Vec<u8> {
    let mut value = serde_json::to_value(m)
        .unwrap_or_else(|e| unreachable!("a mutation is plain data and serialises: {e}"));
    if let Value::Object(members) = &mut value {
        members.remove("signature");
    }
    let mut out = SIGNED_PREFIX.to_vec();
    crate::canonical::write(&value, crate::canonical::Nulls::Keep, &mut out);
    out
}

/// A public key as it travels and is stored.
#[must_use]
pub fn encode_public_key(key: &VerifyingKey) -> String {
    B64.encode(key.as_bytes())
}

/// A stored or sent public key, if it is one.
pub fn decode_public_key(text: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = B64.decode(text.trim()).ok()?.try_into().ok()?;
    // A key of small order (all zeros, the identity) verifies signatures no one made:
    // never a device's key.
    VerifyingKey::from_bytes(&bytes)
        .ok()
        .filter(|k| !k.is_weak())
}

/// A short fingerprint of a public key (as it travels), for people to compare by eye: the
/// first 16 hex digits of the SHA-256 of its 32 bytes, in groups of four, e.g.
/// `3f2a 9c01 77be 5d40`. The tablet shows its own in its settings; the evidence checker
/// prints the one that signed. A text that is not a key gets `invalid key`.
#[must_use]
pub fn fingerprint(public_key: &str) -> String {
    use sha2::{Digest, Sha256};
    let Some(key) = decode_public_key(public_key) else {
        return "invalid key".to_owned();
    };
    Sha256::digest(key.as_bytes())[..8]
        .chunks(2)
        .map(|pair| format!("{:02x}{:02x}", pair[0], pair[1]))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The signature of `m` by `key`, as it travels.
#[must_use]
pub fn sign(key: &SigningKey, m: &Mutation) -> String {
    B64.encode(key.sign(&signed_bytes(m)).to_bytes())
}

/// Whether `m` carries a signature by `key` over exactly its content.
pub fn verify(key: &VerifyingKey, m: &Mutation) -> Result<(), SignatureProblem> {
    verify_form(key, m.id, &signed_bytes(m), m.signature.as_deref())
}

/// Whether `signature` is `key`'s over `form` (the canonical form of mutation `id`, as
/// [`signed_bytes`] made it or as it was kept).
pub fn verify_form(
    key: &VerifyingKey,
    id: MutationId,
    form: &[u8],
    signature: Option<&str>,
) -> Result<(), SignatureProblem> {
    let text = signature.ok_or(SignatureProblem::Missing(id))?;
    let bytes: [u8; 64] = B64
        .decode(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(SignatureProblem::Malformed(id))?;
    key.verify_strict(form, &Signature::from_bytes(&bytes))
        .map_err(|_| SignatureProblem::Mismatch(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::report as sample_report;
    use crate::{ClipRef, MutationBody, ReportPatch};

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn a_key_of_small_order_is_no_key() {
        // All zeros and the identity (1, then zeros) decode as curve points but verify
        // forgeries; a real key decodes.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        for weak in [[0u8; 32], identity] {
            assert!(decode_public_key(&B64.encode(weak)).is_none());
        }
        let real = encode_public_key(&key(7).verifying_key());
        assert!(decode_public_key(&real).is_some());
    }

    fn submit() -> Mutation {
        let mut report = sample_report();
        report.clips.push(ClipRef {
            camera_serial: "JMC0001".into(),
            officer_badge: "440703".into(),
            start: report.observed_at,
            end: report.observed_at + chrono::Duration::seconds(30),
            file_name: None,
            md5: None,
            sha256: Some("cd".repeat(32)),
        });
        Mutation {
            id: 7,
            device: report.device,
            created_at: chrono::Utc::now(),
            body: MutationBody::SubmitReport {
                report: Box::new(report),
            },
            signature: None,
        }
    }

    fn with_report(m: &Mutation, change: impl FnOnce(&mut crate::Report)) -> Mutation {
        let mut m = m.clone();
        if let MutationBody::SubmitReport { report } = &mut m.body {
            change(report);
        }
        m
    }

    #[test]
    fn the_form_is_prefixed_sorted_json_without_the_signature() {
        let mut m = submit();
        let unsigned = signed_bytes(&m);
        m.signature = Some(sign(&key(1), &m));
        assert_eq!(signed_bytes(&m), unsigned, "the signature is not signed");
        assert!(unsigned.starts_with(SIGNED_PREFIX));
        let text = std::str::from_utf8(&unsigned[SIGNED_PREFIX.len()..]).expect("utf-8");
        assert!(
            text.starts_with(r#"{"body":{"op":"submit_report","report":{"#),
            "{text}"
        );
        let back: Value = serde_json::from_str(text).expect("the form is JSON");
        assert_eq!(back["id"], 7);
    }

    #[test]
    fn the_form_survives_the_wire() {
        let mut m = submit();
        if let MutationBody::SubmitReport { report } = &mut m.body {
            // Floats whose shortest form needs every digit.
            report.location.lon = 113.063_123_456_789_01;
            report.location.lat = 0.1 + 0.2;
            report.location.accuracy_m = 1.0 / 3.0;
        }
        m.signature = Some(sign(&key(1), &m));
        let wire = serde_json::to_string_pretty(&m).expect("json");
        let back: Mutation = serde_json::from_str(&wire).expect("parses");
        assert_eq!(signed_bytes(&back), signed_bytes(&m));
        assert_eq!(verify(&key(1).verifying_key(), &back), Ok(()));
    }

    #[test]
    fn any_change_changes_the_form_and_breaks_the_signature() {
        let base = submit();
        let changes: Vec<(&str, Mutation)> = vec![
            (
                "number",
                Mutation {
                    id: 8,
                    ..base.clone()
                },
            ),
            (
                "device",
                Mutation {
                    device: crate::DeviceId::new(),
                    ..base.clone()
                },
            ),
            (
                "time",
                Mutation {
                    created_at: base.created_at + chrono::Duration::nanoseconds(1),
                    ..base.clone()
                },
            ),
            (
                "description",
                with_report(&base, |r| r.description.push('!')),
            ),
            (
                "photo sha256",
                with_report(&base, |r| {
                    r.photos[0].sha256 = "0".repeat(64);
                }),
            ),
            ("photo size", with_report(&base, |r| r.photos[0].bytes += 1)),
            (
                "photo width",
                with_report(&base, |r| r.photos[0].width += 1),
            ),
            (
                "clip",
                with_report(&base, |r| {
                    r.clips[0].end += chrono::Duration::seconds(1);
                }),
            ),
            ("position", with_report(&base, |r| r.location.lon += 1e-9)),
            (
                "kind of mutation",
                Mutation {
                    body: MutationBody::EditReport {
                        report: base.body.report_id(),
                        base_version: 1,
                        patch: Box::new(ReportPatch::default()),
                    },
                    ..base.clone()
                },
            ),
        ];
        let signer = key(1);
        let signed = Mutation {
            signature: Some(sign(&signer, &base)),
            ..base.clone()
        };
        assert_eq!(verify(&signer.verifying_key(), &signed), Ok(()));
        for (what, changed) in changes {
            assert_ne!(signed_bytes(&changed), signed_bytes(&base), "{what}");
            let forged = Mutation {
                signature: signed.signature.clone(),
                ..changed
            };
            assert!(
                matches!(
                    verify(&signer.verifying_key(), &forged),
                    Err(SignatureProblem::Mismatch(_))
                ),
                "{what}"
            );
        }
    }

    #[test]
    fn another_key_missing_or_garbled_signatures_fail() {
        let m = submit();
        let by_other = Mutation {
            signature: Some(sign(&key(2), &m)),
            ..m.clone()
        };
        assert_eq!(
            verify(&key(1).verifying_key(), &by_other),
            Err(SignatureProblem::Mismatch(7))
        );
        assert_eq!(
            verify(&key(1).verifying_key(), &m),
            Err(SignatureProblem::Missing(7))
        );
        let garbled = Mutation {
            signature: Some("not base64!".into()),
            ..m
        };
        assert_eq!(
            verify(&key(1).verifying_key(), &garbled),
            Err(SignatureProblem::Malformed(7))
        );
    }

    #[test]
    fn a_fingerprint_is_four_groups_of_the_keys_hash() {
        let k = encode_public_key(&key(1).verifying_key());
        let f = fingerprint(&k);
        assert_eq!(f.len(), 19, "{f}");
        assert_eq!(f.split(' ').count(), 4, "{f}");
        assert_ne!(f, fingerprint(&encode_public_key(&key(2).verifying_key())));
        assert_eq!(fingerprint("junk"), "invalid key");
    }

    #[test]
    fn public_keys_round_trip_and_junk_is_refused() {
        let public = key(3).verifying_key();
        assert_eq!(decode_public_key(&encode_public_key(&public)), Some(public));
        assert_eq!(decode_public_key("AAAA"), None);
        assert_eq!(decode_public_key("not base64"), None);
    }
}
