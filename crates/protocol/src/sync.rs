//! The push exchange between a device and the centre.
//!
//! A device sends its outbox in order. The centre keeps, per device, the number of the last
//! mutation it applied, in the same transaction as the change itself; so a mutation sent
//! twice (the answer was lost on a bad network) is recognised and answered exactly as the
//! first time, and a batch that skips a number is refused whole, naming the number expected.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::message::Message;
use crate::{CellCode, DeviceId, Mutation, MutationId, PhotoId, UserId};

/// What is still waiting on the device, reported on every sync so team leaders can see
/// whose work has not arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QueueStats {
    pub reports: u64,
    pub photos: u64,
    pub bytes: u64,
}

/// `POST /v1/push`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushRequest {
    pub device: DeviceId,
    pub app_version: String,
    /// The device's maker and model ("HUAWEI BAH3-W09"), when its platform says, so the
    /// device board names it; absent from older apps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_model: Option<String>,
    pub queue: QueueStats,
    /// Consecutive mutations, oldest first.
    pub mutations: Vec<Mutation>,
    /// The device's Ed25519 public key (base64): bound to the device's token by the first
    /// push that carries it (or by `POST /v1/device/key`); the signatures are checked
    /// against the key bound.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<String>,
}

/// `POST /v1/device/key`: binds the device's signing key to its token (once per
/// enrollment: a different key is refused until the device is enrolled again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceKey {
    /// Ed25519 public key, standard base64 of its 32 bytes.
    pub public_key: String,
}

/// What became of one mutation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Outcome {
    /// Written as sent.
    Applied,
    /// Combined with changes made centrally, field by field.
    Merged,
    /// The same field changed differently on both sides: an operator decides.
    Conflict { conflict: String },
    /// Not applied, for this reason; the device should show it. `reason` is in English
    /// (for logs and older engines); `message` is the same as a code with its parameters,
    /// for the tablet to say in the inspector's language (absent from older centres).
    Rejected {
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<Message>,
    },
}

impl Outcome {
    /// A refusal, in English and as its code.
    #[must_use]
    pub fn rejected(message: Message) -> Self {
        Outcome::Rejected {
            reason: message.english(),
            message: Some(message),
        }
    }

    /// Why it was refused, as a message (the words themselves from an older centre).
    #[must_use]
    pub fn refusal(&self) -> Option<Message> {
        match self {
            Outcome::Rejected {
                message: Some(m), ..
            } => Some(m.clone()),
            Outcome::Rejected { reason, .. } => Some(Message::verbatim(reason)),
            _ => None,
        }
    }
}

/// The answer for one mutation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MutationResult {
    pub id: MutationId,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The answer to a push: one result per mutation sent, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PushResponse {
    /// The highest mutation number the centre has applied for this device.
    pub last_applied: MutationId,
    pub results: Vec<MutationResult>,
}

/// Whether the centre still needs a photo a device holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PhotoNeed {
    /// Its report is here and the bytes are not: send them.
    Needed,
    /// Bytes with its SHA-256 are held: do not send them again.
    Arrived,
    /// No report from this device lists it (push the report first).
    Unknown,
}

/// `POST /v1/photos/needed`: which of these photos should the device upload?
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoNeedsRequest {
    pub photos: Vec<PhotoId>,
}

/// What the centre says of one photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoNeedAnswer {
    pub photo: PhotoId,
    pub need: PhotoNeed,
}

/// The answer: one entry per photo asked about, in the same order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoNeedsResponse {
    pub photos: Vec<PhotoNeedAnswer>,
}

/// Who a device token belongs to (`GET /v1/me`). The app signs its inspector in with this
/// once, with signal, when the device is set up; from then on it works offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    pub device: DeviceId,
    pub user: UserId,
    pub login: String,
    /// The name colleagues know them by (e.g. 李晓明).
    pub name: String,
    pub team: Option<String>,
    /// The 单元网格 they are responsible for.
    pub cells: Vec<CellCode>,
    /// Their 6-character badge number (警号), for body-cam clip references.
    pub badge: Option<String>,
    /// The body-worn camera issued to them, if the centre knows it.
    pub camera_serial: Option<String>,
}

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// A stable machine-readable kind, e.g. `gap`, `unauthorized`, `bad_request`: what a
    /// client does about it.
    pub error: String,
    /// What is wrong, in English (for logs and people reading the API).
    pub message: String,
    /// What is wrong as a code of the message catalogue ([`crate::message`]), for a front
    /// end to say in its user's language; empty from older centres.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub code: String,
    /// The values the code's sentence names.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[cfg_attr(feature = "ts", ts(optional, as = "Option<BTreeMap<String, String>>"))]
    pub params: BTreeMap<String, String>,
    /// For a refused form or record: each field's problem as a code, to be said in the
    /// user's language (the sentence's `{problems}` in `params` says them in English).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(
        feature = "ts",
        ts(optional, as = "Option<Vec<crate::message::FieldMessage>>")
    )]
    pub fields: Vec<crate::message::FieldMessage>,
    /// The message the code's sentence passes on as `{reason}` ("nothing was merged:
    /// <why>").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub cause: Option<Box<Message>>,
    /// For `gap` and `number_reused`: the mutation number the centre expects next.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expected: Option<MutationId>,
    /// For `number_reused`: the first number of the push that the centre already applied
    /// with other content. The device renumbers its queue from there to `expected` and
    /// sends again ([`NUMBER_REUSED`]).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reused: Option<MutationId>,
}

/// The error code of a push whose mutation numbers the centre already applied with other
/// content: the device's database was restored from a copy, or lost its last writes (a
/// power cut), and it numbered new work again from where the copy stopped. Answering those
/// from the record would tell the device its new work had arrived and it would delete it;
/// instead the whole push is refused, nothing applied, and the device moves its queue to
/// the numbers the centre expects.
pub const NUMBER_REUSED: &str = "number_reused";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_have_flat_wire_form() {
        let r = MutationResult {
            id: 7,
            outcome: Outcome::Rejected {
                reason: "category: unknown".into(),
                message: None,
            },
        };
        assert_eq!(
            serde_json::to_string(&r).expect("json"),
            r#"{"id":7,"outcome":"rejected","reason":"category: unknown"}"#
        );
        let back: MutationResult =
            serde_json::from_str(r#"{"id":8,"outcome":"applied"}"#).expect("parses");
        assert_eq!(back.outcome, Outcome::Applied);
    }
}
