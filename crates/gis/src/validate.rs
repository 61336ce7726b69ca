//! The checks a grid must pass before it is stored, each problem in words a GIS person can
//! act on: which row, which cell, what is wrong, and where.
//!
//! Geometry is checked in WGS-84 after the projection, so a wrong CRS shows as positions
//! outside China. Overlaps and gaps are measured in metres on a local plane around the
//! grid (an equirectangular projection about its centre: over a district its scale error
//! is a fraction of a percent, plenty to tell a sliver from a real overlap): overlaps
//! between every pair of cells whose bounding boxes meet (an R-tree finds them), gaps as
//! the holes of the union of all cells.

use std::fmt;

use geo::orient::Direction;
use geo::{
    Area, BooleanOps, BoundingRect, Centroid, Coord, MapCoords, MultiPolygon, Orient, Polygon,
    Validation,
};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde::Serialize;

use crate::ImportedCell;
use crate::crs::{Crs, ToWgs84};
use crate::source::SourceFeature;

/// What kind of problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    MissingCode,
    BadCode,
    CodePrefix,
    Duplicate,
    NotAPolygon,
    InvalidGeometry,
    OutsideChina,
    Overlap,
    Gap,
}

/// One problem with the file.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// The feature's row (1-based, file order); 0 for a gap, which is no feature's.
    pub row: usize,
    /// The cell code as the file gives it, when it gives one.
    pub code: Option<String>,
    pub kind: ProblemKind,
    pub message: String,
    /// Where (lon, lat in WGS-84), when a place can be named.
    pub at: Option<(f64, f64)>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.row > 0 {
            write!(f, "row {}", self.row)?;
            if let Some(code) = &self.code {
                write!(f, " ({code})")?;
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)?;
        if let Some((lon, lat)) = self.at {
            write!(f, " at {lon:.6}, {lat:.6}")?;
        }
        Ok(())
    }
}

fn problem(row: usize, code: &str, kind: ProblemKind, message: String) -> Problem {
    Problem {
        row,
        code: (!code.is_empty()).then(|| code.to_owned()),
        kind,
        message,
        at: None,
    }
}

/// The feature's polygon in WGS-84, or `None` with the problem recorded.
pub(crate) fn polygon_in_wgs84(
    f: &SourceFeature,
    code: &str,
    crs: &Crs,
    to_wgs84: &ToWgs84,
    problems: &mut Vec<Problem>,
) -> Option<Polygon<f64>> {
    let polygon = match &f.geometry {
        Some(geo::Geometry::Polygon(p)) => p.clone(),
        Some(geo::Geometry::MultiPolygon(m)) if m.0.len() == 1 => m.0[0].clone(),
        Some(geo::Geometry::MultiPolygon(m)) if m.0.len() > 1 => {
            problems.push(problem(
                f.row,
                code,
                ProblemKind::NotAPolygon,
                format!(
                    "the cell has {} separate parts; a 单元网格 is one polygon",
                    m.0.len()
                ),
            ));
            return None;
        }
        Some(other) => {
            problems.push(problem(
                f.row,
                code,
                ProblemKind::NotAPolygon,
                format!("the geometry is a {}, not a polygon", kind_name(other)),
            ));
            return None;
        }
        None => {
            problems.push(problem(
                f.row,
                code,
                ProblemKind::NotAPolygon,
                "the feature has no geometry".to_owned(),
            ));
            return None;
        }
    };
    let first = polygon.exterior().0.first().copied();
    let moved = polygon.map_coords(|c| match to_wgs84.point(c.x, c.y) {
        Some((x, y)) => Coord { x, y },
        None => Coord {
            x: f64::NAN,
            y: f64::NAN,
        },
    });
    let failed = moved
        .exterior()
        .coords()
        .chain(moved.interiors().iter().flat_map(|r| r.coords()))
        .any(|c| c.x.is_nan());
    let in_china = |c: &Coord<f64>| (73.0..=136.0).contains(&c.x) && (3.0..=54.0).contains(&c.y);
    if failed || !moved.exterior().coords().all(in_china) {
        let mut message = match moved.exterior().0.first() {
            Some(c) if !failed => format!(
                "the cell lies outside China (its first corner comes to {:.4}, {:.4} in \
                 WGS-84): the file's coordinates are not in {crs}",
                c.x, c.y
            ),
            _ => format!("the cell's coordinates cannot be taken from {crs} to WGS-84"),
        };
        if let (Some(first), Crs::GaussKruger { false_easting, .. }) = (first, crs) {
            message.push_str(&easting_hint(first.x, *false_easting));
        }
        problems.push(problem(f.row, code, ProblemKind::OutsideChina, message));
        return None;
    }
    if let Err(e) = moved.check_validation() {
        let mut p = problem(
            f.row,
            code,
            ProblemKind::InvalidGeometry,
            format!("the polygon is not valid: {e}"),
        );
        p.at = moved.exterior().0.first().map(|c| (c.x, c.y));
        problems.push(p);
        return None;
    }
    // Exterior counter-clockwise, holes clockwise (RFC 7946; Shapefiles have it the other
    // way round), so areas and containment read the polygon as meant.
    Some(moved.orient(Direction::Default))
}

