//! Gridwalk's evidence integrity, shared by the sync server and a checker that needs no
//! database.
//!
//! What a case is made of is hash-chained as it is written: each report's versions form
//! one chain (in version order), its case events another (in the order they happened),
//! and every administrative act one chain for the whole centre. An entry's hash is
//! `SHA-256(prev_hash ‖ canonical bytes of the entry)` ([`chain`]), where `prev_hash` is the
//! lower-case hex hash of the entry before it ([`chain::GENESIS`] for the first) and the
//! canonical bytes are the entry's fields as canonical JSON ([`canonical`]). Changing,
//! removing, inserting or reordering an entry breaks the chain at that entry. A report's
//! current row is sealed over its chains' heads ([`chain::seal`]), so an edit of the row
//! itself, or a chain cut short at its end, shows too.
//!
//! - [`canonical`]: the one byte form of a JSON value that is hashed.
//! - [`chain`]: the entries (a report version, a case event, an administrative act), how
//!   a chain is walked, and the report seal. **The canonical form of every entry is the
//!   serde form of [`chain::Entry`]**: a field added later (a device's signature) is an
//!   `Option` skipped when absent, so entries without it hash as before.
//! - [`package`]: the evidence package of one case (records, photos, the devices'
//!   signatures, the chain proof and a manifest of every file's SHA-256) and its check.
//! - [`signatures`]: how a package shows that each record a tablet made is what it signed.

#![forbid(unsafe_code)]

pub mod canonical;
pub mod chain;
pub mod package;
#[doc(hidden)]
pub mod sample;
pub mod signatures;

/// Why a package could not be read or written (a problem *in* a package is a
/// [`package::Problem`], not an error).
#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not the JSON expected: {source}")]
    Json {
        path: String,
        #[source]
        source: serde_json::Error,
    },
}

impl EvidenceError {
    fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        EvidenceError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// The lower-case hex SHA-256 of some bytes.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex(&Sha256::digest(bytes))
}

/// Lower-case hex.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
