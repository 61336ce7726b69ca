//! The centre's case rules, as data loaded with the fixtures (`case-rules.json`): the
//! working calendar, the departments cases are dispatched to, and the time limits in
//! working hours of every step of the loop: 受理 (a team leader's review of a report),
//! 核实 (an inspector's on-site check of a hotline or public report), 派遣 (dispatching a
//! registered case), 处置 (handling, by category, shorter when urgent: the 处置时限) and
//! 核查 (verification); and the most working hours one 延期 may add.
//!
//! The deadlines a step sets are pure functions of the rules and the time of the step
//! ([`CaseRules::step_due`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use gridwalk_protocol::console::Department;
use gridwalk_protocol::{CaseState, Report, Urgency};
use serde::Deserialize;

use super::calendar::WorkingCalendar;

/// The name the rules are stored under in the case store.
pub const DOCUMENT: &str = "case-rules";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    calendar: serde_json::Value,
    departments: Vec<Department>,
    time_limits: LimitsFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsFile {
    handling_hours: f64,
    urgent_hours: f64,
    verify_hours: f64,
    // The steps before handling came later: rules stored before them read the defaults.
    #[serde(default = "default_review_hours")]
    review_hours: f64,
    #[serde(default = "default_check_hours")]
    check_hours: f64,
    #[serde(default = "default_dispatch_hours")]
    dispatch_hours: f64,
    #[serde(default = "default_extension_hours")]
    max_extension_hours: f64,
    #[serde(default)]
    by_category: BTreeMap<String, f64>,
}

fn default_review_hours() -> f64 {
    2.0
}
fn default_check_hours() -> f64 {
    4.0
}
fn default_dispatch_hours() -> f64 {
    1.0
}
fn default_extension_hours() -> f64 {
    35.0
}

/// The case rules.
#[derive(Debug, Clone)]
pub struct CaseRules {
    pub calendar: WorkingCalendar,
    pub departments: Vec<Department>,
    handling: Duration,
    urgent: Duration,
    verify: Duration,
    review: Duration,
    check: Duration,
    dispatch: Duration,
    /// The most one extension (延期) may add.
    pub max_extension: Duration,
    /// `event:0102` → allowance.
    by_category: BTreeMap<String, Duration>,
}

fn hours(field: &str, h: f64) -> Result<Duration, String> {
    if !(h.is_finite() && h > 0.0 && h <= 2000.0) {
        return Err(format!(
            "{field} must be a number of working hours above 0, not {h}"
        ));
    }
    // Whole seconds: `h` is at most 2000, so this cannot overflow.
    #[allow(clippy::cast_possible_truncation)]
    Ok(Duration::seconds((h * 3600.0).round() as i64))
}

