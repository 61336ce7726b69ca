//! Which key a device's push is checked against, and whether its mutations hold.
//!
//! A device's Ed25519 public key is bound to its enrollment on first use: by
//! `POST /v1/device/key` (the app does it when it is enrolled) or by the first push that
//! carries one. From then on every mutation must be signed by that key over its canonical
//! form ([`gridwalk_protocol::signing`]); a push offering another key is refused until the
//! device is enrolled again (which unbinds the key: a reinstalled tablet makes a new one).
//! Keys are required: a device that never offered one can push an empty batch (its
//! backlog) but no mutation. A push is checked whole before anything is applied, so one bad
//! signature stops the batch and names the mutation.

use ed25519_dalek::VerifyingKey;
use gridwalk_protocol::Mutation;
use gridwalk_protocol::signing::{SignatureProblem, decode_public_key, signed_bytes, verify_form};

use super::model::SignedMutation;

/// The key a push is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushKey {
    pub key: VerifyingKey,
    /// As stored (base64).
    pub text: String,
    /// The device had no key yet: bind this one before applying.
    pub bind: bool,
}

/// Why a push's key or signatures are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRefusal {
    #[error(
        "this device has not registered a signing key, and the centre applies only signed \
         changes: update the app, or ask your team leader to enroll the device again"
    )]
    NoKey,
    #[error("the public key offered is not 32 bytes of base64")]
    BadKey,
    #[error(
        "this device's signing key is not the one the centre registered for it (was the app \
         reinstalled?); ask your team leader to enroll the device again"
    )]
    OtherKey,
    #[error(transparent)]
    Signature(#[from] SignatureProblem),
}

/// The key for a push: the one bound to the device, else the one offered (to be bound).
/// `None` for an empty push from a device with no key: there is nothing to check.
pub fn push_key(
    bound: Option<&str>,
    offered: Option<&str>,
    mutations: &[Mutation],
) -> Result<Option<PushKey>, KeyRefusal> {
    let (text, bind) = match (bound, offered) {
        (Some(b), Some(o)) if b != o.trim() => return Err(KeyRefusal::OtherKey),
        (Some(b), _) => (b, false),
        (None, Some(o)) => (o.trim(), true),
        (None, None) if mutations.is_empty() => return Ok(None),
        (None, None) => return Err(KeyRefusal::NoKey),
    };
    let key = decode_public_key(text).ok_or(KeyRefusal::BadKey)?;
    Ok(Some(PushKey {
        key,
        text: text.to_owned(),
        bind,
    }))
}

/// Checks every mutation's signature against `key`; the first that does not hold is
/// named. What the centre keeps of each signature comes back, in order.
pub fn check_all(key: &PushKey, mutations: &[Mutation]) -> Result<Vec<SignedMutation>, KeyRefusal> {
    mutations
        .iter()
        .map(|m| {
            let form = signed_bytes(m);
            verify_form(&key.key, m.id, &form, m.signature.as_deref())?;
            Ok(SignedMutation {
                id: m.id,
                public_key: key.text.clone(),
                signature: m.signature.clone().unwrap_or_default(),
                // The form is ASCII prefix + JSON: UTF-8 throughout.
                form: String::from_utf8_lossy(&form).into_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use gridwalk_protocol::signing::{encode_public_key, sign};
    use gridwalk_protocol::{DeviceId, MutationBody};

    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn public(seed: u8) -> String {
        encode_public_key(&key(seed).verifying_key())
    }

    fn signed(id: u64, by: u8) -> Mutation {
        let mut m = Mutation {
            id,
            device: DeviceId::new(),
            created_at: chrono::Utc::now(),
            body: MutationBody::SubmitReport {
                report: Box::new(gridwalk_protocol::testing::report()),
            },
            signature: None,
        };
        m.signature = Some(sign(&key(by), &m));
        m
    }

    #[test]
    fn the_bound_key_wins_and_a_first_key_is_bound() {
        let ms = [signed(1, 1)];
        let k = push_key(Some(public(1).as_str()), None, &ms)
            .expect("bound")
            .expect("a key");
        assert!(!k.bind);
        let k = push_key(Some(public(1).as_str()), Some(public(1).as_str()), &ms)
            .expect("the same")
            .expect("a key");
        assert!(!k.bind);
        let k = push_key(None, Some(public(1).as_str()), &ms)
            .expect("first use")
            .expect("a key");
        assert!(k.bind);
        assert_eq!(k.text, public(1));
    }

    #[test]
    fn another_key_no_key_or_junk_is_refused() {
        let ms = [signed(1, 1)];
        assert_eq!(
            push_key(Some(public(1).as_str()), Some(public(2).as_str()), &ms),
            Err(KeyRefusal::OtherKey)
        );
        assert_eq!(push_key(None, None, &ms), Err(KeyRefusal::NoKey));
        assert_eq!(
            push_key(None, None, &[]),
            Ok(None),
            "an empty push needs none"
        );
        assert_eq!(push_key(None, Some("abc"), &ms), Err(KeyRefusal::BadKey));
    }

    #[test]
    fn every_signature_is_checked_and_the_bad_one_named() {
        let k = push_key(Some(public(1).as_str()), None, &[])
            .expect("key")
            .expect("key");
        let kept = check_all(&k, &[signed(1, 1), signed(2, 1)]).expect("both hold");
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[1].id, 2);
        assert_eq!(kept[1].public_key, public(1));
        assert!(kept[1].form.starts_with("gridwalk-mutation/v1\n{"));
        assert_eq!(
            check_all(&k, &[signed(1, 1), signed(2, 2)]),
            Err(KeyRefusal::Signature(SignatureProblem::Mismatch(2)))
        );
        let mut unsigned = signed(3, 1);
        unsigned.signature = None;
        assert_eq!(
            check_all(&k, &[unsigned]),
            Err(KeyRefusal::Signature(SignatureProblem::Missing(3)))
        );
    }
}
