//! Grid lookup: which 单元网格 a point falls in, and what a team leader should know about
//! the position (the location flags). One implementation for both sides: the tablet
//! places a report as it is captured, and the centre places it again, against its own grid,
//! when the report arrives — the centre's answer is the one the case store keeps.
//!
//! Cells are polygons loaded from GeoJSON at run time. Their bounding boxes go into an
//! R-tree (rstar); a lookup asks the tree for the few boxes containing the point and tests
//! the polygons exactly. A point on a shared edge belongs to the cell with the lowest code,
//! so the answer never depends on load order.
//!
//! Distances are computed in a local equirectangular projection around the query point:
//! within a district (tens of km) its error is far below GPS accuracy, and it keeps the
//! geometry planar and fast.

#![forbid(unsafe_code)]

use geo::{Contains, Coord, Distance, Euclidean, LineString, Point, Polygon};
use gridwalk_protocol::CellCode;
use gridwalk_protocol::report::LocationFlag;
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde::Serialize;

/// The GeoJSON crate cells are read with, for callers that hold features as text.
pub use geojson;

/// A grid file that cannot be used, in words naming the feature or cell.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("grid: {0}")]
pub struct Error(String);

pub type Result<T> = std::result::Result<T, Error>;

/// The accuracy (metres, one standard deviation) beyond which a fix is flagged as poor,
/// unless a device is configured otherwise; the centre judges every report by it.
pub const MAX_ACCURACY_M: f64 = 30.0;

const METRES_PER_DEG_LAT: f64 = 110_574.0;
const METRES_PER_DEG_LON_EQUATOR: f64 = 111_320.0;
/// How far to look for the nearest cell of a point that lies in none.
const NEAREST_SEARCH_M: f64 = 5_000.0;

/// One grid cell.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub code: CellCode,
    pub street_name: Option<String>,
    pub community_name: Option<String>,
    #[serde(skip)]
    pub polygon: Polygon<f64>,
}

/// All cells of a district with a spatial index over them. The default grid has no cells
/// (a centre before its cells are loaded): every position lies outside it.
#[derive(Debug, Default)]
pub struct Grid {
    cells: Vec<Cell>,
    tree: RTree<GeomWithData<Rectangle<[f64; 2]>, usize>>,
}

/// The outcome of placing a position in the grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellAssignment {
    pub cell: Option<CellCode>,
    pub flags: Vec<LocationFlag>,
}

impl Grid {
    /// Parses a GeoJSON FeatureCollection whose features are Polygons with a `code` property.
    pub fn from_geojson(text: &str) -> Result<Self> {
        let fc: geojson::FeatureCollection = text
            .parse()
            .map_err(|e: geojson::Error| Error(e.to_string()))?;
        Self::from_features(fc.features)
    }

