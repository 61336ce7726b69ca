//! The protocol crate's one error type: parsing a value that does not have the required form.

/// A value that does not have the form its type requires.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// An identifier that is not a UUID, or not a version-7 UUID.
    #[error("{what} {value:?} is not a UUIDv7: {reason}")]
    BadId {
        what: &'static str,
        value: String,
        reason: String,
    },
    /// A fixed-width numeric code (cell code, component ID, category code) of the wrong shape.
    #[error("{what} {value:?} must be exactly {digits} digits")]
    BadCode {
        what: &'static str,
        value: String,
        digits: &'static str,
    },
    /// A code table file that does not parse or contradicts itself.
    #[error("code table: {0}")]
    CodeTable(String),
    /// A name that is not one of an enumeration's.
    #[error("{0}")]
    Unknown(String),
}
