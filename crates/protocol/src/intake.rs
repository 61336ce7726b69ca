//! Reports from the centre's other ports: the 12345 and 12319 hotlines, 110 and 119 hand-overs,
//! WeChat, the public's 随手拍, leaders' instructions (领导交办) and video-analysis alerts.
//!
//! A port's system calls the intake API as a **service account** (a user with the role
//! `service`, enrolled with a token like a tablet, one account per port). Each call carries an
//! `Idempotency-Key`: a call retried with the same key and the same body makes one report and
//! gets the same answer; the same key with another body is refused. The port's own reference
//! (its 工单号, [`IntakeRequest::caller_ref`]) is kept with the report and is unique per port.
//!
//! Such a report is not yet a case: it waits for the inspector of its cell to check on site
//! that the problem is real (核实, a task on the tablet), then for the centre's 受理 like any
//! report. The port learns how its report fares from a callback it registers
//! ([`CallbackSetting`]): every step of the loop is POSTed to it as a [`Progress`], retried
//! until it is taken, and each attempt is kept in a delivery log ([`Delivery`]).

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::console::Closure;
use crate::{
    CaseState, CategoryCode, Kind, Location, PhotoId, PhotoRef, ReportId, TaskId, Urgency,
};

/// Where a report came from (案件来源).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Source {
    /// 监督员上报: an inspector's tablet.
    Inspector,
    /// 12345 政务服务便民热线.
    #[serde(rename = "hotline_12345")]
    Hotline12345,
    /// 12319 城建服务热线.
    #[serde(rename = "hotline_12319")]
    Hotline12319,
    /// 110 hand-over (联动).
    #[serde(rename = "police_110")]
    Police110,
    /// 119 hand-over.
    #[serde(rename = "fire_119")]
    Fire119,
    /// The centre's WeChat account (公众号).
    Wechat,
    /// A citizen's 随手拍 (全民城管).
    Public,
    /// A leader's instruction (领导交办).
    Leader,
    /// A video-analysis alert (视频智能分析).
    Video,
}

impl Source {
    /// Every source, in the order the console lists them.
    pub const ALL: [Source; 9] = [
        Source::Inspector,
        Source::Hotline12345,
        Source::Hotline12319,
        Source::Police110,
        Source::Fire119,
        Source::Wechat,
        Source::Public,
        Source::Leader,
        Source::Video,
    ];

    /// The wire name, as stored in a text column.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Inspector => "inspector",
            Source::Hotline12345 => "hotline_12345",
            Source::Hotline12319 => "hotline_12319",
            Source::Police110 => "police_110",
            Source::Fire119 => "fire_119",
            Source::Wechat => "wechat",
            Source::Public => "public",
            Source::Leader => "leader",
            Source::Video => "video",
        }
    }

    /// The source's name for a table (the evaluation's rows), in Chinese and English.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Source::Inspector => "监督员上报 inspectors",
            Source::Hotline12345 => "12345热线 12345 hotline",
            Source::Hotline12319 => "12319热线 12319 hotline",
            Source::Police110 => "110联动 110",
            Source::Fire119 => "119联动 119",
            Source::Wechat => "微信公众号 WeChat",
            Source::Public => "公众随手拍 the public",
            Source::Leader => "领导交办 leaders' instructions",
            Source::Video => "视频智能分析 video alerts",
        }
    }

    /// Whether a report from here is checked on site (核实) before the centre takes it:
    /// everything but an inspector's own report.
    #[must_use]
    pub fn needs_check(self) -> bool {
        self != Source::Inspector
    }
}

impl std::str::FromStr for Source {
    type Err = crate::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| crate::Error::Unknown(format!("{s:?} is not a source")))
    }
}

