//! The centre's case rules, as data loaded with the fixtures (`case-rules.json`): the
//! working calendar, the departments cases are dispatched to, and the time limits
//! (处置时限) in working hours: one for handling (by category, shorter when urgent) and one
//! for verification (核查).
//!
//! The deadlines a step sets are pure functions of the rules and the time of the step.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use gridwalk_protocol::console::Department;
use gridwalk_protocol::{Report, Urgency};
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
    #[serde(default)]
    by_category: BTreeMap<String, f64>,
}

/// The case rules.
#[derive(Debug, Clone)]
pub struct CaseRules {
    pub calendar: WorkingCalendar,
    pub departments: Vec<Department>,
    handling: Duration,
    urgent: Duration,
    verify: Duration,
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
}
