//! Where a report is, as the centre decides it. A device sends the cell its position fell
//! in and the location flags it raised; those are only its claim. The centre places the
//! position again in its own grid, with the same lookup the device uses
//! ([`gridwalk_grid`]), when a report arrives and when an edit moves it ([`settle`]). The
//! centre's cell and flags become the report's — what lists, a leader's scope and the
//! evaluation per cell count — and the device's claim is kept beside them whenever it
//! differs, with what a team leader should look at ([`PlaceDispute`]).
//!
//! A position in no cell keeps its report, with no cell and an `outside_grid` flag naming
//! the nearest cell, as on the device: an inspector standing outside the grid still
//! reports. A cell the centre does not have (`999999999999999`, or one from a grid redrawn
//! since) is never refused and never counted: the report gets the centre's cell, and the
//! claim is marked `unknown_cell`.

use std::collections::BTreeSet;

use gridwalk_grid::{Grid, MAX_ACCURACY_M};
use gridwalk_protocol::console::{CellName, PlaceClaim, PlaceDispute};
use gridwalk_protocol::{CellCode, LocationFlag, Report, ReportPatch};

/// A report placed by the centre: its record (with the centre's cell and flags) and what
/// the device claimed, if that differs.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub report: Report,
    pub claim: Option<PlaceClaim>,
}

impl Placed {
    /// The record as the device sent it.
    #[must_use]
    pub fn as_sent(&self) -> Report {
        as_sent(&self.report, self.claim.as_ref())
    }
}

impl From<Report> for Placed {
    /// A report whose claim the centre takes as it is.
    fn from(report: Report) -> Self {
        Self {
            report,
            claim: None,
        }
    }
}

/// What a new version does to the claim kept beside its report.
#[derive(Debug, Clone, PartialEq)]
pub enum ClaimChange {
    /// The version leaves the place alone: the claim stays as it was.
    Keep,
    /// The version placed the report again: this is now the claim (none: the device agreed).
    Set(Option<PlaceClaim>),
}

/// Places `report` in `grid`: its cell and flags become the centre's (judged with the
/// reporter's own cells, `reporter_cells`, and the standard accuracy limit), and the
/// device's claim is kept when it differs in any way.
#[must_use]
pub fn settle(mut report: Report, grid: &Grid, reporter_cells: &[CellCode]) -> Placed {
    let l = report.location;
    let centre = grid.assign(l.lon, l.lat, l.accuracy_m, MAX_ACCURACY_M, reporter_cells);
    let cell = std::mem::replace(&mut report.cell, centre.cell);
    let location_flags = std::mem::replace(&mut report.location_flags, centre.flags);
    if cell == report.cell && location_flags == report.location_flags {
        return report.into();
    }
    let disputes = disputes(grid, &report, cell.as_ref(), &location_flags);
    Placed {
        report,
        claim: Some(PlaceClaim {
            cell,
            location_flags,
            disputes,
        }),
    }
}

/// An edit's merged `record`: placed again when `patch` moved it (a new position, or the
/// device naming a cell), left as it is otherwise.
#[must_use]
pub fn after_edit(
    record: Report,
    patch: &ReportPatch,
    grid: &Grid,
    reporter_cells: &[CellCode],
) -> (Report, ClaimChange) {
    if patch.place.is_none() {
        return (record, ClaimChange::Keep);
    }
    let placed = settle(record, grid, reporter_cells);
    (placed.report, ClaimChange::Set(placed.claim))
}

/// The record as the device sent it: the centre's `record` with the claim put back.
#[must_use]
pub fn as_sent(record: &Report, claim: Option<&PlaceClaim>) -> Report {
    let mut sent = record.clone();
    if let Some(c) = claim {
        sent.cell.clone_from(&c.cell);
        sent.location_flags.clone_from(&c.location_flags);
    }
    sent
}

/// How the claim (`cell`, `flags`) disagrees with the centre's placing of `report`, in
/// what matters to a leader: a distance rounded otherwise, or a poor-fix limit stated
/// otherwise, is no dispute.
fn disputes(
    grid: &Grid,
    report: &Report,
    cell: Option<&CellCode>,
    flags: &[LocationFlag],
) -> Vec<PlaceDispute> {
    let mut out = Vec::new();
    match (cell, &report.cell) {
        (Some(c), _) if grid.cell(c).is_none() => out.push(PlaceDispute::UnknownCell),
        (Some(_), None) => out.push(PlaceDispute::PositionOutsideGrid),
        (claimed, centre) if claimed != centre.as_ref() => out.push(PlaceDispute::CellDisputed),
        _ => {}
    }
    if gist(flags) != gist(&report.location_flags) {
        out.push(PlaceDispute::FlagsDisputed);
    }
    out
}