    /// Builds the grid from GeoJSON features (Polygons with a `code` property).
    pub fn from_features(features: Vec<geojson::Feature>) -> Result<Self> {
        let bad = Error;
        let mut cells = Vec::with_capacity(features.len());
        for (i, feature) in features.into_iter().enumerate() {
            let prop = |k: &str| {
                feature
                    .property(k)
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            };
            let code: CellCode = prop("code")
                .ok_or_else(|| bad(format!("feature {i} has no \"code\" property")))?
                .parse()
                .map_err(|e| bad(format!("feature {i}: {e}")))?;
            let geometry = feature
                .geometry
                .as_ref()
                .ok_or_else(|| bad(format!("cell {code} has no geometry")))?;
            let polygon =
                polygon(geometry).map_err(|e| bad(format!("cell {code} is not a polygon: {e}")))?;
            cells.push(Cell {
                street_name: prop("street_name"),
                community_name: prop("community_name"),
                code,
                polygon,
            });
        }
        if cells.is_empty() {
            return Err(bad("no cells".into()));
        }
        cells.sort_by(|a, b| a.code.cmp(&b.code));
        if let Some(w) = cells.windows(2).find(|w| w[0].code == w[1].code) {
            return Err(bad(format!("cell {} appears twice", w[0].code)));
        }
        let tree = RTree::bulk_load(
            cells
                .iter()
                .enumerate()
                .filter_map(|(i, c)| {
                    let b = geo::BoundingRect::bounding_rect(&c.polygon)?;
                    Some(GeomWithData::new(
                        Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]),
                        i,
                    ))
                })
                .collect(),
        );
        Ok(Self { cells, tree })
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    pub fn cells(&self) -> impl Iterator<Item = &Cell> {
        self.cells.iter()
    }

    /// The cell with this code, if the grid has it.
    #[must_use]
    pub fn cell(&self, code: &CellCode) -> Option<&Cell> {
        self.cells
            .binary_search_by(|c| c.code.cmp(code))
            .ok()
            .map(|i| &self.cells[i])
    }

    /// The cell containing (lon, lat), if any.
    #[must_use]
    pub fn cell_at(&self, lon: f64, lat: f64) -> Option<&Cell> {
        let p = Point::new(lon, lat);
        self.tree
            .locate_all_at_point(&[lon, lat])
            .map(|hit| &self.cells[hit.data])
            .filter(|c| c.polygon.contains(&p) || c.polygon.exterior().contains(&p))
            .min_by(|a, b| a.code.cmp(&b.code))
    }

    /// The nearest cell to a point outside the grid and its distance in metres, searching
    /// up to 5 km away.
    #[must_use]
    pub fn nearest(&self, lon: f64, lat: f64) -> Option<(&Cell, f64)> {
        let (kx, ky) = metres_per_degree(lat);
        let rx = NEAREST_SEARCH_M / kx;
        let ry = NEAREST_SEARCH_M / ky;
        let window = AABB::from_corners([lon - rx, lat - ry], [lon + rx, lat + ry]);
        self.tree
            .locate_in_envelope_intersecting(&window)
            .map(|hit| {
                let cell = &self.cells[hit.data];
                (cell, distance_m(&cell.polygon, lon, lat))
            })
            .filter(|(_, d)| *d <= NEAREST_SEARCH_M)
            .min_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.code.cmp(&b.0.code)))
    }

    /// Places a fix in the grid and flags what a team leader should know. Never refuses:
    /// an inspector standing outside the grid, or under trees with a poor fix, still reports.
    #[must_use]
    pub fn assign(
        &self,
        lon: f64,
        lat: f64,
        accuracy_m: f64,
        max_accuracy_m: f64,
        my_cells: &[CellCode],
    ) -> CellAssignment {
        let mut flags = Vec::new();
        let cell = self.cell_at(lon, lat).map(|c| c.code.clone());
        match &cell {
            None => {
                let nearest = self.nearest(lon, lat);
                flags.push(LocationFlag::OutsideGrid {
                    nearest_cell: nearest.map(|(c, _)| c.code.clone()),
                    distance_m: nearest.map(|(_, d)| d.round()),
                });
            }
            Some(code) if !my_cells.is_empty() && !my_cells.contains(code) => {
                flags.push(LocationFlag::OutsideMyCells { cell: code.clone() });
            }
            Some(_) => {}
        }
        // NaN (no stated accuracy) counts as poor.
        if accuracy_m.is_nan() || accuracy_m > max_accuracy_m {
            flags.push(LocationFlag::PoorAccuracy {
                accuracy_m,
                limit_m: max_accuracy_m,
            });
        }
        CellAssignment { cell, flags }
    }
}

/// A cell's geometry as a polygon. The geojson crate takes a position's first two numbers
/// without looking at how many there are, so a position like `[113.06]` would panic in its
/// conversion (georust/geojson#224): every position is checked first.
fn polygon(geometry: &geojson::Geometry) -> std::result::Result<Polygon<f64>, String> {
    if let geojson::GeometryValue::Polygon { coordinates } = &geometry.value
        && let Some(p) = coordinates.iter().flatten().find(|p| p.len() < 2)
    {
        return Err(format!(
            "position {:?} has fewer than two numbers",
            p.as_slice()
        ));
    }
    Polygon::try_from(&geometry.value).map_err(|e| e.to_string())
}

fn metres_per_degree(lat: f64) -> (f64, f64) {
    (
        METRES_PER_DEG_LON_EQUATOR * lat.to_radians().cos(),
        METRES_PER_DEG_LAT,
    )
}