/// Why eastings might not match a Gauss-Krüger CRS: the zone number in front or not.
fn easting_hint(x: f64, false_easting: f64) -> String {
    let with_prefix = false_easting >= 1_000_000.0;
    if x >= 1_000_000.0 && !with_prefix {
        #[allow(clippy::cast_possible_truncation)]
        let zone = (x / 1_000_000.0).floor() as i64;
        format!(
            "; its eastings (e.g. {x:.0}) carry a zone number ({zone}) in front, which this \
             CRS does not: the file is probably in the zone's CRS with the number"
        )
    } else if x < 1_000_000.0 && with_prefix {
        format!(
            "; its eastings (e.g. {x:.0}) carry no zone number, which this CRS expects \
             (false easting {false_easting:.0}): the file is probably in the CRS without it \
             (by central meridian)"
        )
    } else {
        String::new()
    }
}

fn kind_name(g: &geo::Geometry<f64>) -> &'static str {
    match g {
        geo::Geometry::Point(_) => "point",
        geo::Geometry::MultiPoint(_) => "multipoint",
        geo::Geometry::Line(_) | geo::Geometry::LineString(_) => "line",
        geo::Geometry::MultiLineString(_) => "multiline",
        geo::Geometry::GeometryCollection(_) => "collection",
        geo::Geometry::Rect(_) | geo::Geometry::Triangle(_) => "rectangle",
        geo::Geometry::Polygon(_) | geo::Geometry::MultiPolygon(_) => "polygon",
    }
}

/// Codes: present, 15 digits, starting with their street's (9) and community's (12) codes
/// when those are given, and each once.
pub(crate) fn codes(cells: &[ImportedCell], problems: &mut Vec<Problem>) {
    let mut seen: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for c in cells {
        let code = c.code.as_str();
        if code.is_empty() {
            problems.push(problem(
                c.row,
                code,
                ProblemKind::MissingCode,
                "the feature has no cell code".to_owned(),
            ));
            continue;
        }
        if code.len() != 15 || !code.bytes().all(|b| b.is_ascii_digit()) {
            problems.push(problem(
                c.row,
                code,
                ProblemKind::BadCode,
                format!(
                    "the cell code \"{code}\" is not 15 digits (6 district, 3 street, 3 \
                     community, 3 cell)"
                ),
            ));
        } else {
            for (what, given, len) in [
                ("street", &c.street_code, 9),
                ("community", &c.community_code, 12),
            ] {
                if let Some(given) = given
                    && (given.len() != len || !code.starts_with(given.as_str()))
                {
                    problems.push(problem(
                        c.row,
                        code,
                        ProblemKind::CodePrefix,
                        format!(
                            "the cell code does not start with its {what} code {given} (its \
                             first {len} digits are {})",
                            &code[..len]
                        ),
                    ));
                }
            }
        }
        if let Some(first) = seen.insert(code, c.row) {
            problems.push(problem(
                c.row,
                code,
                ProblemKind::Duplicate,
                format!("the cell code is also on row {first}"),
            ));
            seen.insert(code, first);
        }
    }
}

