//! Messages: what the centre (or the engine) says to a person, as a stable code and its
//! parameters, never as finished words.
//!
//! A refusal, an error answer or a note that reaches the tablet is a [`Message`]: a code
//! from the [`CATALOGUE`] (`case.stale`, `intake.reporter_mismatch`, …) and the values its
//! sentence needs (`{"report": "20261102-0007"}`). The people who read them work in Chinese;
//! the logs, the command line and the API's `message` field are in English. So each side
//! renders a message in its own language from its own catalogue:
//!
//! - the English sentence of every code lives here, once ([`Message::english`]), and gives
//!   the server's log lines and the `message` of every error answer;
//! - the console and the tablet render the code from their catalogues (zh-CN first,
//!   English second): `ui/src/shared/messages.ts` is generated from [`CATALOGUE`] (the codes,
//!   their parameters and the English sentences) and `ui/src/shared/messages.zh.ts` holds
//!   the Chinese ones; a test there walks every code and fails on a missing or mismatched
//!   translation.
//!
//! A code is a promise: clients branch on it and translations hang on it, so a code keeps
//! its meaning and its parameters once released (a new meaning gets a new code). The
//! parameters are named in the sentence (`{report}`), and [`Message::english`] is checked
//! in tests to be given exactly those.
//!
//! Codes are written with [`msg!`], which takes the code's constant name, so a mistyped
//! code does not compile: `msg!(NO_REPORT, id = report)`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A sentence as a code and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Message {
    /// One of the catalogue's codes (`case.stale`).
    pub code: String,
    /// The values the sentence names, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
    /// For a refused form or record: what is wrong with each field, one message each (the
    /// sentence's `{problems}` says them all in English).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldMessage>,
    /// The message this one passes on (its sentence says it as `{reason}`): "your change
    /// was not accepted: <why the centre refused it>".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub cause: Option<Box<Message>>,
}

/// What is wrong with one field: the field's path (`photos[1].sha256`) and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FieldMessage {
    pub field: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub params: BTreeMap<String, String>,
}

impl Message {
    /// A message with no parameters yet. Use [`msg!`] to write one.
    #[must_use]
    pub fn new(code: &str) -> Self {
        Self {
            code: code.to_owned(),
            params: BTreeMap::new(),
            fields: Vec::new(),
            cause: None,
        }
    }

    /// The message with one more parameter.
    #[must_use]
    pub fn with(mut self, name: &str, value: impl fmt::Display) -> Self {
        self.params.insert(name.to_owned(), value.to_string());
        self
    }

    /// The message passing on `cause`, which its sentence says as `{reason}`.
    #[must_use]
    pub fn because(mut self, cause: Message) -> Self {
        self.cause = Some(Box::new(cause));
        self
    }

    /// The message with one field's problem added.
    #[must_use]
    pub fn with_field(mut self, field: &str, problem: Message) -> Self {
        self.fields.push(FieldMessage {
            field: field.to_owned(),
            code: problem.code,
            params: problem.params,
        });
        self
    }

    /// Words given by someone else, as they were (a note from an older centre or engine
    /// that sent words, not a code).
    #[must_use]
    pub fn verbatim(text: impl fmt::Display) -> Self {
        msg!(VERBATIM, text = text)
    }

    /// The English sentence: the catalogue's template with the parameters put in. A code
    /// the catalogue does not know is shown as itself with its parameters.
    #[must_use]
    pub fn english(&self) -> String {
        match template(&self.code) {
            Some(t) => match &self.cause {
                Some(c) => {
                    let mut params = self.params.clone();
                    params.insert("reason".into(), c.english());
                    fill(t, &params)
                }
                None => fill(t, &self.params),
            },
            None => {
                let mut s = self.code.clone();
                for (k, v) in &self.params {
                    s.push_str(&format!(" {k}={v}"));
                }
                s
            }
        }
    }

    /// The message stored as text (a note kept in a database column): its JSON.
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| self.english())
    }

    /// A stored note back as a message: JSON written by [`Message::to_json`], or plain
    /// words written before notes had codes ([`Message::verbatim`]).
    #[must_use]
    pub fn from_stored(text: &str) -> Self {
        serde_json::from_str::<Self>(text)
            .ok()
            .filter(|m| !m.code.is_empty())
            .unwrap_or_else(|| Self::verbatim(text))
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.english())
    }
}

/// The English template of `code`.
#[must_use]
pub fn template(code: &str) -> Option<&'static str> {
    CATALOGUE.iter().find(|(c, _)| *c == code).map(|(_, t)| *t)
}

/// The parameter names a template uses, in order of first use.
#[must_use]
pub fn params_of(template: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if !name.is_empty() && !out.iter().any(|n| n == name) {
            out.push(name.to_owned());
        }
        rest = &after[close + 1..];
    }
    out
}

