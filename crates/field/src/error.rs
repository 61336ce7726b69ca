//! The engine's one error type. Every variant says, in words, what is wrong and what was
//! left unchanged; none of them means data was lost.

use gridwalk_protocol::{ReportId, ValidationErrors};

use crate::photo::PhotoError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("local database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("photo: {0}")]
    Photo(#[from] PhotoError),
    #[error("report {0} does not exist on this device")]
    NoSuchReport(ReportId),
    #[error("report {0} was already submitted and can no longer be changed here")]
    NotADraft(ReportId),
    #[error("photo {0} does not exist on this device")]
    NoSuchPhoto(gridwalk_protocol::PhotoId),
    #[error("the report is not ready to submit: {0}")]
    Invalid(#[from] ValidationErrors),
    #[error("the report is not ready to submit: {0}")]
    Incomplete(String),
    #[error("reference data: {0}")]
    Reference(String),
    #[error("{0} is already open by another Gridwalk process")]
    Locked(String),
    #[error(
        "the local database was written by a newer Gridwalk (schema {found}, this build knows {known}); update the app"
    )]
    SchemaTooNew { found: i64, known: i64 },
}

impl Error {
    pub(crate) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