const METRES_PER_DEG: f64 = 111_320.0;

/// Overlaps between cells and gaps among them, larger than `tolerance_m2`.
pub(crate) fn overlaps_and_gaps(
    cells: &[ImportedCell],
    tolerance_m2: f64,
    problems: &mut Vec<Problem>,
) {
    let valid: Vec<(&ImportedCell, &Polygon<f64>)> = cells
        .iter()
        .filter_map(|c| c.polygon.as_ref().map(|p| (c, p)))
        .collect();
    let Some(centre) = valid
        .iter()
        .filter_map(|(_, p)| p.centroid())
        .reduce(|a, b| a + b)
        .map(|sum| sum / valid.len() as f64)
    else {
        return;
    };
    let k = centre.y().to_radians().cos();
    let local = |p: &Polygon<f64>| {
        p.map_coords(|c| Coord {
            x: (c.x - centre.x()) * METRES_PER_DEG * k,
            y: (c.y - centre.y()) * METRES_PER_DEG,
        })
    };
    let back = |c: Coord<f64>| {
        (
            c.x / (METRES_PER_DEG * k) + centre.x(),
            c.y / METRES_PER_DEG + centre.y(),
        )
    };
    let planar: Vec<Polygon<f64>> = valid.iter().map(|(_, p)| local(p)).collect();
    let tree = RTree::bulk_load(
        planar
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let b = p.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]),
                    i,
                ))
            })
            .collect(),
    );
    for (i, p) in planar.iter().enumerate() {
        let Some(b) = p.bounding_rect() else { continue };
        let envelope = AABB::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]);
        for other in tree.locate_in_envelope_intersecting(&envelope) {
            let j = other.data;
            if j <= i {
                continue;
            }
            let shared = p.intersection(&planar[j]);
            let area = shared.unsigned_area();
            if area > tolerance_m2 {
                let (a, b) = (valid[i].0, valid[j].0);
                let mut found = problem(
                    a.row,
                    &a.code,
                    ProblemKind::Overlap,
                    format!(
                        "the cell overlaps {} (row {}) by {area:.0} m²",
                        b.code, b.row
                    ),
                );
                found.at = shared.centroid().map(|c| back(c.0));
                problems.push(found);
            }
        }
    }
    let union = geo::unary_union(&planar);
    for part in &union.0 {
        for hole in part.interiors() {
            // The hole's ring may enclose cells of its own (an island of cells inside the
            // gap): the gap is what no cell covers.
            let hole = Polygon::new(hole.clone(), vec![]);
            let uncovered: MultiPolygon<f64> = hole.difference(&union);
            let area = uncovered.unsigned_area();
            if area <= tolerance_m2 {
                continue;
            }
            let around: Vec<String> = hole
                .bounding_rect()
                .map(|b| {
                    let envelope =
                        AABB::from_corners([b.min().x, b.min().y], [b.max().x, b.max().y]);
                    let mut codes: Vec<String> = tree
                        .locate_in_envelope_intersecting(&envelope)
                        .map(|g| valid[g.data].0.code.clone())
                        .collect();
                    codes.sort();
                    codes
                })
                .unwrap_or_default();
            problems.push(Problem {
                row: 0,
                code: None,
                kind: ProblemKind::Gap,
                message: format!(
                    "a gap of {area:.0} m² no cell covers, among {}",
                    around.join(", ")
                ),
                at: uncovered.centroid().map(|c| back(c.0)),
            });
        }
    }
}