/// Parameters whose values are codes themselves, said in words by each front end: a
/// role, an act (what someone may or may not do), a case state (`state`, `seen`), a case
/// action, and what a file that is not a JPEG is instead (`detected`). Here, the English words; the front ends have their own.
pub const VALUE_WORDS: &[(&str, &str, &str)] = &[
    ("role", "inspector", "an inspector"),
    ("role", "leader", "a team leader"),
    ("role", "operator", "an operator"),
    ("role", "department", "a department's clerk"),
    ("role", "administrator", "an administrator"),
    ("role", "service", "another port's system"),
    ("act", "sync", "sync from a tablet"),
    ("act", "hold_tablet", "hold a tablet"),
    ("act", "enroll", "enroll inspectors' tablets"),
    ("act", "use_console", "use the console"),
    ("act", "see_reports", "see reports"),
    ("act", "review", "review reports"),
    ("act", "dispatch", "dispatch cases"),
    ("act", "mark_handled", "mark cases handled"),
    (
        "act",
        "handle",
        "accept, send back or ask more time for a department's cases",
    ),
    (
        "act",
        "supervise",
        "void, suspend, resume or close cases, and decide extensions",
    ),
    (
        "act",
        "oversee",
        "see devices, intake, conflicts and the evaluation",
    ),
    ("act", "resolve_conflict", "resolve conflicts"),
    ("act", "administer", "manage people and devices"),
    ("act", "file_reports", "file reports through the intake API"),
    ("act", "upload", "upload photos"),
    ("source", "inspector", "an inspector"),
    ("source", "hotline_12345", "the 12345 hotline"),
    ("source", "hotline_12319", "the 12319 hotline"),
    ("source", "police_110", "110"),
    ("source", "fire_119", "119"),
    ("source", "wechat", "WeChat"),
    ("source", "public", "the public (随手拍)"),
    ("source", "leader", "a leader's instruction"),
    ("source", "video", "a video alert"),
    ("state", "awaiting_check", "awaiting an on-site check"),
    ("state", "awaiting_photos", "awaiting photos"),
    ("state", "pending_review", "pending review"),
    ("state", "returned", "returned"),
    ("state", "rejected", "rejected"),
    ("state", "merged", "merged"),
    ("state", "registered", "registered"),
    ("state", "dispatched", "dispatched"),
    ("state", "in_progress", "being handled"),
    ("state", "handled", "handled"),
    ("state", "suspended", "suspended"),
    ("state", "closed", "closed"),
    ("by", "cell", "cell"),
    ("by", "community", "community"),
    ("by", "street", "street"),
    ("by", "team", "team"),
    ("by", "inspector", "inspector"),
    ("by", "department", "department"),
    ("by", "category", "category"),
    ("by", "source", "source"),
    ("action", "approve", "registered"),
    ("action", "return", "returned"),
    ("action", "reject", "rejected"),
    ("action", "merge", "merged"),
    ("action", "dispatch", "dispatched"),
    ("action", "handled", "marked handled"),
    ("action", "verify", "verified"),
    ("action", "verify_pass", "verified as fixed"),
    ("action", "verify_fail", "verified as not fixed"),
    ("action", "resubmit", "sent again"),
    ("action", "photos_complete", "complete with its photos"),
    ("action", "photos_added", "given more photos"),
    ("action", "redispatch", "dispatched to another department"),
    ("action", "accept", "accepted"),
    ("action", "bounce", "sent back to the centre"),
    ("action", "request_extension", "given an extension request"),
    ("action", "approve_extension", "given more time"),
    ("action", "refuse_extension", "refused more time"),
    ("action", "suspend", "suspended"),
    ("action", "resume", "resumed"),
    ("action", "void", "voided"),
    ("action", "close_special", "closed by the centre"),
    ("action", "check", "checked on site"),
    ("action", "check_real", "confirmed on site"),
    ("action", "check_false", "found not to be so on site"),
    ("closure", "normal", "closed on time"),
    ("closure", "overdue", "closed after its deadline"),
    ("closure", "on_spot", "fixed on the spot by the inspector"),
    ("closure", "special", "closed by the centre"),
    ("detected", "png", "a PNG image"),
    ("detected", "gif", "a GIF image"),
    ("detected", "riff", "a RIFF file (WebP or WAV)"),
    ("detected", "pdf", "a PDF document"),
    ("detected", "zip", "a ZIP archive"),
    ("detected", "bmp", "a BMP image"),
    ("detected", "tiff", "a TIFF image"),
    ("detected", "heif", "an HEIF/HEIC or MP4 file"),
    ("detected", "text", "text"),
    ("detected", "unknown", "unrecognised data"),
];

/// The words for a coded parameter value (`seen` is a state too).
fn value_words(name: &str, value: &str) -> Option<&'static str> {
    let kind = if name == "seen" { "state" } else { name };
    VALUE_WORDS
        .iter()
        .find(|(k, v, _)| *k == kind && *v == value)
        .map(|(_, _, w)| *w)
}

