//! The engine's one error type. Every variant says, in words, what is wrong and what was
//! left unchanged; none of them means data was lost.

use std::fmt;

use gridwalk_protocol::message::{Message, code, msg};
use gridwalk_protocol::{ReportId, ValidationErrors};

use crate::photo::PhotoError;

/// What went wrong. Each variant is said as a coded [`Message`] ([`Error::message`]): the
/// app says it in the inspector's language from the catalogue, and its English sentence is
/// this error's `Display` (the logs, the support CLI).
#[derive(Debug)]
pub enum Error {
    Db(rusqlite::Error),
    Io {
        path: String,
        cause: std::io::Error,
    },
    Photo(PhotoError),
    NoSuchReport(ReportId),
    NotADraft(ReportId),
    /// The report and why it cannot change.
    NotEditable(ReportId, Message),
    NoSuchPhoto(gridwalk_protocol::PhotoId),
    NoSuchTask(gridwalk_protocol::TaskId),
    Invalid(ValidationErrors),
    /// What the report or the task still needs, as a whole sentence.
    Incomplete(Message),
    NotSignedIn,
    /// Signing out (or signing someone else in) while work of the signed-in inspector has
    /// not reached the centre: refused, so that work is never stranded on the device.
    Unsent {
        reports: u64,
        photos: u64,
    },
    /// A photo would leave less than `keep` bytes free (`free` now): refused before anything
    /// was written.
    NoRoom {
        free: u64,
        keep: u64,
    },
    /// A file offered as the offline basemap that is not one this app reads: why, in
    /// words. Nothing was installed.
    BasemapInvalid(String),
    /// The basemap of `size` bytes would leave less than `keep` free (`free` now).
    BasemapNoRoom {
        size: u64,
        free: u64,
        keep: u64,
    },
    NoSuchClip(usize),
    Damaged(String),
    SyncNotConfigured,
    /// Why the centre could not be reached.
    Network(Message),
    Unauthorized,
    Server(String),
    /// What the server (or, for settings it would refuse, the engine) said.
    Refused(Message),
    /// A component (部件) could not be taken for a report: the picture holds no QR code,
    /// the code holds no component ID, or this device does not hold that component; the
    /// message says which. Nothing changed.
    Component(Message),
    /// Sending would expose the device's token: plain HTTP to another machine, an upload
    /// address off the centre, a CA certificate that cannot be read. Nothing was sent.
    Insecure(Message),
    MissingAtCentre {
        expected: u64,
    },
    /// The centre already applied other work under this device's numbers from `from` on
    /// (this database went back in time: restored from a copy, or a power cut lost its
    /// last writes). The sync round moves the queue to `expected` and sends again; this
    /// reaches the inspector only if the centre keeps asking.
    NumberReused {
        from: u64,
        expected: u64,
    },
    Reference(String),
    /// The device's secret store (the OS keyring, or the private file) failed.
    Secrets {
        store: String,
        cause: String,
    },
    Locked(String),
    SchemaTooNew {
        found: i64,
        known: i64,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message().english())
    }
}

// Messages include their cause themselves instead of chaining it as a `source`, so that
// both `to_string()` and an error-chain printer say it exactly once.
impl std::error::Error for Error {}

impl From<PhotoError> for Error {
    fn from(e: PhotoError) -> Self {
        Error::Photo(e)
    }
}

impl From<ValidationErrors> for Error {
    fn from(e: ValidationErrors) -> Self {
        Error::Invalid(e)
    }
}

