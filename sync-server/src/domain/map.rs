//! The city map: every report a work queue's filter matches, as a point, over the centre's
//! own grid, drawn by the console without a tile server.
//!
//! The map takes exactly the queues' filters ([`super::queue::filter`]: states, place,
//! category, inspector, team, department, urgency, flags, deadlines, dates, search) within
//! the same reach (a team leader their team's reports, a department's clerk its cases, an
//! operator all), so a map and a list of one filter show the same reports. It has no pages:
//! a centre's open cases are a few thousand, so the map carries every matching report with a
//! position up to [`MAP_CAP`], in the filter's order, and says when there were more (the
//! order then decides which are shown: overdue first keeps the overdue ones). The console
//! clusters them itself as it zooms.
//!
//! The grid goes to the console as GeoJSON ([`grid_cells`]), each cell named by its street
//! and community, so the map can say where a cluster is without a second request.

use chrono::{DateTime, Utc};
use gridwalk_grid::Grid;
use gridwalk_protocol::map::{
    CellNames, CellPolygon, FeatureCollectionType, FeatureType, GridCell, GridCells, PolygonType,
};

use super::Denied;
use super::model::ReportFilter;
use super::queue::{self, Ask, Scope};

/// The most points one map carries (a city's open cases, with room to spare; about 2 MB
/// of JSON).
pub const MAP_CAP: usize = 20_000;

/// The filter of a map request within `scope` at `now`: the work queue's filter
/// ([`queue::filter`]) without its paging, carrying up to [`MAP_CAP`] reports. `Ok(None)`
/// when the request names a team or department out of scope (nothing can match).
pub fn filter(
    ask: &Ask,
    scope: Scope<'_>,
    now: DateTime<Utc>,
) -> Result<Option<ReportFilter>, Denied> {
    let unpaged = Ask {
        after: None,
        limit: None,
        ..ask.clone()
    };
    Ok(queue::filter(&unpaged, scope, now)?.map(|f| ReportFilter {
        limit: MAP_CAP,
        ..f
    }))
}

/// Whether a report whose current step is due at `step_due` is overdue at `now` (超期): the
/// step it waits on (受理, 派遣, 处置, 核查) is past its deadline, as the queues'
/// `due=overdue` filter says. A report waiting on no one (photos arriving, returned to the
/// inspector, suspended, finished) has no step deadline and is never overdue.
#[must_use]
pub fn overdue(step_due: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    step_due.is_some_and(|d| d < now)
}

/// The grid's cells as a GeoJSON FeatureCollection, by code, each named by its street and
/// community.
#[must_use]
pub fn grid_cells(grid: &Grid) -> GridCells {
    let ring = |line: &geo::LineString<f64>| line.coords().map(|c| [c.x, c.y]).collect();
    let mut features: Vec<GridCell> = grid
        .cells()
        .map(|c| {
            let code = c.code.as_str();
            GridCell {
                kind: FeatureType::Feature,
                id: c.code.clone(),
                properties: CellNames {
                    code: c.code.clone(),
                    street_code: code[..9].to_owned(),
                    street_name: c.street_name.clone(),
                    community_code: code[..12].to_owned(),
                    community_name: c.community_name.clone(),
                },
                geometry: CellPolygon {
                    kind: PolygonType::Polygon,
                    coordinates: std::iter::once(ring(c.polygon.exterior()))
                        .chain(c.polygon.interiors().iter().map(ring))
                        .collect(),
                },
            }
        })
        .collect();
    features.sort_by(|a, b| a.id.cmp(&b.id));
    GridCells {
        kind: FeatureCollectionType::FeatureCollection,
        features,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::{Duration, TimeZone};
    use gridwalk_protocol::console::QueueSort;

    use super::*;
    use gridwalk_protocol::CaseState;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, 9, 0, 0).unwrap()
    }

    #[test]
    fn a_map_takes_the_queues_filter_without_its_paging() {
        let ask = Ask {
            state: Some("dispatched".into()),
            due: Some("overdue".into()),
            sort: Some("overdue".into()),
            // Paging is the list's; the map ignores a cursor and a page size.
            after: Some("not a cursor".into()),
            limit: Some(100_000),
            ..Ask::default()
        };
        let leader = Scope {
            team: Some("T1"),
            department: None,
        };
        let f = filter(&ask, leader, now()).unwrap().unwrap();
        assert_eq!(f.states, vec![CaseState::Dispatched]);
        assert_eq!(f.team.as_deref(), Some("T1"), "the leader's team only");
        assert_eq!(
            f.sort,
            QueueSort::Overdue,
            "the order decides what a cap keeps"
        );
        assert_eq!((f.after, f.limit), (None, MAP_CAP));

        let elsewhere = Ask {
            team: Some("T2".into()),
            ..Ask::default()
        };
        assert_eq!(filter(&elsewhere, leader, now()).unwrap(), None);
        let bad = Ask {
            category: Some("5".into()),
            ..Ask::default()
        };
        let e = filter(&bad, Scope::default(), now()).unwrap_err();
        assert!(e.to_string().contains("not a category"), "{e}");
    }

    #[test]
    fn a_report_is_overdue_once_its_steps_deadline_has_passed() {
        let past = Some(now() - Duration::minutes(1));
        let ahead = Some(now() + Duration::minutes(1));
        assert!(overdue(past, now()));
        assert!(!overdue(ahead, now()));
        assert!(!overdue(None, now()), "waiting on no one");
    }

    #[test]
    fn the_grid_goes_out_as_geojson_with_its_names() {
        let grid = Grid::from_geojson(
            &std::fs::read_to_string(
                crate::testkit::fixtures().join("grid/440703-pengjiang.geojson"),
            )
            .unwrap(),
        )
        .unwrap();
        let cells = grid_cells(&grid);
        assert_eq!(cells.features.len(), grid.len());
        let first = &cells.features[0];
        assert_eq!(first.id.as_str(), "440703001001001");
        assert_eq!(first.properties.street_code, "440703001");
        assert_eq!(first.properties.community_code, "440703001001");
        assert_eq!(first.properties.street_name.as_deref(), Some("环市街道"));
        assert_eq!(first.properties.community_name.as_deref(), Some("东华社区"));
        let ring = &first.geometry.coordinates[0];
        assert_eq!(ring.first(), ring.last(), "a closed ring");
        assert_eq!(ring[0], [113.0606, 22.5979]);
        let json = serde_json::to_value(&cells).unwrap();
        assert_eq!(json["type"], "FeatureCollection");
        assert_eq!(json["features"][0]["type"], "Feature");
        assert_eq!(json["features"][0]["geometry"]["type"], "Polygon");
        assert!(
            cells.features.windows(2).all(|w| w[0].id < w[1].id),
            "by code"
        );
    }
}