/// The longest caller reference (工单号) kept.
pub const MAX_CALLER_REF_CHARS: usize = 64;
/// The longest `Idempotency-Key` taken.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// `POST /v1/intake/reports`: a problem reported to another port of the centre.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IntakeRequest {
    /// The port's own reference for the call or alert (its 工单号): kept with the report,
    /// sent back in every callback, unique per service account.
    pub caller_ref: String,
    pub kind: Kind,
    /// The 小类 code, from the code table `code_table_version` (the newest when absent).
    pub category: CategoryCode,
    #[serde(default)]
    pub code_table_version: Option<String>,
    pub description: String,
    pub address: String,
    /// Where the problem is, as the port placed it (a geocoded address: provider `manual`).
    pub location: Location,
    /// When the caller saw it (the call's time when they cannot say).
    pub observed_at: DateTime<FixedOffset>,
    #[serde(default)]
    pub urgency: Urgency,
    /// Photos the port has (a citizen's, a camera's frame): declared here, their bytes
    /// uploaded over tus afterwards, as a tablet does.
    #[serde(default)]
    pub photos: Vec<PhotoRef>,
}

/// The answer to an intake call (the same for a retried one).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IntakeAnswer {
    /// The report made of it: ask about it, and upload its photos, by this ID.
    pub report: ReportId,
    pub caller_ref: String,
    pub source: Source,
    /// `awaiting_check`: it waits for the inspector of its cell to check it on site.
    pub state: CaseState,
    /// The on-site check (核实) sent to an inspector; none when no inspector covers the
    /// cell or the position lies in no cell (the centre's operators then see it waiting in
    /// their queue, and arrange the check or take it without one).
    pub check_task: Option<TaskId>,
    /// When the check is due, in working time.
    pub check_due_at: Option<DateTime<Utc>>,
    /// The cell the position fell in; none when it lies outside the centre's grid.
    pub cell: Option<String>,
    /// The case number (立案编号), once the centre has taken it.
    pub case_no: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// `PUT /v1/intake/callback`: where the port wants to hear how its reports fare.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallbackSetting {
    /// An `http` or `https` URL; each [`Progress`] is POSTed to it as JSON.
    pub url: String,
    /// The key each delivery is signed with (`X-Gridwalk-Signature: sha256=<hex HMAC of
    /// the body>`), 16 to 256 characters; keep it secret.
    pub secret: String,
}

/// The callback as registered (the secret is never shown again).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallbackInfo {
    pub url: Option<String>,
    pub set_at: Option<DateTime<Utc>>,
}

/// One step of a port's report, as its callback receives it (POSTed as JSON, signed
/// `X-Gridwalk-Signature: sha256=<hex HMAC-SHA256 of the body>`, numbered
/// `X-Gridwalk-Delivery`). Filing itself sends none: the intake call's answer says it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Progress {
    /// The delivery's ID: the same on every retry of it, so a receiver can drop repeats.
    pub delivery: i64,
    pub report: ReportId,
    pub caller_ref: String,
    /// The case number (立案编号), once it is a case.
    pub case_no: Option<String>,
    /// The step: `check_real` / `check_false` (核实 on site: real, or not found),
    /// `approve` (立案), `reject` (作废, not taken), `merge`, `dispatch` (派遣),
    /// `redispatch` (改派), `accept` (the department's 接收), `bounce` (回退 to the
    /// centre), `request_extension`, `approve_extension`, `refuse_extension` (延期),
    /// `handled` (处置完成), `verify_pass` (核查 passed: 结案), `verify_fail` (返工),
    /// `suspend` (缓办), `resume`, `void` (作废 after 立案), `close_special` (特殊结案).
    pub action: String,
    /// The state before the step.
    pub from: CaseState,
    /// The state after it.
    pub state: CaseState,
    /// What the step said: the inspector's words at 核实 and 核查, a reason (作废, 回退,
    /// 缓办, 延期, 特殊结案), the 处置说明 at `handled`, the department's code at
    /// `dispatch`; none for steps that say nothing.
    pub text: Option<String>,
    /// How it closed, once closed: `normal` (正常结案), `overdue` (超期结案), `on_spot`
    /// (自处理结案) or `special` (特殊结案).
    pub closure: Option<Closure>,
    pub at: DateTime<Utc>,
}

