//! The device's signing key and the signed outbox.
//!
//! The key is an Ed25519 key pair made on the tablet the first time it is needed (at
//! enrollment, or when a report is queued before the device was enrolled), kept in the
//! device's secret store ([`crate::secrets`]), never in the database. Its public half goes
//! to the centre with the device token: [`Engine::enroll`] registers it at once, and every
//! push carries it too, so the centre binds it to the token on first use.
//!
//! Every mutation is signed when it enters the outbox, in the same transaction
//! ([`enqueue`]): the row keeps the signature, so a retry sends exactly what was signed
//! then. What is signed is [`gridwalk_protocol::signing::signed_bytes`].

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use ed25519_dalek::SigningKey;
use gridwalk_protocol::{Mutation, MutationBody, MutationId, ReportId, signing};
use rand::RngCore;
use rusqlite::{Transaction, params};

use crate::engine::{Engine, to_json};
use crate::error::{Error, Result};
use crate::secrets::name;

impl Engine {
    /// The device's signing key: read from the secret store, or made and kept there.
    pub(crate) fn signing_key(&self) -> Result<SigningKey> {
        let mut cached = self
            .signer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(key) = cached.as_ref() {
            return Ok(key.clone());
        }
        let key = match self.secrets.get(name::SIGNING_KEY)? {
            Some(text) => {
                let seed: [u8; 32] = B64
                    .decode(text.trim())
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| {
                        Error::Damaged("the stored signing key is not 32 bytes".into())
                    })?;
                SigningKey::from_bytes(&seed)
            }
            None => {
                let mut seed = [0u8; 32];
                rand::rng().fill_bytes(&mut seed);
                self.secrets.set(name::SIGNING_KEY, &B64.encode(seed))?;
                SigningKey::from_bytes(&seed)
            }
        };
        *cached = Some(key.clone());
        Ok(key)
    }

    /// The device's public key, as the centre registers it (base64).
    pub fn public_key(&self) -> Result<String> {
        Ok(signing::encode_public_key(
            &self.signing_key()?.verifying_key(),
        ))
    }

    /// Signs `m` with this device's key (the support CLI and tests that build mutations by
    /// hand; the outbox signs its own).
    pub fn sign(&self, m: &mut Mutation) -> Result<()> {
        m.signature = Some(signing::sign(&self.signing_key()?, m));
        Ok(())
    }
}

/// Appends a mutation to the outbox in `tx`, signed by `key`; returns its number.
#[allow(clippy::too_many_arguments)]
pub(crate) fn enqueue(
    tx: &Transaction<'_>,
    key: &SigningKey,
    device: gridwalk_protocol::DeviceId,
    report: ReportId,
    report_version: i64,
    priority: bool,
    body: &MutationBody,
    now: DateTime<Utc>,
) -> Result<MutationId> {
    tx.execute(
        "INSERT INTO outbox (report_id, report_version, priority, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            report.to_string(),
            report_version,
            priority,
            to_json(body),
            now
        ],
    )?;
    let id = u64::try_from(tx.last_insert_rowid())
        .map_err(|_| Error::Damaged("negative mutation number".into()))?;
    let signed = Mutation {
        id,
        device,
        created_at: now,
        body: body.clone(),
        signature: None,
    };
    tx.execute(
        "UPDATE outbox SET signature = ?2 WHERE mutation_id = ?1",
        params![id, signing::sign(key, &signed)],
    )?;
    Ok(id)
}
