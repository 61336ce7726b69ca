//! Likely duplicates: two inspectors (or one, twice) reporting the same problem. A newly
//! received report is a likely duplicate of an earlier one with the same 小类 (the full
//! category code) observed within 50 m and 24 h of it. It is only *marked*, pointing at
//! the earliest such report; the team leader decides whether to merge.
//!
//! Positions are WGS-84 or CGCS2000, which agree to well under a metre for this purpose,
//! so distances are great-circle (haversine) distances on the raw coordinates.

use chrono::{DateTime, TimeDelta, Utc};
use geo::{Distance, Haversine, Point};
use gridwalk_protocol::{Report, ReportId};

/// How close counts as the same place.
pub const RADIUS_M: f64 = 50.0;

/// How close in time counts as the same problem.
pub const WINDOW: TimeDelta = TimeDelta::hours(24);

/// An earlier report that might be the same problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: ReportId,
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
        .filter(|c| (c.observed_at - at).abs() <= WINDOW)
        .filter(|c| Haversine.distance(here, Point::new(c.lon, c.lat)) <= RADIUS_M)
        .min_by_key(|c| (c.observed_at, c.id))
        .map(|c| c.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(lon: f64, lat: f64, at: DateTime<Utc>) -> Report {
        gridwalk_protocol::testing::report_at(lon, lat, at)
    }

    fn candidate(r: &Report) -> Candidate {
        Candidate {
            id: r.id,
            lon: r.location.lon,
            lat: r.location.lat,
            observed_at: r.observed_at.to_utc(),
        }
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
}