/// One delivery of a [`Progress`] to a port's callback, with its attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Delivery {
    pub id: i64,
    pub report: ReportId,
    pub caller_ref: String,
    /// The case number, once it is a case.
    pub case_no: Option<String>,
    pub action: String,
    pub from: CaseState,
    pub state: CaseState,
    /// What the step said, as the [`Progress`] carries it.
    pub text: Option<String>,
    pub created_at: DateTime<Utc>,
    pub attempts: u32,
    /// When it was taken (a 2xx answer); none while still trying or given up.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When the next attempt is due; none once delivered or given up.
    pub next_at: Option<DateTime<Utc>>,
    /// The last attempt's HTTP status, if it got one.
    pub last_status: Option<u16>,
    /// Why the last attempt failed, in words.
    pub last_error: Option<String>,
}

/// `GET /v1/intake/deliveries`: the newest deliveries first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Deliveries {
    pub deliveries: Vec<Delivery>,
}

/// The most photos one 随手拍 submission carries.
pub const MAX_PUBLIC_PHOTOS: usize = 3;
/// The largest photo a 随手拍 submission may carry, in bytes (the page sends a derivative
/// of a few hundred kilobytes, as the tablet does).
pub const MAX_PUBLIC_PHOTO_BYTES: u64 = 4 * 1024 * 1024;
/// The longest side a 随手拍 photo may have, in pixels.
pub const MAX_PUBLIC_PHOTO_SIDE: u32 = 2048;
/// The longest 随手拍 description kept, in characters.
pub const MAX_PUBLIC_WORDS: usize = 500;

/// The `report` part of a 随手拍 submission (`POST /v1/public/reports`, `multipart/form-data`):
/// what a citizen says, beside one `photo` part per photo (JPEG), in the order of
/// `photo_ids`. No account: the centre files it as its public port's service account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PublicReport {
    /// A UUID the page makes once per report and sends again on every retry of it: a retry
    /// gets the first submission's answer, never a second report.
    pub key: uuid::Uuid,
    pub kind: Kind,
    /// The 小类 the citizen picked, from the newest code table.
    pub category: CategoryCode,
    /// What the citizen saw, in their words (1 to 500 characters).
    pub description: String,
    /// Where, in the citizen's words (may be empty: the position says it).
    #[serde(default)]
    pub address: String,
    /// The phone's position (provider `gps` or `network`, as the browser gave it).
    pub location: Location,
    /// One ID (UUIDv7, made by the page) per `photo` part, in order; 1 to 3.
    pub photo_ids: Vec<PhotoId>,
}

/// The answer to a 随手拍 submission, and to asking how it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PublicAnswer {
    /// The report: the citizen asks how it stands by this ID.
    pub report: ReportId,
    /// `awaiting_check` until an inspector has seen it, then the case's state.
    pub state: CaseState,
    /// The case number (立案编号), once the centre has taken it.
    pub case_no: Option<String>,
    pub received_at: DateTime<Utc>,
}

/// One problem a citizen may pick on the 随手拍 page (a 小类 of the newest code table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PublicCategory {
    pub kind: Kind,
    pub code: CategoryCode,
    /// The 大类's name.
    pub major_name: String,
    pub name: String,
}

/// `GET /v1/public/form`: what the 随手拍 page offers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PublicForm {
    /// Whether this centre takes 随手拍 (it has a service account for the public).
    pub open: bool,
    pub categories: Vec<PublicCategory>,
    pub max_photos: u32,
    pub max_words: u32,
    /// Submissions one address may make an hour.
    pub per_hour: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_have_one_name_on_the_wire_and_in_columns() {
        for source in Source::ALL {
            let wire = serde_json::to_value(source).expect("serialises");
            assert_eq!(wire, serde_json::json!(source.as_str()), "{source:?}");
            assert_eq!(source.as_str().parse::<Source>().expect("parses"), source);
        }
        assert!("hotline12345".parse::<Source>().is_err());
        assert!(!Source::Inspector.needs_check() && Source::Public.needs_check());
    }
}
