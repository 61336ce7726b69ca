//! The engine's one error type. Every variant says, in words, what is wrong and what was
//! left unchanged; none of them means data was lost.

use gridwalk_protocol::{ReportId, ValidationErrors};

use crate::photo::PhotoError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    // Messages include their cause themselves instead of chaining it as a `source`, so that
    // both `to_string()` (what the app shows) and an error-chain printer say it exactly once.
    #[error("local database: {0}")]
    Db(rusqlite::Error),
    #[error("{path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error(transparent)]
    Photo(#[from] PhotoError),
    #[error("report {0} does not exist on this device")]
    NoSuchReport(ReportId),
    #[error("report {0} was already submitted and can no longer be changed here")]
    NotADraft(ReportId),
    #[error("report {0} cannot be changed: {1}")]
    NotEditable(ReportId, String),
    #[error("photo {0} does not exist on this device")]
    NoSuchPhoto(gridwalk_protocol::PhotoId),
    #[error("task {0} is not open on this device")]
    NoSuchTask(gridwalk_protocol::TaskId),
    #[error(transparent)]
    Invalid(#[from] ValidationErrors),
    #[error("the report is not ready to submit: {0}")]
    Incomplete(String),
    #[error("nobody is signed in on this device")]
    NotSignedIn,
    #[error("the report has no clip number {0}")]
    NoSuchClip(usize),
    #[error("local data is damaged: {0}")]
    Damaged(String),
    #[error(
        "this device has no sync server set up; enter the server address and device token in Settings"
    )]
    SyncNotConfigured,
    #[error(
        "cannot reach the server ({0}); your reports are safe on this device and will be sent automatically"
    )]
    Network(String),
    #[error("the server does not recognise this device; ask your team leader to enroll it again")]
    Unauthorized,
    #[error("the server had a problem ({0}); it will be tried again")]
    Server(String),
    #[error("the server refused the data: {0}")]
    Refused(String),
    /// Sending would expose the device's token: plain HTTP to another machine, an upload
    /// address off the centre, a CA certificate that cannot be read. Nothing was sent.
    #[error("not sent, the connection would not be safe: {0}")]
    Insecure(String),
    #[error(
        "the centre is missing this device's changes from number {expected} on, which this device no longer holds; contact support"
    )]
    MissingAtCentre { expected: u64 },
    /// The centre already applied other work under this device's numbers from `from` on
    /// (this database went back in time: restored from a copy, or a power cut lost its
    /// last writes). The sync round moves the queue to `expected` and sends again; this
    /// reaches the inspector only if the centre keeps asking.
    #[error(
        "the centre already holds other changes under this device's numbers from {from} on; the queue could not be moved to number {expected}; contact support"
    )]
    NumberReused { from: u64, expected: u64 },
    #[error("reference data: {0}")]
    Reference(String),
    /// The device's secret store (the OS keyring, or the private file) failed.
    #[error("the device's secret store ({store}) failed: {cause}")]
    Secrets { store: String, cause: String },
    #[error("{0} is already open by another Gridwalk process")]
    Locked(String),
    #[error(
        "the local database was written by a newer Gridwalk (schema {found}, this build knows {known}); update the app"
    )]
    SchemaTooNew { found: i64, known: i64 },
}

impl Error {
    /// A stable name for the kind of error, for the app to branch on and to say in the
    /// inspector's language: `invalid`, `incomplete`, `not_found`, `not_editable`,
    /// `bad_photo`, `not_signed_in`, `sync_not_configured`, `network`, `unauthorized`,
    /// `server`, `refused`, `insecure`, `missing_at_centre`, `number_reused`, `internal`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Invalid(_) => "invalid",
            Error::Incomplete(_) => "incomplete",
            Error::NoSuchReport(_)
            | Error::NoSuchPhoto(_)
            | Error::NoSuchClip(_)
            | Error::NoSuchTask(_) => "not_found",
            Error::NotADraft(_) | Error::NotEditable(..) => "not_editable",
            Error::Photo(_) => "bad_photo",
            Error::NotSignedIn => "not_signed_in",
            Error::SyncNotConfigured => "sync_not_configured",
            Error::Network(_) => "network",
            Error::Unauthorized => "unauthorized",
            Error::Server(_) => "server",
            Error::Refused(_) => "refused",
            Error::Insecure(_) => "insecure",
            Error::MissingAtCentre { .. } => "missing_at_centre",
            Error::NumberReused { .. } => "number_reused",
            _ => "internal",
        }
    }

    /// Whether trying again later may succeed without anyone doing anything.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(self, Error::Network(_) | Error::Server(_))
    }

    pub(crate) fn io(path: &std::path::Path, cause: std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            cause,
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Db(e)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
