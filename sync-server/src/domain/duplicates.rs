//! Likely duplicates: two inspectors (or one, twice) reporting the same problem. A newly
//! received report is a likely duplicate of an earlier one with the same 小类 (the full
//! category code) observed within 50 m and 24 h of it. It is only *marked*, pointing at
//! the earliest such report; the team leader decides whether to merge.
//!
//! Registering (立案) a report that is linked by the mark to another one still standing is
//! refused until the person says they saw the warning ([`warning`]): a report marked a
//! likely duplicate of one that is not rejected, merged or closed, and a report that a
//! registered, dispatched or handled case is marked a likely duplicate of (registering it
//! would make a second case of one problem). A report only later reports duplicate is no
//! reason to warn: registering the earliest report is the right step, and the later ones
//! are merged into it. The warning names the other report as people know it (its case
//! number, or its category, reporter and time) with the distance and time between them.
//!
//! Positions are WGS-84 or CGCS2000, which agree to well under a metre for this purpose,
//! so distances are great-circle (haversine) distances on the raw coordinates.

use chrono::{DateTime, TimeDelta, Utc};
use geo::{Distance, Haversine, Point};
use gridwalk_protocol::message::{Message, msg};
use gridwalk_protocol::{CaseState, CategoryCode, CodeTable, Kind, Report, ReportId};

/// How close counts as the same place.
pub const RADIUS_M: f64 = 50.0;

/// How close in time counts as the same problem.
pub const WINDOW: TimeDelta = TimeDelta::hours(24);

/// An earlier report that might be the same problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: ReportId,
    /// Its filing: 部件 or 事件, and the 小类. A 部件 0102 (污水井盖) and an 事件 0102 (暴露垃圾)
    /// share a code and nothing else.
    pub kind: Kind,
    pub category: CategoryCode,
    pub lon: f64,
    pub lat: f64,
    pub observed_at: DateTime<Utc>,
}

impl Candidate {
    /// A report as a candidate for the reports after it.
    #[must_use]
    pub fn of(report: &Report) -> Self {
        Self {
            id: report.id,
            kind: report.kind,
            category: report.category.clone(),
            lon: report.location.lon,
            lat: report.location.lat,
            observed_at: report.observed_at.to_utc(),
        }
    }
}

/// A box in degrees (min lon, max lon, min lat, max lat) that holds every point within
/// [`RADIUS_M`] of (`lon`, `lat`), for a cheap first cut in SQL.
#[must_use]
pub fn search_box(lon: f64, lat: f64) -> (f64, f64, f64, f64) {
    // A degree of latitude is at least 110.5 km; a degree of longitude shrinks with cos(lat).
    let dlat = RADIUS_M / 110_500.0 * 1.1;
    let dlon = dlat / lat.to_radians().cos().abs().max(0.01);
    (lon - dlon, lon + dlon, lat - dlat, lat + dlat)
}

/// The earliest candidate (by observation time) that `report` likely duplicates.
#[must_use]
pub fn likely_duplicate_of(report: &Report, candidates: &[Candidate]) -> Option<ReportId> {
    let here = Point::new(report.location.lon, report.location.lat);
    let at = report.observed_at.to_utc();
    candidates
        .iter()
        .filter(|c| c.id != report.id)
        .filter(|c| c.kind == report.kind && c.category == report.category)
        .filter(|c| (c.observed_at - at).abs() <= WINDOW)
        .filter(|c| Haversine.distance(here, Point::new(c.lon, c.lat)) <= RADIUS_M)
        .min_by_key(|c| (c.observed_at, c.id))
        .map(|c| c.id)
}

/// A report linked to one being registered by the likely-duplicate mark (either way), as
/// held, with its reporter's name.
#[derive(Debug, Clone, PartialEq)]
pub struct Linked {
    pub record: Report,
    pub state: CaseState,
    pub duplicate_of: Option<ReportId>,
    pub case_no: Option<String>,
    pub reporter_name: String,
}

/// Whether registering `report` (marked a likely duplicate of `duplicate_of`) should wait
/// for the person to confirm, and the warning naming the other report, given the reports
/// `linked` to it by the mark and a code table to name categories with (`table_of` a
/// record's code table). Cases come first, then the report seen first.
pub fn warning<'a>(
    report: &Report,
    duplicate_of: Option<ReportId>,
    linked: &[Linked],
    table_of: impl Fn(&Report) -> Option<&'a CodeTable>,
) -> Option<Message> {
    likely(report, duplicate_of, linked).map(|l| l.say(false, table_of))
}