/// Every cell a console answer about these reports (each with its device's claim, if kept)
/// mentions: each one's cell, the cells its location flags name, and the cell its device
/// claimed.
#[must_use]
pub fn cells_mentioned<'a>(
    reports: impl IntoIterator<Item = (&'a Report, Option<&'a PlaceClaim>)>,
) -> BTreeSet<CellCode> {
    let mut codes = BTreeSet::new();
    let flagged = |flags: &[LocationFlag], codes: &mut BTreeSet<CellCode>| {
        for f in flags {
            match f {
                LocationFlag::OutsideGrid {
                    nearest_cell: Some(c),
                    ..
                }
                | LocationFlag::OutsideMyCells { cell: c } => {
                    codes.insert(c.clone());
                }
                LocationFlag::OutsideGrid { .. } | LocationFlag::PoorAccuracy { .. } => {}
            }
        }
    };
    for (report, claim) in reports {
        codes.extend(report.cell.iter().cloned());
        flagged(&report.location_flags, &mut codes);
        if let Some(claim) = claim {
            codes.extend(claim.cell.iter().cloned());
            flagged(&claim.location_flags, &mut codes);
        }
    }
    codes
}

/// The names of these cells from the grid. A code the grid does not have (a device's
/// made-up or outdated claim) keeps its code alone, with no names.
#[must_use]
pub fn cell_names(grid: &Grid, codes: &BTreeSet<CellCode>) -> Vec<CellName> {
    codes
        .iter()
        .map(|code| {
            let cell = grid.cell(code);
            CellName {
                code: code.clone(),
                street: cell.and_then(|c| c.street_name.clone()),
                community: cell.and_then(|c| c.community_name.clone()),
            }
        })
        .collect()
}

/// The cell nearest a report outside the grid, as its `outside_grid` flag names it.
#[must_use]
pub fn nearest_cell(report: &Report) -> Option<&CellCode> {
    if report.cell.is_some() {
        return None;
    }
    report.location_flags.iter().find_map(|f| match f {
        LocationFlag::OutsideGrid { nearest_cell, .. } => nearest_cell.as_ref(),
        _ => None,
    })
}