/// Distance in metres from (lon, lat) to a polygon, in a projection centred on the point.
fn distance_m(polygon: &Polygon<f64>, lon: f64, lat: f64) -> f64 {
    let (kx, ky) = metres_per_degree(lat);
    let ring: LineString<f64> = polygon
        .exterior()
        .coords()
        .map(|c| Coord {
            x: (c.x - lon) * kx,
            y: (c.y - lat) * ky,
        })
        .collect();
    Euclidean.distance(&Point::new(0.0, 0.0), &Polygon::new(ring, vec![]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two 0.001° squares side by side at lat 22.59, plus one far away.
    fn grid() -> Grid {
        let square = |code: &str, x0: f64, y0: f64| {
            format!(
                r#"{{"type":"Feature","properties":{{"code":"{code}"}},"geometry":{{"type":"Polygon","coordinates":[[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]]}}}}"#,
                x1 = x0 + 0.001,
                y1 = y0 + 0.001
            )
        };
        let text = format!(
            r#"{{"type":"FeatureCollection","features":[{},{},{}]}}"#,
            square("440703001001002", 113.081, 22.59),
            square("440703001001001", 113.080, 22.59),
            square("440703009009009", 113.2, 22.7),
        );
        Grid::from_geojson(&text).expect("grid")
    }

    fn code(s: &str) -> CellCode {
        s.parse().expect("code")
    }

    #[test]
    fn finds_the_containing_cell() {
        let g = grid();
        assert_eq!(g.len(), 3);
        assert_eq!(
            g.cell_at(113.0805, 22.5905).map(|c| c.code.as_str()),
            Some("440703001001001")
        );
        assert_eq!(
            g.cell_at(113.0815, 22.5905).map(|c| c.code.as_str()),
            Some("440703001001002")
        );
        assert!(g.cell_at(113.09, 22.5905).is_none());
    }

    #[test]
    fn shared_edge_goes_to_the_lowest_code() {
        let g = grid();
        assert_eq!(
            g.cell_at(113.081, 22.5905).map(|c| c.code.as_str()),
            Some("440703001001001")
        );
    }

    #[test]
    fn outside_is_flagged_with_the_nearest_cell() {
        let g = grid();
        // 0.001° of longitude east of the second cell ≈ 102.7 m at this latitude.
        let a = g.assign(113.083, 22.5905, 5.0, 30.0, &[]);
        assert_eq!(a.cell, None);
        let [
            LocationFlag::OutsideGrid {
                nearest_cell,
                distance_m,
            },
        ] = a.flags.as_slice()
        else {
            panic!("unexpected flags {:?}", a.flags);
        };
        assert_eq!(
            nearest_cell.as_ref().map(CellCode::as_str),
            Some("440703001001002")
        );
        let d = distance_m.expect("distance");
        assert!((100.0..105.0).contains(&d), "{d}");
        // Beyond the search radius there is no nearest cell, but still a flag.
        let far = g.assign(100.0, 10.0, 5.0, 30.0, &[]);
        assert_eq!(
            far.flags,
            vec![LocationFlag::OutsideGrid {
                nearest_cell: None,
                distance_m: None
            }]
        );
    }

    #[test]
    fn poor_fix_and_foreign_cell_are_flagged_not_refused() {
        let g = grid();
        let a = g.assign(113.0805, 22.5905, 45.0, 30.0, &[code("440703001001002")]);
        assert_eq!(a.cell, Some(code("440703001001001")));
        assert_eq!(
            a.flags,
            vec![
                LocationFlag::OutsideMyCells {
                    cell: code("440703001001001")
                },
                LocationFlag::PoorAccuracy {
                    accuracy_m: 45.0,
                    limit_m: 30.0
                },
            ]
        );
        let nan = g.assign(113.0805, 22.5905, f64::NAN, 30.0, &[]);
        assert!(matches!(
            nan.flags.as_slice(),
            [LocationFlag::PoorAccuracy { .. }]
        ));
    }

    #[test]
    fn cells_are_found_by_code() {
        let g = grid();
        assert!(g.cell(&code("440703001001002")).is_some());
        assert!(g.cell(&code("999999999999999")).is_none());
    }

    #[test]
    fn an_empty_grid_places_every_position_outside() {
        let g = Grid::default();
        assert!(g.is_empty());
        let a = g.assign(113.0805, 22.5905, 5.0, MAX_ACCURACY_M, &[]);
        assert_eq!(a.cell, None);
        assert_eq!(
            a.flags,
            vec![LocationFlag::OutsideGrid {
                nearest_cell: None,
                distance_m: None
            }]
        );
    }

    /// Found by the geojson fuzz target: a position with one number panicked in the
    /// geojson crate's conversion instead of refusing the file.
    #[test]
    fn a_position_of_one_number_is_refused_not_a_panic() {
        let err = Grid::from_geojson(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"881406002002002"},"geometry":{"type":"Polygon","coordinates":[[[113.061534,22.59785],[113.062511985],[113.0625119,22.2989857],[113.061534,22.59785]]]}}]}"#,
        )
        .expect_err("a one-number position");
        assert!(
            err.to_string()
                .contains("cell 881406002002002 is not a polygon")
                && err.to_string().contains("fewer than two numbers"),
            "{err}"
        );
        let err = Grid::from_geojson(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"881406002002002"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[]]]}}]}"#,
        )
        .expect_err("an empty position in a hole");
        assert!(err.to_string().contains("fewer than two numbers"), "{err}");
    }

    #[test]
    fn bad_files_are_named() {
        let err =
            Grid::from_geojson(r#"{"type":"FeatureCollection","features":[]}"#).expect_err("empty");
        assert!(err.to_string().contains("no cells"));
        let err = Grid::from_geojson(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"123"},"geometry":null}]}"#,
        )
        .expect_err("bad code");
        assert!(
            err.to_string().contains("must be exactly 15 digits"),
            "{err}"
        );
    }
}