/// What the audit trail keeps of a registration the person confirmed after the
/// [`warning`]: the same other report, distance and time apart, as "registered although".
pub fn registered_despite<'a>(
    report: &Report,
    duplicate_of: Option<ReportId>,
    linked: &[Linked],
    table_of: impl Fn(&Report) -> Option<&'a CodeTable>,
) -> Option<Message> {
    likely(report, duplicate_of, linked).map(|l| l.say(true, table_of))
}

/// The other report a registration is likely a duplicate of, and how far apart they are.
struct Likely<'l> {
    other: &'l Linked,
    metres: f64,
    minutes: i64,
}

fn likely<'l>(
    report: &Report,
    duplicate_of: Option<ReportId>,
    linked: &'l [Linked],
) -> Option<Likely<'l>> {
    let standing = |l: &&Linked| {
        let earlier = Some(l.record.id) == duplicate_of
            && !matches!(
                l.state,
                CaseState::Rejected | CaseState::Merged | CaseState::Closed
            );
        let a_case = l.duplicate_of == Some(report.id)
            && matches!(
                l.state,
                CaseState::Registered | CaseState::Dispatched | CaseState::Handled
            );
        l.record.id != report.id && (earlier || a_case)
    };
    let other = linked
        .iter()
        .filter(standing)
        .min_by_key(|l| (l.case_no.is_none(), l.record.observed_at, l.record.id))?;
    let metres = Haversine
        .distance(
            Point::new(report.location.lon, report.location.lat),
            Point::new(other.record.location.lon, other.record.location.lat),
        )
        .round();
    let minutes = (report.observed_at - other.record.observed_at)
        .num_minutes()
        .abs();
    Some(Likely {
        other,
        metres,
        minutes,
    })
}

impl Likely<'_> {
    /// The warning, or (`despite`) the note that it was registered anyway.
    fn say<'a>(
        &self,
        despite: bool,
        table_of: impl Fn(&Report) -> Option<&'a CodeTable>,
    ) -> Message {
        let (metres, minutes) = (self.metres, self.minutes);
        let other = self.other;
        match (&other.case_no, despite) {
            (Some(case_no), false) => msg!(
                LIKELY_DUPLICATE_CASE,
                case_no = case_no,
                metres = metres,
                minutes = minutes
            ),
            (Some(case_no), true) => msg!(
                REGISTERED_DESPITE_CASE,
                case_no = case_no,
                metres = metres,
                minutes = minutes
            ),
            (None, false) => msg!(
                LIKELY_DUPLICATE,
                category = category_words(&other.record, table_of(&other.record)),
                reporter = &other.reporter_name,
                observed_at = other.record.observed_at.format("%Y-%m-%d %H:%M"),
                state = other.state.as_str(),
                metres = metres,
                minutes = minutes
            ),
            (None, true) => msg!(
                REGISTERED_DESPITE_REPORT,
                category = category_words(&other.record, table_of(&other.record)),
                reporter = &other.reporter_name,
                observed_at = other.record.observed_at.format("%Y-%m-%d %H:%M"),
                metres = metres,
                minutes = minutes
            ),
        }
    }
}