/// What flags say, without their measurements: which flags, the nearest cell and the
/// foreign cell they name.
fn gist(flags: &[LocationFlag]) -> Vec<(u8, Option<&CellCode>)> {
    let mut out: Vec<_> = flags
        .iter()
        .map(|f| match f {
            LocationFlag::OutsideGrid { nearest_cell, .. } => (0, nearest_cell.as_ref()),
            LocationFlag::PoorAccuracy { .. } => (1, None),
            LocationFlag::OutsideMyCells { cell } => (2, Some(cell)),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// Two 0.001° squares side by side in 江门.
    fn grid() -> Grid {
        let square = |code: &str, x0: f64, y0: f64| {
            format!(
                r#"{{"type":"Feature","properties":{{"code":"{code}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}"#,
                x1 = x0 + 0.001,
                y1 = y0 + 0.001
            )
        };
        Grid::from_geojson(&format!(
            r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
            square("440703001001001", 113.080, 22.59),
            square("440703001001002", 113.081, 22.59),
        ))
        .unwrap()
    }

    fn code(s: &str) -> CellCode {
        s.parse().unwrap()
    }

    /// A report at (lon, lat) claiming `cell` with no flags.
    fn claiming(lon: f64, lat: f64, cell: Option<&str>) -> Report {
        let mut r = gridwalk_protocol::testing::report_at(lon, lat, chrono::Utc::now());
        r.cell = cell.map(code);
        r
    }

    #[test]
    fn a_claim_the_centre_shares_is_kept_as_it_is() {
        let r = claiming(113.0805, 22.5905, Some("440703001001001"));
        let placed = settle(r.clone(), &grid(), &[code("440703001001001")]);
        assert_eq!(placed, Placed::from(r));
    }

    #[test]
    fn a_report_in_beijing_claiming_a_jiangmen_cell_is_placed_outside_the_grid() {
        let r = claiming(116.3975, 39.9087, Some("440703001001001"));
        let placed = settle(r.clone(), &grid(), &[]);
        assert_eq!(placed.report.cell, None);
        assert_eq!(
            placed.report.location_flags,
            vec![LocationFlag::OutsideGrid {
                nearest_cell: None,
                distance_m: None
            }]
        );
        let claim = placed.claim.clone().unwrap();
        assert_eq!(claim.cell, Some(code("440703001001001")));
        assert!(claim.location_flags.is_empty());
        assert_eq!(
            claim.disputes,
            vec![
                PlaceDispute::PositionOutsideGrid,
                PlaceDispute::FlagsDisputed
            ]
        );
        assert_eq!(placed.as_sent(), r, "the claim restores what was sent");
    }

    #[test]
    fn a_made_up_cell_is_replaced_by_the_centres_and_marked_unknown() {
        let r = claiming(113.0815, 22.5905, Some("999999999999999"));
        let placed = settle(r, &grid(), &[code("440703001001002")]);
        assert_eq!(placed.report.cell, Some(code("440703001001002")));
        assert!(placed.report.location_flags.is_empty());
        assert_eq!(
            placed.claim.unwrap().disputes,
            vec![PlaceDispute::UnknownCell]
        );
    }

    #[test]
    fn another_cell_or_none_is_disputed_and_the_reporters_cells_are_the_centres() {
        let r = claiming(113.0815, 22.5905, Some("440703001001001"));
        let placed = settle(r, &grid(), &[code("440703001001001")]);
        assert_eq!(placed.report.cell, Some(code("440703001001002")));
        assert_eq!(
            placed.report.location_flags,
            vec![LocationFlag::OutsideMyCells {
                cell: code("440703001001002")
            }]
        );
        assert_eq!(
            placed.claim.unwrap().disputes,
            vec![PlaceDispute::CellDisputed, PlaceDispute::FlagsDisputed]
        );
        let none = settle(claiming(113.0815, 22.5905, None), &grid(), &[]);
        assert_eq!(
            none.claim.unwrap().disputes,
            vec![PlaceDispute::CellDisputed]
        );
    }

    #[test]
    fn a_hidden_poor_fix_is_disputed_but_a_distance_rounded_otherwise_is_not() {
        let mut r = claiming(113.0815, 22.5905, Some("440703001001002"));
        r.location.accuracy_m = 80.0;
        let placed = settle(r, &grid(), &[]);
        assert_eq!(
            placed.report.location_flags,
            vec![LocationFlag::PoorAccuracy {
                accuracy_m: 80.0,
                limit_m: MAX_ACCURACY_M
            }]
        );
        assert_eq!(
            placed.claim.unwrap().disputes,
            vec![PlaceDispute::FlagsDisputed]
        );

        // 0.001° east of the grid: outside, about 103 m from the second cell.
        let mut r = claiming(113.083, 22.5905, None);
        r.location_flags = vec![LocationFlag::OutsideGrid {
            nearest_cell: Some(code("440703001001002")),
            distance_m: Some(1.0),
        }];
        let placed = settle(r, &grid(), &[]);
        let claim = placed.claim.unwrap();
        assert!(claim.disputes.is_empty(), "{:?}", claim.disputes);
    }

    #[test]
    fn only_an_edit_that_moves_the_report_places_it_again() {
        let r = claiming(113.0815, 22.5905, Some("999999999999999"));
        let (kept, change) = after_edit(r.clone(), &ReportPatch::default(), &grid(), &[]);
        assert_eq!((kept, change), (r.clone(), ClaimChange::Keep));
        let moved = ReportPatch {
            place: Some(gridwalk_protocol::edit::Place {
                location: r.location,
                cell: r.cell.clone(),
                location_flags: vec![],
                address: r.address.clone(),
            }),
            ..ReportPatch::default()
        };
        let (placed, change) = after_edit(r, &moved, &grid(), &[]);
        assert_eq!(placed.cell, Some(code("440703001001002")));
        let ClaimChange::Set(Some(claim)) = change else {
            panic!("{change:?}");
        };
        assert_eq!(claim.disputes, vec![PlaceDispute::UnknownCell]);
    }

    #[test]
    fn an_outside_report_names_its_nearest_cell_and_every_cell_mentioned_is_named() {
        let named = Grid::from_geojson(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"440703001001001","street_name":"环市街道","community_name":"东华社区"},"geometry":{"type":"Polygon","coordinates":[[[113.08,22.59],[113.081,22.59],[113.081,22.591],[113.08,22.591],[113.08,22.59]]]}}]}"#,
        )
        .unwrap();
        // 0.001° east of the cell: outside the grid, the cell the nearest.
        let placed = settle(
            claiming(113.082, 22.5905, Some("999999999999999")),
            &named,
            &[],
        );
        assert_eq!(nearest_cell(&placed.report), Some(&code("440703001001001")));
        let codes = cells_mentioned([(&placed.report, placed.claim.as_ref())]);
        assert_eq!(
            codes.iter().map(CellCode::as_str).collect::<Vec<_>>(),
            ["440703001001001", "999999999999999"],
            "the nearest cell from the flag and the device's claimed cell"
        );
        let names = cell_names(&named, &codes);
        assert_eq!(names[0].street.as_deref(), Some("环市街道"));
        assert_eq!(names[0].community.as_deref(), Some("东华社区"));
        assert_eq!(
            names[1].street, None,
            "a cell the grid lacks keeps its bare code"
        );

        let inside = settle(claiming(113.0805, 22.5905, None), &named, &[]);
        assert_eq!(nearest_cell(&inside.report), None);
    }
}
