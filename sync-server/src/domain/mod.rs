//! The centre's rules, as pure functions: no HTTP, no SQL, no clock of their own.
//!
//! Every decision the centre makes is here, each a function from what was loaded to what to
//! write: the store locks and loads what a decision needs, calls the function, and writes
//! its answer in the same transaction; the services call the rest. A new rule goes here,
//! with its unit tests; a storage backend changes only when what is stored changes.
//!
//! - [`model`]: the things the centre keeps (people, devices, reports as held, versions,
//!   uploads, the feed's rows).
//! - [`push`]: a device's batch: what each mutation asks ([`push::decide`]), its order
//!   against what was applied ([`push::sequence`]), and how new reports are received.
//! - [`cases`]: the case loop as a state machine, and the plan of a step ([`cases::plan_step`]).
//! - [`edits`]: how a device's edit settles against the centre's versions.
//! - [`photos`]: what a photo's arrival, or a new version's photo list, does to a report.
//! - [`place`]: the centre's cell and location flags for a report, and the device's claim
//!   kept beside them.
//! - [`conflicts`]: an operator's resolution of a conflict.
//! - [`corrections`]: a team leader's correction of a report at 立案, and what the
//!   inspector is told of it.
//! - [`queue`]: the console's work queues: filters, orders, cursors, and the n-grams
//!   search looks reports up by.
//! - [`map`], [`overview`]: the city map (the queues' filter as points, the grid as GeoJSON)
//!   and the centre's wall screen (today, what is open and overdue, the week's 高发问题).
//! - [`chain`]: what of each stored row is hash-chained, and how the chains are judged.
//! - [`signatures`]: which device key a push is checked against, and its signatures.
//! - [`uploads`]: how many unfinished uploads (and bytes in flight) a device may hold.
//! - [`duplicates`], [`evaluation`], [`feed`], [`access`]: likely duplicates, the 考核
//!   indicators, feed cursors, and who may see and do what.
//! - [`ports`]: reports from the centre's other ports (hotlines, the public, video alerts):
//!   exactly-once filing, who checks them on site, and callbacks.
//! - [`public`]: the public's 随手拍: which account files it, and a stranger's photos checked.
//! - [`teams`]: teams (班组) named after their leaders; [`roster`]: a city's list of people
//!   taken in whole or not at all.
//! - [`enrollment`]: one-time codes a tablet enrolls itself with (the console's QR code).
//! - [`calendar`], [`rules`], [`reference`]: working time, the case rules, and the reference
//!   data (code tables and rules) decisions are made against.

pub mod access;
pub mod calendar;
pub mod cases;
pub mod chain;
pub mod conflicts;
pub mod corrections;
pub mod duplicates;
pub mod edits;
pub mod enrollment;
pub mod evaluation;
pub mod feed;
pub mod map;
pub mod model;
pub mod overview;
pub mod photos;
pub mod place;
pub mod ports;
pub mod public;
pub mod push;
pub mod queue;
pub mod reference;
pub mod roster;
pub mod rules;
pub mod signatures;
pub mod teams;
pub mod uploads;

/// Why a request is not done, as a message for the person who asked (a code with its
/// parameters, said in their language by the console or the tablet).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The request itself is wrong (a field missing, a value it cannot take).
    #[error("{0}")]
    Invalid(gridwalk_protocol::Message),
    /// This person may not do this.
    #[error("{0}")]
    Forbidden(gridwalk_protocol::Message),
    /// What it names does not exist.
    #[error("{0}")]
    NotFound(gridwalk_protocol::Message),
    /// It cannot be done now: someone acted first, or it is out of turn.
    #[error("{0}")]
    Refused(gridwalk_protocol::Message),
}

impl Denied {
    /// A query (a filter, a cursor) that cannot be taken, with what is wrong in English.
    pub fn query(why: impl std::fmt::Display) -> Self {
        Denied::Invalid(gridwalk_protocol::message::msg!(QUERY_INVALID, why = why))
    }
}