impl Error {
    /// A stable name for the kind of error, for the app to branch on and to say in the
    /// inspector's language: `invalid`, `incomplete`, `not_found`, `not_editable`,
    /// `bad_photo`, `not_signed_in`, `unsent`, `no_room`, `sync_not_configured`, `network`,
    /// `unauthorized`, `server`, `refused`, `component`, `insecure`, `missing_at_centre`,
    /// `number_reused`, `internal`.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Invalid(_) | Error::BasemapInvalid(_) => "invalid",
            Error::Incomplete(_) => "incomplete",
            Error::NoSuchReport(_)
            | Error::NoSuchPhoto(_)
            | Error::NoSuchClip(_)
            | Error::NoSuchTask(_) => "not_found",
            Error::NotADraft(_) | Error::NotEditable(..) => "not_editable",
            Error::Photo(_) => "bad_photo",
            Error::NotSignedIn => "not_signed_in",
            Error::Unsent { .. } => "unsent",
            Error::NoRoom { .. } | Error::BasemapNoRoom { .. } => "no_room",
            Error::SyncNotConfigured => "sync_not_configured",
            Error::Network(_) => "network",
            Error::Unauthorized => "unauthorized",
            Error::Server(_) => "server",
            Error::Refused(_) => "refused",
            Error::Component(_) => "component",
            Error::Insecure(_) => "insecure",
            Error::MissingAtCentre { .. } => "missing_at_centre",
            Error::NumberReused { .. } => "number_reused",
            _ => "internal",
        }
    }

    /// What went wrong as a code of the message catalogue with its parameters.
    #[must_use]
    pub fn message(&self) -> Message {
        match self {
            Error::Db(e) => msg!(DEVICE_DATABASE, detail = e),
            Error::Io { path, cause } => msg!(DEVICE_STORAGE, path = path, detail = cause),
            Error::Photo(p) => p.message(),
            Error::NoSuchReport(id) => msg!(DEVICE_NO_REPORT, id = id),
            Error::NotADraft(id) => msg!(DEVICE_NOT_A_DRAFT, id = id),
            Error::NotEditable(id, why) => msg!(DEVICE_NOT_EDITABLE, id = id).because(why.clone()),
            Error::NoSuchPhoto(id) => msg!(DEVICE_NO_PHOTO, id = id),
            Error::NoSuchTask(id) => msg!(DEVICE_NO_TASK, id = id),
            Error::Invalid(v) => v.as_message(code::DEVICE_INVALID),
            Error::Incomplete(m) => m.clone(),
            Error::NotSignedIn => msg!(DEVICE_NOT_SIGNED_IN),
            Error::Unsent { reports, photos } => {
                msg!(DEVICE_UNSENT_WORK, reports = reports, photos = photos)
            }
            Error::NoRoom { free, keep } => msg!(
                DEVICE_NO_ROOM,
                free = crate::storage::human_bytes(*free),
                keep = crate::storage::human_bytes(*keep)
            ),
            Error::BasemapInvalid(detail) => msg!(DEVICE_BASEMAP_INVALID, detail = detail),
            Error::BasemapNoRoom { size, free, keep } => msg!(
                DEVICE_BASEMAP_NO_ROOM,
                size = crate::storage::human_bytes(*size),
                free = crate::storage::human_bytes(*free),
                keep = crate::storage::human_bytes(*keep)
            ),
            Error::NoSuchClip(n) => msg!(DEVICE_NO_CLIP, n = n),
            Error::Damaged(detail) => msg!(DEVICE_DAMAGED, detail = detail),
            Error::SyncNotConfigured => msg!(DEVICE_SYNC_NOT_CONFIGURED),
            Error::Network(why) => msg!(DEVICE_NETWORK).because(why.clone()),
            Error::Unauthorized => msg!(DEVICE_UNAUTHORIZED),
            Error::Server(detail) => msg!(DEVICE_SERVER, detail = detail),
            Error::Refused(why) => msg!(DEVICE_REFUSED).because(why.clone()),
            Error::Component(why) => why.clone(),
            Error::Insecure(why) => msg!(DEVICE_INSECURE).because(why.clone()),
            Error::MissingAtCentre { expected } => {
                msg!(DEVICE_MISSING_AT_CENTRE, expected = expected)
            }
            Error::NumberReused { from, expected } => {
                msg!(DEVICE_NUMBER_REUSED, from = from, expected = expected)
            }
            Error::Reference(detail) => msg!(DEVICE_REFERENCE, detail = detail),
            Error::Secrets { store, cause } => msg!(DEVICE_SECRETS, store = store, detail = cause),
            Error::Locked(path) => msg!(DEVICE_LOCKED, path = path),
            Error::SchemaTooNew { found, known } => {
                msg!(DEVICE_SCHEMA_NEWER, found = found, known = known)
            }
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
