//! Wire types shared by the field engine (on the tablet) and the sync server (at the centre).
//!
//! Every record that crosses the wire is defined once, here. The types carry their own
//! invariants: an ID is always a UUIDv7, a cell code is always 15 digits, a category is
//! always a (kind, code, table version) triple. What cannot be checked by the type alone —
//! whether a code exists in the code table, whether a clip ends after it starts, whether a
//! timestamp lies in the future — is checked by [`validate::validate_report`], which names
//! every field that is wrong and says what is wrong with it.

#![forbid(unsafe_code)]

pub mod canonical;
pub mod codes;
pub mod component;
pub mod console;
pub mod edit;
pub mod enrollment;
pub mod error;
pub mod feed;
pub mod ids;
pub mod intake;
pub mod map;
pub mod message;
pub mod mutation;
pub mod report;
pub mod signing;
pub mod sync;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tus;
#[cfg(feature = "ts")]
pub mod typescript;
pub mod validate;

pub use codes::{Category, CategoryCode, CodeTable, Kind};
pub use component::ComponentInfo;
pub use edit::{FieldConflict, ReportPatch};
pub use error::Error;
pub use feed::{CaseState, CentralReport, Change, ChangesPage, TaskChange};
pub use ids::{DeviceId, PhotoId, ReportId, TaskId, UserId};
pub use message::Message;
pub use mutation::{Mutation, MutationBody, MutationId, Version};
pub use report::{
    CellCode, ClipRef, ComponentId, Crs, Location, LocationFlag, LocationProvider, PhotoRef,
    PhotoStage, Report, Urgency,
};
pub use sync::{
    ApiError, DeviceKey, MutationResult, Outcome, PhotoNeed, PhotoNeedAnswer, PhotoNeedsRequest,
    PhotoNeedsResponse, Profile, PushRequest, PushResponse, QueueStats,
};
pub use validate::{
    FieldError, PushRefusal, ValidationErrors, is_camera_serial, validate_after_photos,
    validate_clip, validate_location, validate_patch_times, validate_push, validate_report,
    validate_times,
};