/// A report's 小类 as a message names it: its code and, when the table knows it, its name
/// ("0507 乱堆物堆料").
#[must_use]
pub fn category_words(r: &Report, table: Option<&CodeTable>) -> String {
    let name = table
        .and_then(|t| t.get(r.kind, &r.category))
        .map(|c| format!(" {}", c.name))
        .unwrap_or_default();
    format!("{}{name}", r.category.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(lon: f64, lat: f64, at: DateTime<Utc>) -> Report {
        gridwalk_protocol::testing::report_at(lon, lat, at)
    }

    fn candidate(r: &Report) -> Candidate {
        Candidate::of(r)
    }

    #[test]
    fn close_in_place_and_time_is_a_likely_duplicate() {
        let t = "2026-11-20T09:00:00Z"
            .parse::<DateTime<Utc>>()
            .expect("time");
        let first = report(113.0631, 22.5983, t);
        let earlier = [candidate(&first)];
        // 0.0004° of latitude is about 44 m; 0.0005° about 56 m.
        let near = report(113.0631, 22.5987, t + TimeDelta::hours(23));
        assert_eq!(likely_duplicate_of(&near, &earlier), Some(first.id));
        let before = report(113.0631, 22.5987, t - TimeDelta::hours(23));
        assert_eq!(likely_duplicate_of(&before, &earlier), Some(first.id));
        let far = report(113.0631, 22.5988, t + TimeDelta::hours(1));
        assert_eq!(likely_duplicate_of(&far, &earlier), None, "56 m away");
        let late = report(113.0631, 22.5983, t + TimeDelta::hours(25));
        assert_eq!(likely_duplicate_of(&late, &earlier), None, "25 h later");
        assert_eq!(likely_duplicate_of(&first, &earlier), None, "not itself");

        // Several match: the earliest observed wins.
        let a = report(113.06311, 22.5983, t - TimeDelta::hours(2));
        let b = report(113.0631, 22.5983, t - TimeDelta::hours(1));
        let new = report(113.0631, 22.5983, t);
        assert_eq!(
            likely_duplicate_of(&new, &[candidate(&b), candidate(&a)]),
            Some(a.id)
        );
    }

    #[test]
    fn a_component_and_an_event_of_the_same_code_are_not_the_same_problem() {
        let t = "2026-11-20T09:00:00Z"
            .parse::<DateTime<Utc>>()
            .expect("time");
        // 部件 0102 污水井盖 and 事件 0102 暴露垃圾, at the same spot, minutes apart.
        let mut cover = report(113.0631, 22.5983, t);
        cover.kind = Kind::Component;
        cover.category = "0102".parse().expect("code");
        let mut rubbish = report(113.0631, 22.5983, t + TimeDelta::minutes(5));
        rubbish.kind = Kind::Event;
        rubbish.category = "0102".parse().expect("code");
        assert_eq!(likely_duplicate_of(&rubbish, &[candidate(&cover)]), None);
        let mut again = rubbish.clone();
        again.id = ReportId::new();
        assert_eq!(
            likely_duplicate_of(&again, &[candidate(&rubbish)]),
            Some(rubbish.id)
        );
        // Another 小类 of the same kind at the same spot: not the same either.
        let mut other = rubbish.clone();
        other.id = ReportId::new();
        other.category = "0507".parse().expect("code");
        assert_eq!(likely_duplicate_of(&other, &[candidate(&rubbish)]), None);
    }

    #[test]
    fn the_search_box_holds_the_whole_circle() {
        let (lon0, lon1, lat0, lat1) = search_box(113.0631, 22.5983);
        let centre = Point::new(113.0631, 22.5983);
        for (lon, lat) in [
            (lon0, 22.5983),
            (lon1, 22.5983),
            (113.0631, lat0),
            (113.0631, lat1),
        ] {
            assert!(Haversine.distance(centre, Point::new(lon, lat)) > RADIUS_M);
        }
    }

    fn linked(r: &Report, state: CaseState, case_no: Option<&str>) -> Linked {
        Linked {
            record: r.clone(),
            state,
            duplicate_of: None,
            case_no: case_no.map(str::to_owned),
            reporter_name: "李晓明".into(),
        }
    }

    fn table() -> CodeTable {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/codes.json");
        CodeTable::from_json(&std::fs::read_to_string(path).expect("table")).expect("table")
    }

    #[test]
    fn registering_a_likely_duplicate_of_a_standing_report_is_warned_naming_it() {
        let t = "2026-11-20T09:00:00+08:00"
            .parse::<DateTime<Utc>>()
            .expect("time");
        let table = table();
        let tables = |_: &Report| Some(&table);
        let first = report(113.0631, 22.5983, t);
        let mut later = report(113.0631, 22.5986, t + TimeDelta::minutes(90));
        later.observed_at = later
            .observed_at
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset"));
        let warn = |state, case_no| {
            warning(
                &later,
                Some(first.id),
                &[linked(&first, state, case_no)],
                tables,
            )
        };
        let w = warn(CaseState::PendingReview, None).expect("warned");
        assert_eq!(w.code, "case.likely_duplicate");
        assert_eq!(w.params["category"], "0507 乱堆物堆料");
        assert_eq!(w.params["reporter"], "李晓明");
        assert_eq!(w.params["metres"], "33");
        assert_eq!(w.params["minutes"], "90");
        assert_eq!(w.params["state"], "pending_review");
        let case = warn(CaseState::Dispatched, Some("20261120-0003")).expect("warned");
        assert_eq!(case.code, "case.likely_duplicate_case");
        assert_eq!(case.params["case_no"], "20261120-0003");
        for done in [CaseState::Rejected, CaseState::Merged, CaseState::Closed] {
            assert_eq!(warn(done, None), None, "{done:?}");
        }
        assert_eq!(warning(&later, None, &[], tables), None);

        // The earlier report, being registered: later ones still waiting are no reason to
        // wait; one of them already a case is.
        let mut dup = linked(&later, CaseState::PendingReview, None);
        dup.duplicate_of = Some(first.id);
        assert_eq!(warning(&first, None, &[dup.clone()], tables), None);
        dup.state = CaseState::Registered;
        dup.case_no = Some("20261120-0004".into());
        let w = warning(&first, None, &[dup], tables).expect("a case already");
        assert_eq!(w.params["case_no"], "20261120-0004");
    }
}