fn fill(template: &str, params: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            return out;
        };
        let name = &after[..close];
        match params.get(name) {
            Some(v) => out.push_str(value_words(name, v).unwrap_or(v)),
            None => {
                out.push('{');
                out.push_str(name);
                out.push('}');
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// A [`Message`] from its code's constant name (in [`code`]) and its parameters:
/// `msg!(NO_REPORT, id = report)`.
#[macro_export]
macro_rules! msg {
    ($code:ident $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::message::Message::new($crate::message::code::$code)
            $(.with(stringify!($name), $value))*
    };
}
pub use msg;

macro_rules! catalogue {
    ($( $(#[$doc:meta])* $name:ident = $code:literal => $en:literal; )*) => {
        /// Every code, by constant name (for [`msg!`]).
        pub mod code {
            $( $(#[$doc])* pub const $name: &str = $code; )*
        }
        /// Every code with its English sentence; `{name}` marks a parameter.
        pub const CATALOGUE: &[(&str, &str)] = &[ $( ($code, $en), )* ];
    };
}

catalogue! {
    /// Words from an older peer that sent words, not a code.
    VERBATIM = "verbatim" => "{text}";

    // Signing in and sessions.
    SIGN_IN_WRONG = "auth.sign_in_wrong" => "the login or the password is wrong";
    SIGN_IN_LOCKED_LOGIN = "auth.sign_in_locked_login" => "too many failed sign-ins for this login; try again in {minutes} minutes, or ask an administrator to set a new password";
    SIGN_IN_LOCKED_ADDRESS = "auth.sign_in_locked_address" => "too many failed sign-ins from this address; try again in {minutes} minutes";
    SIGN_IN_FIRST = "auth.sign_in_first" => "sign in to the console first";
    SESSION_ENDED = "auth.session_ended" => "your session has ended; sign in again";
    SESSION_IDLE = "auth.session_idle" => "your session ended after {minutes} minutes without use; sign in again";
    DEVICE_TOKEN = "auth.device_token" => "missing or unknown token (a device's, or a port's for the intake API)";
    TOKEN_OTHER_DEVICE = "auth.token_other_device" => "this token belongs to device {token_device}, not {device}";
    USER_GONE = "auth.user_gone" => "user {user} no longer exists";
    PASSWORD_LENGTH = "auth.password_length" => "the password must be at least {min} and at most {max} characters";
    CANNOT_DISABLE_SELF = "auth.cannot_disable_self" => "you cannot disable yourself; ask another administrator";

    // Who may do what.
    ROLE_MAY_NOT = "access.role_may_not" => "{role} may not {act}";
    LEADER_WITHOUT_TEAM = "access.leader_without_team" => "a team leader without a team may not {act}";
    CLERK_WITHOUT_DEPARTMENT = "access.clerk_without_department" => "a clerk without a department may not {act}";
    NOT_YOUR_TEAM = "access.not_your_team" => "this report is not from your team's inspectors";
    NOT_YOUR_DEPARTMENT = "access.not_your_department" => "this case is not dispatched to your department";
    MERGE_ACROSS_TEAMS = "access.merge_across_teams" => "report {into} is not from your team's inspectors; only an operator merges across teams";
    INSPECTORS_USE_APP = "access.inspectors_use_app" => "the console is for team leaders, operators, departments and administrators; inspectors use the app";

    // Things that are not there.
    NO_REPORT = "missing.report" => "there is no report {id}";
    NO_CONFLICT = "missing.conflict" => "there is no conflict {id}";
    NO_DEVICE = "missing.device" => "no device {device} is enrolled";
    NO_USER = "missing.user" => "there is no user {user}";
    NO_LOGIN = "missing.login" => "no user with login {login}";
    NO_UPLOAD = "missing.upload" => "there is no upload {id}";
    PHOTO_NOT_ARRIVED = "missing.photo" => "photo {sha256} has not arrived";
    RULES_NOT_LOADED = "missing.rules" => "the case rules are not loaded: run `gridwalk-sync admin load-fixtures`";

    // The case loop.
    CASE_STALE = "case.stale" => "report {report} is {state} now, not {seen}: someone else acted on it first; look again";
    DEPARTMENT_CHANGED = "case.department_changed" => "report {report} is no longer with department {seen} (now: {now}): someone acted first; look again";
    CASE_OUT_OF_TURN = "case.out_of_turn" => "report {report} is {state}; it cannot be {action} now";
    CASE_FINISHED = "case.finished" => "report {report} is {state}: nothing more can be done";
    RETURN_NEEDS_COMMENT = "case.return_needs_comment" => "say what the inspector should change";
    REJECT_NEEDS_REASON = "case.reject_needs_reason" => "give the reason for rejecting it";
    PHOTOS_ARRIVING = "case.photos_arriving" => "its photos are still arriving; approve it once they are in";
    CASE_REMOVED = "case.removed" => "report {report} was removed at the centre";
    CASE_VERSION = "case.version" => "report {report} is at version {held}, not {expected}; look again";
    MERGE_SELF = "case.merge_self" => "a report cannot be merged into itself";
    MERGE_NO_TARGET = "case.merge_no_target" => "there is no report {into} to merge into";
    MERGE_TARGET_CLOSED = "case.merge_target_closed" => "report {into} was itself rejected or merged; merge into the report that stands";
    NOTE_TOO_LONG = "case.note_too_long" => "{chars} characters; a comment or reason is at most {max}";
    NO_DEPARTMENT = "case.no_department" => "there is no department {department}; choose one of {known}";
    DEPARTMENT_NEEDED = "case.department_needed" => "name the department to dispatch it to";
    TASK_NOT_OPEN = "case.task_not_open" => "task {task} is not open for report {report}";
    TASK_OTHERS = "case.task_others" => "task {task} was given to another inspector";
    REASON_NEEDED = "case.reason_needed" => "say why: a case is {action} only with a reason";
    AFTER_PHOTOS_CLERK = "case.after_photos_clerk" => "after-photos at 处置完成 are taken by the department's clerk, on their phone; mark it handled without photos";
    HANDLING_NOTE_NEEDED = "case.handling_note_needed" => "say what was done (处置说明) before marking it handled";
    SUSPEND_UNTIL = "case.suspend_until" => "a case is suspended until a day after today ({today}) and no later than {latest}, not {until}";
    EXTENSION_OPEN = "case.extension_open" => "report {report} already has an extension request waiting for the centre";
    EXTENSION_NONE = "case.extension_none" => "report {report} has no extension request waiting";
    EXTENSION_HOURS = "case.extension_hours" => "an extension is from 1 to {max} working hours, not {hours}";
    VERIFY_BY_TASK = "case.verify_by_task" => "report {report} was handled by a department: its inspector verifies it on site, from the tablet";
    CHECK_BY_TASK = "case.check_by_task" => "report {report} is checked on site by the inspector of its cell, from the tablet";
    SAME_DEPARTMENT = "case.same_department" => "report {report} is already with {department}; choose another department";
    CHECK_FALSE = "note.check_false" => "checked on site and not found: {reason}";
    MERGED_INTO = "case.merged_into" => "merged into {into}";
    MERGED_INTO_REPORT = "case.merged_into_report" => "merged into the {category} report {reporter} made at {observed_at}, which the centre goes on with";
    MERGE_REFUSED = "case.merge_refused" => "nothing was merged: {reason}";
    MERGE_COUNT = "case.merge_count" => "choose from 1 to {max} reports to merge, not {n}";
    MERGE_TWICE = "case.merge_twice" => "report {report} is named twice";
    LIKELY_DUPLICATE = "case.likely_duplicate" => "this report is likely the same problem as the {category} report {reporter} made at {observed_at}, now {state} ({metres} m and {minutes} minutes apart): merge it into that report, or register it anyway (despite_duplicate) if it is another problem";
    LIKELY_DUPLICATE_CASE = "case.likely_duplicate_case" => "this report is likely the same problem as case {case_no} ({metres} m and {minutes} minutes apart): merge it into that case, or register it anyway (despite_duplicate) if it is another problem";
    REGISTERED_DESPITE_REPORT = "case.registered_despite" => "registered although it looked like the same problem as the {category} report {reporter} made at {observed_at} ({metres} m and {minutes} minutes apart)";
    REGISTERED_DESPITE_CASE = "case.registered_despite_case" => "registered although it looked like the same problem as case {case_no} ({metres} m and {minutes} minutes apart)";
    CORRECTION_INVALID = "case.correction_invalid" => "the corrected report would be invalid: {problems}";
    CORRECTED = "note.corrected" => "your team leader corrected the report when registering it: {problems}";
    CORRECTED_VALUE = "note.corrected_value" => "{from} → {to}";
    HANDLED_NOTE = "note.handled" => "{department} has handled it: {note}";
    PERIOD_ORDER = "case.period_order" => "the period must end after it starts";
    GEOJSON_GROUPING = "case.geojson_grouping" => "the GeoJSON export draws cells, communities or streets; grouped by {by} there is nothing to draw: group by cell, community or street, or export CSV";

    // Conflicts.
    CONFLICT_RESOLVED = "conflict.resolved" => "conflict {id} is already resolved";
    CONFLICT_NOT_FIELD = "conflict.not_field" => "{field} is not in this conflict (it is about {fields})";
    CONFLICT_CHOOSE = "conflict.choose" => "choose a value for {field}";
    CONFLICT_NO_REVIVE = "conflict.no_revive" => "a report removed at the centre cannot be brought back here; keep it removed";
    CONFLICT_UNKNOWN_TABLE = "conflict.unknown_table" => "the centre does not know code table {version}";
    CONFLICT_INVALID = "conflict.invalid" => "the resolved report would be invalid: {problems}";
    CONFLICT_CHANGED = "conflict.changed" => "report {report} changed (version {held}, not {expected}) while you chose; look again";

    // What the tablet is told about its own reports and changes.
    EDIT_CONFLICT = "note.edit_conflict" => "the centre changed the same details; an operator will decide which to keep (conflict {conflict})";
    REMOVED_AT_CENTRE = "note.removed_at_centre" => "removed at the centre";
    EDIT_REFUSED = "note.edit_refused" => "your change was not accepted: {reason}";
    TASK_REFUSED = "note.task_refused" => "your verification was not accepted: {reason}";

    // Intake: what a push and its reports are refused for.
    REPORTER_MISMATCH = "intake.reporter_mismatch" => "the report names reporter {reporter}, but this device is enrolled for {enrolled}";
    DEVICE_MISMATCH = "intake.device_mismatch" => "the mutation names device {named}, not this device ({device})";
    ALREADY_RECEIVED = "intake.already_received" => "report {report} was already received with different content";
    ANSWER_FORGOTTEN = "intake.answer_forgotten" => "mutation {id} was applied long ago and its answer is no longer kept";
    REPORT_INVALID = "intake.report_invalid" => "the report is not valid: {problems}";
    UNKNOWN_CODE_TABLE = "intake.unknown_code_table" => "the centre does not know code table {version}";
    PHOTO_TOO_LARGE = "intake.photo_too_large" => "photo {photo} is {bytes} bytes; this centre takes photos of at most {max} bytes";
    NOT_APPLIED_SIGNATURE = "intake.bad_signature" => "nothing was applied: {reason}";
    KEY_NONE = "intake.key_none" => "nothing was applied: this device has not registered a signing key, and the centre applies only signed changes: update the app, or ask your team leader to enroll the device again";
    KEY_BAD = "intake.key_bad" => "the public key offered is not 32 bytes of base64";
    KEY_OTHER = "intake.key_other" => "this device's signing key is not the one the centre registered for it (was the app reinstalled?); ask your team leader to enroll the device again";
    PUSH_NUMBERS = "intake.push_numbers" => "the push's mutation numbers are not valid: {why}";
    CURSOR_INVALID = "intake.cursor_invalid" => "the cursor is not valid: {why}";
    THROTTLED_DEVICE = "intake.throttled" => "this device is pushing faster than the centre takes from one device ({rate} mutations a second); try again in {seconds} s";
    GAP = "intake.gap" => "mutation numbers must continue from {expected}";
    NUMBER_REUSED = "intake.number_reused" => "this device's mutations from number {from} on were already applied with other content (its database went back in time); number them again from {expected}";
    TOO_MANY_MUTATIONS = "intake.too_many_mutations" => "a push carries at most {max} mutations, this one {n}; send the rest in the next push";
    PUSH_INVALID = "intake.push_invalid" => "the push is not valid: {problems}";
    EDIT_NO_REPORT = "edit.no_report" => "the centre has no such report to change";
    EDIT_NOT_YOURS = "edit.not_yours" => "report {report} was made by another inspector and cannot be changed from this device";
    EDIT_TOO_LATE = "edit.too_late" => "report {report} is already {state} at the centre and can no longer be changed from a device";
    EDIT_BASE = "edit.base" => "the change was based on version {base}, but the centre has versions 1 to {held}";
    EDIT_BASE_GONE = "edit.base_gone" => "version {base} of report {report} is no longer kept";
    EDIT_TOO_MANY = "edit.too_many" => "this device has changed report {report} more than {max} times since version {base}, the last it took from the centre; sync to take the centre's copy, then change it again";
    EDIT_MAX_VERSIONS = "edit.max_versions" => "report {report} has {versions} versions, the most a report may have; further changes are made at the centre";
    EDIT_IMPLAUSIBLE = "edit.implausible" => "the change is not plausible: {problems}";
    EDIT_INVALID = "edit.invalid" => "the changed report would be invalid: {problems}";
    FEED_LIMIT = "intake.feed_limit" => "limit must be between 1 and {max}, not {limit}";
    FEED_RESYNC = "intake.feed_resync" => "pull the feed from the start: {why}";
    NEEDS_LIMIT = "intake.needs_limit" => "ask about at most {max} photos at a time, not {n}";

    // Intake from the centre's other ports (hotlines, the public, video alerts).
    KEY_MISSING = "port.key_missing" => "send an Idempotency-Key header (1 to {max} printable ASCII characters), the same on every retry of this call";
    KEY_INVALID = "port.key_invalid" => "the Idempotency-Key must be 1 to {max} printable ASCII characters";
    KEY_REUSED = "port.key_reused" => "Idempotency-Key {key} was used for another request (report {report}); a new call needs a new key";
    CALLER_REF_TAKEN = "port.caller_ref_taken" => "this port already filed {caller_ref} as report {report}";
    CALLER_REF_BAD = "port.caller_ref" => "caller_ref must be 1 to {max} characters, with no space at either end and no line break, tab or invisible character";
    KEY_TWICE = "port.key_twice" => "send one Idempotency-Key header, not {n}";
    CALLBACK_PRIVATE = "port.callback_private" => "{url} is in a private, loopback or link-local network; a callback goes to a public address (a centre with its ports on its own network allows them with --callback-allow-private)";
    NOT_A_PORT = "port.not_a_port" => "this account is not an intake port (service account)";
    CALLBACK_URL = "port.callback_url" => "the callback must be an http or https URL with a host, of at most {max} characters, not {url}";
    CALLBACK_SECRET = "port.callback_secret" => "the callback secret must be {min} to {max} characters";
    CALLBACK_STATUS = "port.callback_status" => "the callback answered HTTP {status}";
    CALLBACK_FAILED = "port.callback_failed" => "the callback could not be reached: {why}";

    // The public's 随手拍 page.
    PUBLIC_CLOSED = "public.closed" => "this centre does not take reports from the public yet (it has no service account for the public)";
    PUBLIC_THROTTLED = "public.throttled" => "this address has sent {n} reports within the hour, as many as the centre takes from one address; try again in {minutes} minutes";
    PUBLIC_BUSY = "public.busy" => "the centre is taking many reports from the public just now; try again in {seconds} s";
    PUBLIC_FORM = "public.form" => "send the report as multipart/form-data: {why}";
    PUBLIC_PART = "public.part" => "unknown part {name}: send one report (JSON) and its photos";
    PUBLIC_REPORT_PART = "public.report_part" => "the report part is not valid: {why}";
    PUBLIC_PHOTO_COUNT = "public.photo_count" => "send 1 to {max} photos, with one ID each in photo_ids ({ids} IDs, {photos} photos)";
    PUBLIC_PHOTO_BAD = "public.photo_bad" => "photo {n} is not a photo the centre takes: {why}";
    PUBLIC_WORDS = "public.words" => "say what you saw in 1 to {max} characters";
    PUBLIC_WHEN = "public.when" => "the position was fixed at {at}: a report from the public is placed by a fix of the last {hours} hours";
    PUBLIC_OUTSIDE = "public.outside" => "this position is outside the city's grid: the centre cannot send anyone there";
    PUBLIC_CROSS_SITE = "public.cross_site" => "a report from the public is sent from the centre's own page, not from another site";
    PUBLIC_PART_LARGE = "public.part_large" => "the {name} part is larger than the {max} bytes the centre takes";
    // Uploads (tus).
    TUS_VERSION = "upload.tus_version" => "this endpoint speaks tus {version}: send Tus-Resumable: {version}";
    UPLOAD_HEADER = "upload.header" => "{header} is required";
    UPLOAD_HEADER_BAD = "upload.header_bad" => "{header} is not valid: {why}";
    UPLOAD_DEFERRED = "upload.deferred" => "deferred length is not supported: send Upload-Length";
    UPLOAD_TOO_LARGE = "upload.too_large" => "an upload of {length} bytes is larger than the {max} this server accepts";
    UPLOAD_METADATA = "upload.metadata" => "Upload-Metadata must name the {key} this photo belongs to";
    UPLOAD_METADATA_BAD = "upload.metadata_bad" => "metadata {key} is not valid: {why}";
    UPLOAD_NO_REPORT = "upload.no_report" => "no report {report} with photo {photo} has been received from this device; push the report before its photos";
    UPLOAD_LENGTH = "upload.length" => "photo {photo} is {bytes} bytes in its report, but Upload-Length says {length}";
    UPLOAD_TOO_MANY = "upload.too_many" => "this device already has {n} unfinished uploads, the most it may have; finish or end one (DELETE) before starting another";
    UPLOAD_TOO_MANY_BYTES = "upload.too_many_bytes" => "this device's unfinished uploads already hold {in_flight} bytes; with {length} more they would pass the {max} one device may have in flight; finish or end one (DELETE) before starting another";
    UPLOAD_EXPIRED = "upload.expired" => "upload {id} expired at {at}; create a new one";
    UPLOAD_TERMINATED = "upload.terminated" => "upload {id} was terminated";
    UPLOAD_OFFSET = "upload.offset" => "this upload holds {received} bytes; continue from there";
    UPLOAD_BODY_LONG = "upload.body_long" => "the body is longer than the {limit} bytes this upload still needs";
    UPLOAD_PARTS = "upload.parts" => "upload {id} has arrived in {parts} pieces and takes at most {max}: send the remaining {left} bytes in one piece, or start the upload again";
    UPLOAD_BROKE_OFF = "upload.broke_off" => "the body broke off, so its checksum cannot be checked; nothing was kept";
    UPLOAD_CHECKSUM = "upload.checksum" => "the body does not match its Upload-Checksum; nothing was kept";
    UPLOAD_CONTENT_TYPE = "upload.content_type" => "a PATCH body must be sent as {content_type}";
    UPLOAD_OVERRIDE = "upload.override" => "POST to an upload needs X-HTTP-Method-Override: PATCH or DELETE";
    UPLOAD_REPORT_GONE = "upload.report_gone" => "report {report} is no longer held";
    PHOTO_REFUSED = "upload.photo_refused" => "{why}; its upload was discarded, start it again";
    PHOTO_NAME = "upload.photo_name" => "a photo is named by its lower-case hex SHA-256";

    // A report's fields (each names the field it is about).
    VALID_FUTURE = "valid.future" => "{at} is in the future (now {now}); check the device clock";
    VALID_ANCIENT = "valid.ancient" => "{at} is more than a year ago; check the device clock";
    VALID_TOO_LONG = "valid.too_long" => "{chars} characters; at most {max}";
    VALID_CONTROL = "valid.control_character" => "holds the control character {char}; text may break lines and hold tabs, no other control characters";
    VALID_COUNT = "valid.count" => "{n} is not a count a tablet can hold";
    VALID_OTHER_DEVICE = "valid.other_device" => "mutation {id} was made on device {made_on}, but this push is from device {device}";
    VALID_TOO_MANY_PHOTOS = "valid.too_many_photos" => "{n} photos; at most {max}";
    VALID_PHOTO_TWICE = "valid.photo_twice" => "photo {photo} is attached twice";
    VALID_HEX = "valid.hex" => "must be {digits} lower-case hex digits";
    VALID_PHOTO_EMPTY = "valid.photo_empty" => "a photo cannot be empty";
    VALID_PHOTO_BYTES = "valid.photo_bytes" => "{bytes} bytes; a photo is at most {max}";
    VALID_IMAGE_SIZE = "valid.image_size" => "{width}×{height} is not an image size";
    VALID_TABLE_MISMATCH = "valid.table_mismatch" => "filed under code table {filed} but this table is {table}";
    VALID_UNKNOWN_CATEGORY = "valid.unknown_category" => "{kind} code {category} is not in code table {table}";
    VALID_COMPONENT_ONLY = "valid.component_only" => "only 部件 (component) reports carry a component ID";
    VALID_COMPONENT_CATEGORY = "valid.component_category" => "component {component} is category {its} but the report says {category}";
    VALID_TOO_MANY_FLAGS = "valid.too_many_flags" => "{n} flags; at most {max}";
    VALID_AFTER_ONLY = "valid.after_only" => "a department's photos at 处置完成 are after (处置后) photos";
    VALID_HANDLED_NEEDS_AFTER = "valid.handled_needs_after" => "a problem handled on the spot (自处理) needs at least one after (处置后) photo";
    VALID_TOO_MANY_CLIPS = "valid.too_many_clips" => "{n} clips; at most {max}";
    VALID_CAMERA_SERIAL = "valid.camera_serial" => "{value} is not a 7-character camera serial";
    VALID_BADGE = "valid.badge" => "{value} is not a 6-character badge number";
    VALID_CLIP_ORDER = "valid.clip_order" => "clip ends ({end}) before it starts ({start})";
    VALID_CLIP_LONG = "valid.clip_long" => "clip is longer than {hours} hours";
    VALID_FILE_NAME = "valid.file_name" => "must be a bare file name";
    VALID_LON = "valid.lon" => "{value} is not a longitude (-180 to 180)";
    VALID_LAT = "valid.lat" => "{value} is not a latitude (-90 to 90)";
    VALID_NO_FIX = "valid.no_fix" => "0, 0 means the device had no fix";
    VALID_ACCURACY = "valid.accuracy" => "{value} is not a distance in metres";
    VALID_KEEP_DAYS = "valid.keep_days" => "{days} days is outside {min}–{max}";
    VALID_PHOTO_EDGE = "valid.photo_edge" => "{pixels} pixels is outside {min}–{max}";

    // Requests as such.
    BODY_TOO_LARGE = "request.body_too_large" => "the body is larger than the {max} bytes a request may carry";
    BODY_STOPPED = "request.body_stopped" => "the body stopped arriving before it was whole; send the request again";
    BODY_INVALID = "request.body_invalid" => "the request body is not valid: {why}";
    QUERY_INVALID = "request.query_invalid" => "the query is not valid: {why}";
    PATH_INVALID = "request.path_invalid" => "the address is not valid: {why}";
    NO_ROUTE = "request.no_route" => "there is nothing at {method} {path}; the routes are listed at /openapi.json";
    METHOD_NOT_ALLOWED = "request.method_not_allowed" => "{path} does not take {method}; the routes are listed at /openapi.json";
    CONTROL_CHARACTER = "request.control_character" => "{field} holds the control character {char}; text may break lines and hold tabs, no other control characters";
    BUSY = "request.busy" => "the centre is handling as many requests as it can; try again in {seconds} s";
    TOO_SLOW = "request.too_slow" => "the request took longer than the {seconds} s it may; send it again";
    THROTTLED_ADDRESS = "request.throttled" => "this address has {n} requests in flight, the most it may; try again in {seconds} s";
    INTERNAL = "request.internal" => "the server could not complete the request; it has been logged";
    VALUE_TOO_LARGE = "request.value_too_large" => "the number {n} is too large to store";

    // The tablet's own errors (the field engine's), said by the app.
    DEVICE_DATABASE = "device.database" => "local database: {detail}";
    DEVICE_STORAGE = "device.storage" => "{path}: {detail}";
    DEVICE_NO_REPORT = "device.no_report" => "report {id} does not exist on this device";
    DEVICE_NOT_A_DRAFT = "device.not_a_draft" => "report {id} was already submitted and can no longer be changed here";
    DEVICE_NOT_EDITABLE = "device.not_editable" => "report {id} cannot be changed: {reason}";
    DEVICE_SEEN_AT_FIXED = "device.seen_at_fixed" => "the time the problem was seen cannot change after submission";
    DEVICE_STILL_DRAFT = "device.still_draft" => "it is still a draft; edit the draft instead";
    DEVICE_REFUSED_NOTHING = "device.refused_nothing" => "the centre refused it, so there is nothing to change";
    DEVICE_CENTRE_MOVED_ON = "device.centre_moved_on" => "the centre has already taken it on (it is {state} there)";
    DEVICE_NO_PHOTO = "device.no_photo" => "photo {id} does not exist on this device";
    DEVICE_NO_TASK = "device.no_task" => "task {id} is not open on this device";
    DEVICE_NO_CLIP = "device.no_clip" => "the report has no clip number {n}";
    DEVICE_INVALID = "device.invalid" => "{problems}";
    DEVICE_INCOMPLETE = "device.incomplete" => "the report is not ready to submit: {problems}";
    DEVICE_VERIFY_NOTE = "device.verify_note" => "say what is still wrong when the verification fails";
    DEVICE_CHECK_NOTE = "device.check_note" => "say what you found on site when the reported problem is not there";
    DEVICE_NOTE_LONG = "device.note_long" => "the note is longer than {max} characters";
    DEVICE_NOT_SIGNED_IN = "device.not_signed_in" => "nobody is signed in on this device";
    DEVICE_DAMAGED = "device.damaged" => "local data is damaged: {detail}";
    DEVICE_SYNC_NOT_CONFIGURED = "device.sync_not_configured" => "this device has no sync server set up; enter the server address and device token in Settings";
    DEVICE_NETWORK = "device.network" => "cannot reach the server ({reason}); your reports are safe on this device and will be sent automatically";
    DEVICE_TIMED_OUT = "device.timed_out" => "the connection timed out";
    DEVICE_NO_CONNECTION = "device.no_connection" => "no connection";
    DEVICE_UNTRUSTED_CERTIFICATE = "device.untrusted_certificate" => "the centre's certificate is not trusted by this device ({detail}); if the city uses its own certificate authority, give the device its certificate (--centre-ca)";
    DEVICE_UNAUTHORIZED = "device.unauthorized" => "the server does not recognise this device; ask your team leader to enroll it again";
    DEVICE_SERVER = "device.server" => "the server had a problem ({detail}); it will be tried again";
    DEVICE_REFUSED = "device.refused" => "the server refused the data: {reason}";
    DEVICE_TOKEN_EMPTY = "device.token_empty" => "the device token is empty";
    DEVICE_NOT_AN_ADDRESS = "device.not_an_address" => "{url} is not a server address (it should start with https://)";
    DEVICE_PLAIN_HTTP = "device.plain_http" => "{url} is plain http://, so the device token and reports would cross the network unencrypted; use the centre's https:// address (plain http:// is only for this machine, unless the installer allows it for a closed test network: --allow-insecure-http, or GRIDWALK_ALLOW_INSECURE_HTTP=1)";
    DEVICE_NO_ROOM = "device.no_room" => "only {free} is free on this device and {keep} must stay free: the photo was not added and nothing else changed; sync (photos the centre holds are removed from the device after the kept days), or free space on the tablet";
    DEVICE_BASEMAP_INVALID = "device.basemap_invalid" => "this file is not an offline map package the app reads ({detail}); nothing was installed and the map is as it was";
    DEVICE_BASEMAP_NO_ROOM = "device.basemap_no_room" => "the map package needs {size}, but only {free} is free and {keep} must stay free for photos; nothing was installed";
    DEVICE_UNSENT_WORK = "device.unsent_work" => "this device still holds {reports} reports or changes and {photos} photos the centre has not received; sync first (nothing on this device is deleted), then sign out or sign someone else in";
    DEVICE_TOKEN_OTHER_DEVICE = "device.token_other_device" => "this token was issued for device {token_device}, but this device is {device}; ask your team leader to enroll {device}";
    DEVICE_UPLOAD_ELSEWHERE = "device.upload_elsewhere" => "the centre gave an upload address on {upload}, not on the centre ({centre}); the photo was not sent there";
    DEVICE_CA_UNREADABLE = "device.ca_unreadable" => "the centre's CA certificate file {path} cannot be read: {detail}";
    DEVICE_CA_EMPTY = "device.ca_empty" => "the centre's CA certificate file {path} holds no certificate";
    DEVICE_INSECURE = "device.insecure" => "not sent, the connection would not be safe: {reason}";
    DEVICE_MISSING_AT_CENTRE = "device.missing_at_centre" => "the centre is missing this device's changes from number {expected} on, which this device no longer holds; contact support";
    DEVICE_NUMBER_REUSED = "device.number_reused" => "the centre already holds other changes under this device's numbers from {from} on; the queue could not be moved to number {expected}; contact support";
    DEVICE_REFERENCE = "device.reference" => "reference data: {detail}";
    DEVICE_SECRETS = "device.secrets" => "the device's secret store ({store}) failed: {detail}";
    DEVICE_LOCKED = "device.locked" => "{path} is already open by another Gridwalk process";
    DEVICE_SCHEMA_NEWER = "device.schema_newer" => "the local database was written by a newer Gridwalk (schema {found}, this build knows {known}); update the app";
    VALID_REQUIRED = "valid.required" => "is required";

    // Taking a component's ID on the tablet (scanning the code on it, or picking it).
    COMPONENT_NO_QR = "component.no_qr" => "no QR code could be read in the picture; hold the tablet so the code on the component fills the frame, keep still and try again";
    COMPONENT_NOT_IN_QR = "component.not_in_qr" => "this QR code holds no component ID (16 digits); scan the city's code on the component (城市服务码), or pick the component from the nearby list";
    COMPONENT_NOT_HERE = "component.not_here" => "component {id} is not among this tablet's components: it is not in your cells, or it has not been synced yet; sync, or pick the component from the nearby list";

    // A photo the tablet cannot take (the engine's photo pipeline).
    PHOTO_EMPTY = "photo.empty" => "the file is empty";
    PHOTO_NOT_JPEG = "photo.not_jpeg" => "the file is {detected}, not a JPEG photo";
    PHOTO_TRUNCATED = "photo.truncated" => "the file is cut short (the JPEG ends before its image data is complete); copy it again from the camera";
    PHOTO_TOO_MANY_PIXELS = "photo.too_many_pixels" => "the image declares {width}×{height} pixels, more than the {max_pixels} allowed; it is damaged or not a camera photo";
    PHOTO_OVER_BUDGET = "photo.over_budget" => "the image declares {width}×{height} pixels, more than a file of {bytes} bytes can hold; it is damaged or made to exhaust memory";
    PHOTO_UNSUPPORTED = "photo.unsupported" => "the JPEG uses {what}, which the app does not read; save it as an ordinary JPEG";
    PHOTO_FILE_TOO_LARGE = "photo.file_too_large" => "the file is {bytes} bytes, more than the {max_bytes} allowed for one photo";
    PHOTO_CORRUPT = "photo.corrupt" => "the JPEG is damaged: {detail}";
    PHOTO_NOT_LISTED = "photo.not_listed" => "the centre does not list this photo in report {report}";
    PHOTO_DISCARDED_TWICE = "photo.discarded_twice" => "the centre discarded this photo's upload twice; it will be tried again";

    // Administration.
    LOGIN_INVALID = "admin.login_invalid" => "{login}: {why}";
    SCHEMA_NEWER = "admin.schema_newer" => "the database has schema {current}, newer than this server's {known}: run a newer gridwalk-sync";
    IMPORT_REFUSED = "admin.import_refused" => "the file cannot be imported: {reason}";
    COMPONENT_ID = "console.component_id" => "not a component ID: {why}";
    COMPONENT_UNKNOWN = "console.component_unknown" => "component {id} is not on the city's books (never imported, or retired)";
    IMPORT_CONTENT_TYPE = "admin.import_content_type" => "send the file as the body with Content-Type application/octet-stream";
    IMPORT_LAST_ADMINISTRATOR = "admin.import_last_administrator" => "after this list no active administrator would be left (it changes {logins}); keep at least one";

    // Enrolling a tablet with a one-time code (QR).
    ENROLL_CODE_MALFORMED = "enroll.code_malformed" => "an enrollment code is 20 letters and digits, as the console shows it; this is not one";
    ENROLL_CODE_UNKNOWN = "enroll.code_unknown" => "this enrollment code is not known (mistyped?); ask your team leader for a new one";
    ENROLL_CODE_USED = "enroll.code_used" => "this enrollment code was already used at {at}; ask your team leader for a new one";
    ENROLL_CODE_HOLDER_DISABLED = "enroll.code_holder_disabled" => "the inspector this enrollment code is for has been disabled; it no longer enrolls a tablet";
    ENROLL_DEVICE_OTHER = "enroll.device_other" => "this tablet is enrolled for another inspector; an administrator revokes that enrollment first (终端管理)";
    ENROLL_CODE_EXPIRED = "enroll.code_expired" => "this enrollment code expired at {at}; ask your team leader for a new one";
    ENROLL_MINUTES = "enroll.minutes" => "an enrollment code lasts from 1 to {max} minutes";
    ENROLL_LOCKED = "enroll.locked" => "too many wrong enrollment codes from this address; try again in {minutes} minutes";
    ENROLL_NOT_YOUR_TEAM = "enroll.not_your_team" => "{login} is not one of your team's inspectors";
    ENROLL_DISABLED = "enroll.disabled" => "{login} is disabled; a disabled person gets no credential";
    ENROLL_SERVER_ADDRESS = "enroll.server_address" => "{url} is not an address a tablet can reach the centre at (it should start with https:// or http://)";
    ENROLL_NO_QR = "enroll.no_qr" => "no QR code could be read in the picture; fill the frame with the code, hold still and try again";
    ENROLL_NOT_OURS = "enroll.not_ours" => "this QR code is not a Gridwalk enrollment code";
    ENROLL_IMAGE = "enroll.image" => "the picture could not be read: {detail}";
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_code_is_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for (c, t) in CATALOGUE {
            assert!(seen.insert(*c), "{c} twice");
            assert!(
                c.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_' || ch == '.'),
                "{c}"
            );
            assert!(!t.is_empty(), "{c}");
            for p in params_of(t) {
                assert!(
                    p.chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'),
                    "{c}: parameter {p}"
                );
            }
        }
    }

    #[test]
    fn a_message_says_its_sentence_in_english_and_survives_storage() {
        let m = msg!(
            CASE_STALE,
            report = "20261102-0007",
            state = "立案",
            seen = "待受理"
        );
        assert_eq!(
            m.english(),
            "report 20261102-0007 is 立案 now, not 待受理: someone else acted on it first; look again"
        );
        assert_eq!(Message::from_stored(&m.to_json()), m);
        let old = Message::from_stored("an operator will decide");
        assert_eq!(old.code, code::VERBATIM);
        assert_eq!(old.english(), "an operator will decide");
        let coded = msg!(ROLE_MAY_NOT, role = "administrator", act = "review");
        assert_eq!(coded.english(), "an administrator may not review reports");
        let passed_on = msg!(EDIT_REFUSED).because(msg!(CASE_REMOVED, report = "r1"));
        assert_eq!(
            passed_on.english(),
            "your change was not accepted: report r1 was removed at the centre"
        );
        assert_eq!(Message::from_stored(&passed_on.to_json()), passed_on);
        let unknown = Message::new("future.code").with("n", 3);
        assert_eq!(unknown.english(), "future.code n=3");
        assert_eq!(
            params_of("{a} and {b}, again {a}"),
            vec!["a".to_owned(), "b".to_owned()]
        );
    }
}
