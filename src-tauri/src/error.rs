//! The one error type every command returns.

use serde::Serialize;

/// An error as the UI receives it: `kind` to branch on (`invalid`, `not_found`,
/// `not_editable`, `network`, …) and `message` to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error, ts_rs::TS)]
#[error("{message}")]
pub struct CommandError {
    #[ts(type = "string")]
    pub kind: &'static str,
    pub message: String,
    /// For `invalid`: each field and what is wrong with it, for the form to highlight.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[ts(as = "Option<Vec<(String, String)>>", optional)]
    pub fields: Vec<(String, String)>,
    /// The same as messages of the catalogue (`ui/src/shared/messages.ts`), for the form
    /// to say in the inspector's language.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[ts(optional, as = "Option<Vec<gridwalk_protocol::message::FieldMessage>>")]
    pub problems: Vec<gridwalk_protocol::message::FieldMessage>,
    /// The whole error as a message of the catalogue, for the app to say in the
    /// inspector's language (`message` is its English).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional, as = "Option<gridwalk_protocol::message::Message>")]
    pub said: Option<Box<gridwalk_protocol::message::Message>>,
}

impl CommandError {
    #[must_use]
    pub fn new(kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            fields: Vec::new(),
            problems: Vec::new(),
            said: None,
        }
    }
}

impl From<gridwalk_field::Error> for CommandError {
    fn from(e: gridwalk_field::Error) -> Self {
        use gridwalk_field::Error as E;
        let kind = e.kind();
        let (fields, problems) = match &e {
            E::Invalid(v) => (
                v.0.iter()
                    .map(|f| (f.field.clone(), f.problem.english()))
                    .collect(),
                v.0.iter()
                    .map(|f| gridwalk_protocol::message::FieldMessage {
                        field: f.field.clone(),
                        code: f.problem.code.clone(),
                        params: f.problem.params.clone(),
                    })
                    .collect(),
            ),
            _ => (Vec::new(), Vec::new()),
        };
        let said = e.message();
        Self {
            kind,
            message: said.english(),
            fields,
            problems,
            said: Some(Box::new(said)),
        }
    }
}

impl From<std::io::Error> for CommandError {
    fn from(e: std::io::Error) -> Self {
        Self::new("internal", format!("the device's storage: {e}"))
    }
}