impl CaseRules {
    /// Reads a rules file; anything wrong is refused, naming it.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let file: RulesFile = serde_json::from_str(text).map_err(|e| format!("case rules: {e}"))?;
        let calendar = WorkingCalendar::from_json(&file.calendar.to_string())?;
        if file.departments.is_empty() {
            return Err("case rules: list at least one department".into());
        }
        let mut codes = std::collections::BTreeSet::new();
        for d in &file.departments {
            if d.code.trim().is_empty() || !codes.insert(d.code.as_str()) {
                return Err(format!(
                    "case rules: department code {:?} is empty or repeated",
                    d.code
                ));
            }
        }
        let limits = file.time_limits;
        let mut by_category = BTreeMap::new();
        for (key, h) in limits.by_category {
            let ok = key.split_once(':').is_some_and(|(k, c)| {
                matches!(k, "event" | "component")
                    && c.len() == 4
                    && c.bytes().all(|b| b.is_ascii_digit())
            });
            if !ok {
                return Err(format!(
                    "case rules: {key:?} is not a category key like \"event:0102\""
                ));
            }
            let d = hours(&format!("time_limits.by_category.{key}"), h)?;
            by_category.insert(key, d);
        }
        Ok(Self {
            calendar,
            departments: file.departments,
            handling: hours("time_limits.handling_hours", limits.handling_hours)?,
            urgent: hours("time_limits.urgent_hours", limits.urgent_hours)?,
            verify: hours("time_limits.verify_hours", limits.verify_hours)?,
            review: hours("time_limits.review_hours", limits.review_hours)?,
            check: hours("time_limits.check_hours", limits.check_hours)?,
            dispatch: hours("time_limits.dispatch_hours", limits.dispatch_hours)?,
            max_extension: hours(
                "time_limits.max_extension_hours",
                limits.max_extension_hours,
            )?,
            by_category,
        })
    }

    /// The department with this code.
    #[must_use]
    pub fn department(&self, code: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.code == code)
    }

    /// The working time allowed to handle `report`: its category's limit (or the default),
    /// and no more than the urgent limit when it is urgent.
    #[must_use]
    pub fn handling_allowance(&self, report: &Report) -> Duration {
        let key = format!(
            "{}:{}",
            match report.kind {
                gridwalk_protocol::Kind::Event => "event",
                gridwalk_protocol::Kind::Component => "component",
            },
            report.category.as_str()
        );
        let base = self.by_category.get(&key).copied().unwrap_or(self.handling);
        match report.urgency {
            Urgency::Urgent => base.min(self.urgent),
            Urgency::Normal => base,
        }
    }

    /// When a dispatch at `at` must be handled by.
    #[must_use]
    pub fn handling_due(&self, report: &Report, at: DateTime<Utc>) -> DateTime<Utc> {
        self.calendar.deadline(at, self.handling_allowance(report))
    }

    /// When a verification task given at `at` must be done by.
    #[must_use]
    pub fn verify_due(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        self.calendar.deadline(at, self.verify)
    }

    /// The deadline of the step a report in `state` waits on, when it entered that state at
    /// `at`: 核实, 受理, 派遣, 处置 (`handling_due`, the case's deadline in force) or 核查.
    /// States that wait on no one at the centre (the inspector's turn, photos arriving,
    /// 缓办, the final ones) have none.
    #[must_use]
    pub fn step_due(
        &self,
        state: CaseState,
        at: DateTime<Utc>,
        handling_due: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        let after = |d| Some(self.calendar.deadline(at, d));
        match state {
            CaseState::AwaitingCheck => after(self.check),
            CaseState::PendingReview => after(self.review),
            CaseState::Registered => after(self.dispatch),
            CaseState::Dispatched | CaseState::InProgress => handling_due,
            CaseState::Handled => after(self.verify),
            CaseState::AwaitingPhotos
            | CaseState::Returned
            | CaseState::Suspended
            | CaseState::Rejected
            | CaseState::Merged
            | CaseState::Closed => None,
        }
    }

    /// A deadline moved on by `more` working time (an approved 延期).
    #[must_use]
    pub fn extended(&self, due: DateTime<Utc>, more: Duration) -> DateTime<Utc> {
        if more <= Duration::zero() {
            return due;
        }
        self.calendar.deadline(due, more)
    }

    /// A deadline after 缓办: the clock stopped at `suspended_at` with the working time up
    /// to `due` left, and restarts at `resumed_at` with that much left. A deadline already
    /// past when the case was suspended stays where it was: it was overdue, and still is.
    #[must_use]
    pub fn resumed(
        &self,
        due: DateTime<Utc>,
        suspended_at: DateTime<Utc>,
        resumed_at: DateTime<Utc>,
    ) -> DateTime<Utc> {
        if due <= suspended_at {
            return due;
        }
        let left = self.calendar.elapsed(suspended_at, due);
        self.calendar.deadline(resumed_at.max(suspended_at), left)
    }

    /// The working time left at `now` until `due`: negative once `due` has passed, by the
    /// working time since (an evening past a deadline set for 17:00 adds nothing).
    #[must_use]
    pub fn left(&self, due: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
        if due >= now {
            self.calendar.elapsed(now, due)
        } else {
            -self.calendar.elapsed(due, now)
        }
    }

    /// Where "due soon" ends at `now`: [`crate::domain::queue::DUE_SOON_HOURS`] of working
    /// time on, as the console's badge counts what is left.
    #[must_use]
    pub fn due_soon_to(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.calendar
            .deadline(now, Duration::hours(crate::domain::queue::DUE_SOON_HOURS))
    }

    /// The local day case numbers registered at `at` run under (`20261121`).
    #[must_use]
    pub fn case_day(&self, at: DateTime<Utc>) -> String {
        self.calendar.local_date(at).format("%Y%m%d").to_string()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn rules() -> CaseRules {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/case-rules.json");
        CaseRules::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn the_fixture_rules_load_and_set_deadlines_in_working_time() {
        let r = rules();
        assert!(r.department("HW").is_some());
        let mut report = gridwalk_protocol::testing::report();
        report.kind = gridwalk_protocol::Kind::Event;
        report.category = "0102".parse().unwrap();
        report.urgency = Urgency::Normal;
        // 暴露垃圾: 7 working hours = one working day. Friday 16:00 → Monday 16:00.
        assert_eq!(r.handling_allowance(&report), Duration::hours(7));
        assert_eq!(
            r.handling_due(&report, at("2026-11-20T16:00:00+08:00")),
            at("2026-11-23T16:00:00+08:00")
        );
        // Urgent: at most 2 hours. Friday 16:00 → 17:30 is 1.5 h, then Monday 08:30 + 0.5 h.
        report.urgency = Urgency::Urgent;
        assert_eq!(
            r.handling_due(&report, at("2026-11-20T16:00:00+08:00")),
            at("2026-11-23T09:00:00+08:00")
        );
        // Verification: 4 working hours; before work starts it counts from 08:30.
        assert_eq!(
            r.verify_due(at("2026-11-23T07:00:00+08:00")),
            at("2026-11-23T14:30:00+08:00")
        );
        // The case day is the local date: 23:30 UTC on the 20th is the 21st in China.
        assert_eq!(r.case_day(at("2026-11-20T23:30:00Z")), "20261121");
    }

    #[test]
    fn time_left_counts_working_time_and_goes_negative_once_overdue() {
        let r = rules();
        let due = at("2026-11-23T09:00:00+08:00"); // Monday
        // Friday 16:00: 1.5 h that day and 0.5 h on Monday; the weekend counts nothing.
        assert_eq!(
            r.left(due, at("2026-11-20T16:00:00+08:00")),
            Duration::hours(2)
        );
        assert_eq!(
            r.left(due, at("2026-11-22T11:00:00+08:00")),
            Duration::minutes(30)
        );
        assert_eq!(r.left(due, due), Duration::zero());
        assert_eq!(
            r.left(due, at("2026-11-23T10:00:00+08:00")),
            -Duration::hours(1)
        );
    }

    #[test]
    fn broken_rules_are_refused_naming_what_is_wrong() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../fixtures/case-rules.json"
        ))
        .unwrap();
        let bad = text.replace("\"verify_hours\": 4", "\"verify_hours\": 0");
        assert!(
            CaseRules::from_json(&bad)
                .unwrap_err()
                .contains("verify_hours")
        );
        let bad = text.replace("\"event:0102\"", "\"rubbish\"");
        assert!(
            CaseRules::from_json(&bad)
                .unwrap_err()
                .contains("\"rubbish\"")
        );
        let bad = text.replace("\"code\": \"HW\"", "\"code\": \"SZ\"");
        assert!(CaseRules::from_json(&bad).unwrap_err().contains("\"SZ\""));
        let bad = text.replace("\"+08:00\"", "\"CST\"");
        assert!(
            CaseRules::from_json(&bad)
                .unwrap_err()
                .contains("utc_offset")
        );
    }

    #[test]
    fn every_step_has_its_deadline_in_working_time() {
        let r = rules();
        // Monday 2026-11-23, 11:00 local.
        let t = at("2026-11-23T11:00:00+08:00");
        // 受理 2 h: 11:00-12:00 is one, then 14:00 + 1 h.
        assert_eq!(
            r.step_due(CaseState::PendingReview, t, None),
            Some(at("2026-11-23T15:00:00+08:00"))
        );
        // 核实 4 h: 1 h before noon, 3 h after.
        assert_eq!(
            r.step_due(CaseState::AwaitingCheck, t, None),
            Some(at("2026-11-23T17:00:00+08:00"))
        );
        // 派遣 1 h.
        assert_eq!(
            r.step_due(CaseState::Registered, t, None),
            Some(at("2026-11-23T12:00:00+08:00"))
        );
        // 处置: the case's deadline in force, whatever it is.
        let due = at("2026-11-24T10:00:00+08:00");
        assert_eq!(r.step_due(CaseState::InProgress, t, Some(due)), Some(due));
        assert_eq!(r.step_due(CaseState::Dispatched, t, Some(due)), Some(due));
        // 核查 4 h.
        assert_eq!(
            r.step_due(CaseState::Handled, t, None),
            Some(at("2026-11-23T17:00:00+08:00"))
        );
        for s in [
            CaseState::Returned,
            CaseState::Suspended,
            CaseState::Closed,
            CaseState::AwaitingPhotos,
        ] {
            assert_eq!(r.step_due(s, t, Some(due)), None, "{s:?}");
        }
    }

    #[test]
    fn an_extension_adds_working_hours_and_suspension_gives_back_the_time_left() {
        let r = rules();
        // Due Friday 16:00; 7 more working hours: 1.5 h Friday, then Monday 3.5 h before
        // noon and 2 after → 16:00.
        let due = at("2026-11-20T16:00:00+08:00");
        assert_eq!(
            r.extended(due, Duration::hours(7)),
            at("2026-11-23T16:00:00+08:00")
        );
        assert_eq!(r.extended(due, Duration::zero()), due);
        // Suspended Friday 10:00 with due Friday 16:00: 2 h before noon + 2 h after = 4 h
        // left. Resumed Tuesday 09:00: 3 h before noon, 1 h after → 15:00.
        assert_eq!(
            r.resumed(
                due,
                at("2026-11-20T10:00:00+08:00"),
                at("2026-11-24T09:00:00+08:00")
            ),
            at("2026-11-24T15:00:00+08:00")
        );
        // Already overdue when suspended: still the same deadline.
        assert_eq!(
            r.resumed(
                due,
                at("2026-11-20T17:00:00+08:00"),
                at("2026-11-24T09:00:00+08:00")
            ),
            due
        );
    }
}
