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
    WrongZone,
    OutsideChina,
    WrongPlace,
    Overlap,
    Gap,
    /// A component's 小类 is not a 部件 category of any stored code table.
    UnknownCategory,
    /// A component stands in no stored cell, or in one of another district.
    OutsideGrid,
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

pub(crate) fn problem(row: usize, code: &str, kind: ProblemKind, message: String) -> Problem {
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
                f.unreadable
                    .clone()
                    .unwrap_or_else(|| "the feature has no geometry".to_owned()),
            ));
            return None;
        }
    };
    let points =
        polygon.exterior().0.len() + polygon.interiors().iter().map(|r| r.0.len()).sum::<usize>();
    if points > crate::wkb::MAX_POINTS {
        problems.push(problem(
            f.row,
            code,
            ProblemKind::InvalidGeometry,
            format!(
                "the polygon has {points} points, more than {}; simplify it (a cell needs a \
                 few hundred at most)",
                crate::wkb::MAX_POINTS
            ),
        ));
        return None;
    }
    if let (Some(first), Crs::GaussKruger { false_easting, .. }) =
        (polygon.exterior().0.first(), crs)
        && let Some(message) = zone_mismatch(&polygon, *false_easting, crs)
    {
        let mut p = problem(f.row, code, ProblemKind::WrongZone, message);
        p.at = to_wgs84.point(first.x, first.y);
        problems.push(p);
        return None;
    }
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
    // In metres on a plane about the cell: a ring folded onto itself has no orientation,
    // and a geodesic area of it comes out as the whole Earth.
    let area = moved.unsigned_area()
        * METRES_PER_DEG
        * METRES_PER_DEG
        * moved.centroid().map_or(1.0, |c| c.y().to_radians().cos());
    if area.is_nan() || area < MIN_AREA_M2 {
        let mut p = problem(
            f.row,
            code,
            ProblemKind::InvalidGeometry,
            format!("the polygon encloses {area:.1} m²: no cell is that small"),
        );
        p.at = moved.exterior().0.first().map(|c| (c.x, c.y));
        problems.push(p);
        return None;
    }
    // Exterior counter-clockwise, holes clockwise (RFC 7946; Shapefiles have it the other
    // way round), so areas and containment read the polygon as meant.
    Some(moved.orient(Direction::Default))
}

/// The smallest cell there can be. A 单元网格 is about 10,000 m²; a polygon of less than
/// a parking space is a slip of the mouse, or a ring folded onto itself.
const MIN_AREA_M2: f64 = 10.0;

/// Half the width a Gauss-Krüger zone is used to on either side of its central meridian,
/// in metres: 6° zones are about 330 km each way at China's southern tip, 3° zones half
/// that; beyond this an easting is not of the zone the CRS names.
const ZONE_HALF_WIDTH_M: f64 = 400_000.0;

/// Whether the polygon's eastings belong to the zone the CRS names. With the zone number
/// in front, every easting starts with it (zone 38: 38 xxx xxx m); without, eastings lie
/// within a zone's width of 500 000 m. A file in zone 39 read as zone 38 would otherwise
/// land hundreds of kilometres away, still in China.
fn zone_mismatch(polygon: &Polygon<f64>, false_easting: f64, crs: &Crs) -> Option<String> {
    let x = polygon.exterior().0.iter().map(|c| c.x).find(|x| {
        let zone_of = |v: f64| (v / 1_000_000.0).floor();
        if false_easting >= 1_000_000.0 {
            zone_of(*x) != zone_of(false_easting)
        } else {
            (x - false_easting).abs() > ZONE_HALF_WIDTH_M
        }
    })?;
    if false_easting >= 1_000_000.0 && x >= 1_000_000.0 {
        #[allow(clippy::cast_possible_truncation)]
        let (zone, named) = (
            (x / 1_000_000.0).floor() as i64,
            (false_easting / 1_000_000.0).floor() as i64,
        );
        return Some(format!(
            "its easting {x:.0} is in Gauss-Krüger zone {zone}, but the file's CRS is zone \
             {named} ({crs}): the .prj or --crs names the wrong zone"
        ));
    }
    let mut message = format!(
        "its easting {x:.0} is not of a zone of {crs} (eastings lie within {:.0} km of \
         {false_easting:.0})",
        ZONE_HALF_WIDTH_M / 1000.0
    );
    message.push_str(&easting_hint(x, false_easting));
    Some(message)
}

/// Why eastings might not match a Gauss-Krüger CRS: the zone number in front or not.
pub(crate) fn easting_hint(x: f64, false_easting: f64) -> String {
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

pub(crate) fn kind_name(g: &geo::Geometry<f64>) -> &'static str {
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

/// Each province's extent (GB/T 2260's first two digits; west, east, south, north in
/// degrees, rounded outwards), for telling a cell that came out in the wrong place: the
/// province its code names must hold it. Coarse on purpose: a wrong central meridian moves
/// a grid by 3° or more, and these boxes are only to catch that.
const PROVINCES: [(&str, &str, [f64; 4]); 31] = [
    ("11", "北京", [115.4, 117.6, 39.4, 41.1]),
    ("12", "天津", [116.7, 118.1, 38.5, 40.3]),
    ("13", "河北", [113.4, 119.9, 36.0, 42.7]),
    ("14", "山西", [110.2, 114.6, 34.5, 40.8]),
    ("15", "内蒙古", [97.1, 126.1, 37.4, 53.4]),
    ("21", "辽宁", [118.8, 125.8, 38.7, 43.5]),
    ("22", "吉林", [121.6, 131.4, 40.8, 46.3]),
    ("23", "黑龙江", [121.1, 135.1, 43.4, 53.6]),
    ("31", "上海", [120.8, 122.2, 30.6, 31.9]),
    ("32", "江苏", [116.3, 121.9, 30.7, 35.2]),
    ("33", "浙江", [118.0, 123.2, 27.0, 31.2]),
    ("34", "安徽", [114.8, 119.7, 29.4, 34.7]),
    ("35", "福建", [115.8, 120.8, 23.5, 28.4]),
    ("36", "江西", [113.5, 118.5, 24.4, 30.1]),
    ("37", "山东", [114.8, 122.8, 34.3, 38.4]),
    ("41", "河南", [110.3, 116.7, 31.3, 36.4]),
    ("42", "湖北", [108.3, 116.2, 29.0, 33.3]),
    ("43", "湖南", [108.7, 114.3, 24.6, 30.2]),
    ("44", "广东", [109.6, 117.4, 20.1, 25.6]),
    ("45", "广西", [104.4, 112.1, 20.9, 26.4]),
    ("46", "海南", [108.0, 118.0, 3.0, 20.2]),
    ("50", "重庆", [105.2, 110.2, 28.1, 32.3]),
    ("51", "四川", [97.3, 108.6, 26.0, 34.4]),
    ("52", "贵州", [103.6, 109.6, 24.6, 29.3]),
    ("53", "云南", [97.5, 106.2, 21.1, 29.3]),
    ("54", "西藏", [78.3, 99.2, 26.8, 36.5]),
    ("61", "陕西", [105.4, 111.3, 31.7, 39.6]),
    ("62", "甘肃", [92.1, 108.8, 32.5, 42.8]),
    ("63", "青海", [89.4, 103.1, 31.6, 39.2]),
    ("64", "宁夏", [104.2, 107.7, 35.2, 39.4]),
    ("65", "新疆", [73.4, 96.4, 34.3, 49.2]),
];

/// Room around a province's box: cells on its border, and the boxes' rounding.
const PROVINCE_MARGIN_DEG: f64 = 0.3;

/// Cells lying outside the province their code names (see [`PROVINCES`]).
pub(crate) fn places(cells: &[ImportedCell], problems: &mut Vec<Problem>) {
    for c in cells {
        if c.code.len() != 15 || !c.code.bytes().all(|b| b.is_ascii_digit()) {
            continue; // said already ([`codes`])
        }
        let (Some((lon, lat)), Some(prefix)) = (c.centroid(), c.code.get(..2)) else {
            continue;
        };
        let Some((_, name, [w, e, s, n])) = PROVINCES.iter().find(|p| p.0 == prefix) else {
            continue;
        };
        let m = PROVINCE_MARGIN_DEG;
        if !((w - m..=e + m).contains(&lon) && (s - m..=n + m).contains(&lat)) {
            let mut p = problem(
                c.row,
                &c.code,
                ProblemKind::WrongPlace,
                format!(
                    "the code names {name} ({prefix}…), but the cell comes out at \
                     {lon:.4}°E {lat:.4}°N, outside {name} ({w}-{e}°E, {s}-{n}°N): the \
                     file's CRS is probably not the one it was read in"
                ),
            );
            p.at = Some((lon, lat));
            problems.push(p);
        }
    }
}

/// Problems every cell has alike (a whole file in the wrong CRS or zone), said once: the
/// first one's words, for all of them.
pub(crate) fn said_once(cells: usize, problems: &mut Vec<Problem>) {
    said_once_of(
        cells,
        "cells",
        &[
            ProblemKind::WrongZone,
            ProblemKind::OutsideChina,
            ProblemKind::WrongPlace,
        ],
        problems,
    );
}

/// [`said_once`] for `count` features called `noun`, for the problems of `kinds`.
pub(crate) fn said_once_of(
    count: usize,
    noun: &str,
    kinds: &[ProblemKind],
    problems: &mut Vec<Problem>,
) {
    for &kind in kinds {
        let n = problems.iter().filter(|p| p.kind == kind).count();
        if n < 2 || n != count {
            continue;
        }
        let Some(first) = problems.iter().position(|p| p.kind == kind) else {
            continue;
        };
        let mut whole = problems.remove(first);
        problems.retain(|p| p.kind != kind);
        whole.message = format!("all {n} {noun}: {}", whole.message);
        if let Some(code) = whole.code.take() {
            whole.message = format!("{} (row {}, {code}: the first)", whole.message, whole.row);
        }
        whole.row = 0;
        problems.push(whole);
    }
}

/// A plane in metres about a point (equirectangular: over a district its scale error is a
/// fraction of a percent), where areas of overlap and gap are measured.
struct LocalPlane {
    centre: geo::Point<f64>,
    /// Metres per degree of longitude at the centre's latitude.
    x_scale: f64,
}

impl LocalPlane {
    fn about(centre: geo::Point<f64>) -> Self {
        Self {
            centre,
            x_scale: METRES_PER_DEG * centre.y().to_radians().cos(),
        }
    }

    fn polygon(&self, p: &Polygon<f64>) -> Polygon<f64> {
        p.map_coords(|c| Coord {
            x: (c.x - self.centre.x()) * self.x_scale,
            y: (c.y - self.centre.y()) * METRES_PER_DEG,
        })
    }

    /// A point of the plane back in WGS-84 (lon, lat).
    fn back(&self, c: Coord<f64>) -> (f64, f64) {
        (
            c.x / self.x_scale + self.centre.x(),
            c.y / METRES_PER_DEG + self.centre.y(),
        )
    }
}

/// The box around a polygon, as the R-tree takes it.
fn envelope(p: &Polygon<f64>) -> Option<AABB<[f64; 2]>> {
    let b = p.bounding_rect()?;
    Some(AABB::from_corners(
        [b.min().x, b.min().y],
        [b.max().x, b.max().y],
    ))
}

/// An R-tree of the polygons' boxes, each with its index in `planar`.
fn index(planar: &[Polygon<f64>]) -> RTree<GeomWithData<Rectangle<[f64; 2]>, usize>> {
    RTree::bulk_load(
        planar
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                let b = envelope(p)?;
                Some(GeomWithData::new(
                    Rectangle::from_corners(b.lower(), b.upper()),
                    i,
                ))
            })
            .collect(),
    )
}

/// How far (degrees, about 20 km) a grid may lie from the stored cells' box before it is
/// taken for one in the wrong CRS: a wrong zone or central meridian moves it 3° or more.
const NEAR_STORED_DEG: f64 = 0.2;

/// A grid lying away from every cell already stored, unless it is a new area.
pub(crate) fn far_from_stored(
    grid: &mut crate::CheckedGrid,
    stored: &[(String, Polygon<f64>)],
    new_area: bool,
) {
    let (Some([w, s, e, n]), false) = (grid.extent, new_area) else {
        return;
    };
    let Some(held) = stored
        .iter()
        .filter_map(|(_, p)| p.bounding_rect())
        .reduce(|a, b| {
            geo::Rect::new(
                Coord {
                    x: a.min().x.min(b.min().x),
                    y: a.min().y.min(b.min().y),
                },
                Coord {
                    x: a.max().x.max(b.max().x),
                    y: a.max().y.max(b.max().y),
                },
            )
        })
    else {
        return;
    };
    let d = NEAR_STORED_DEG;
    let apart = e < held.min().x - d
        || w > held.max().x + d
        || n < held.min().y - d
        || s > held.max().y + d;
    if !apart {
        return;
    }
    let (hx, hy) = (held.center().x, held.center().y);
    let (gx, gy) = ((w + e) / 2.0, (s + n) / 2.0);
    let km = ((gx - hx) * METRES_PER_DEG * hy.to_radians().cos()).hypot((gy - hy) * METRES_PER_DEG)
        / 1000.0;
    grid.problems.push(Problem {
        row: 0,
        code: None,
        kind: ProblemKind::WrongPlace,
        message: format!(
            "the grid comes out about {km:.0} km from the {} cells already stored (around \
             {hx:.4}°E {hy:.4}°N): is the file's CRS or zone right? If this is a new area of \
             the city, import it with --new-area",
            stored.len()
        ),
        at: Some((gx, gy)),
    });
}

/// Overlaps between the file's cells and stored cells the file does not have (those stay
/// as they are, so a new cell must not cover them).
pub(crate) fn overlaps_with_kept(
    cells: &[ImportedCell],
    stored: &[(String, Polygon<f64>)],
    tolerance_m2: f64,
    problems: &mut Vec<Problem>,
) {
    let in_file: std::collections::BTreeSet<&str> = cells.iter().map(|c| c.code.as_str()).collect();
    let kept: Vec<&(String, Polygon<f64>)> = stored
        .iter()
        .filter(|(code, _)| !in_file.contains(code.as_str()))
        .collect();
    let Some(centre) = kept.first().and_then(|(_, p)| p.centroid()) else {
        return;
    };
    let plane = LocalPlane::about(centre);
    let planar: Vec<Polygon<f64>> = kept.iter().map(|(_, p)| plane.polygon(p)).collect();
    let tree = index(&planar);
    for c in cells {
        let Some(p) = c.polygon.as_ref().map(|p| plane.polygon(p)) else {
            continue;
        };
        let Some(envelope) = envelope(&p) else {
            continue;
        };
        for other in tree.locate_in_envelope_intersecting(&envelope) {
            let area = p.intersection(&planar[other.data]).unsigned_area();
            if area > tolerance_m2 {
                let mut found = problem(
                    c.row,
                    &c.code,
                    ProblemKind::Overlap,
                    format!(
                        "the cell overlaps stored cell {} by {area:.0} m²; that cell is not in \
                         the file and stays (give it in the file, changed, to move its edge)",
                        kept[other.data].0
                    ),
                );
                found.at = c.centroid();
                problems.push(found);
            }
        }
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
    let plane = LocalPlane::about(centre);
    let planar: Vec<Polygon<f64>> = valid.iter().map(|(_, p)| plane.polygon(p)).collect();
    let tree = index(&planar);
    for (i, p) in planar.iter().enumerate() {
        let Some(envelope) = envelope(p) else {
            continue;
        };
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
                found.at = shared.centroid().map(|c| plane.back(c.0));
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
            let Some(envelope) = envelope(&hole) else {
                continue;
            };
            // Only the cells about the hole can cover part of it: differencing against
            // the whole union would make many holes cost the square of the grid.
            let near: Vec<usize> = tree
                .locate_in_envelope_intersecting(&envelope)
                .map(|g| g.data)
                .collect();
            let covering = geo::unary_union(near.iter().map(|&i| &planar[i]));
            let uncovered: MultiPolygon<f64> = hole.difference(&covering);
            let area = uncovered.unsigned_area();
            if area <= tolerance_m2 {
                continue;
            }
            let mut around: Vec<String> = near.iter().map(|&i| valid[i].0.code.clone()).collect();
            around.sort();
            problems.push(Problem {
                row: 0,
                code: None,
                kind: ProblemKind::Gap,
                message: format!(
                    "a gap of {area:.0} m² no cell covers, among {}",
                    around.join(", ")
                ),
                at: uncovered.centroid().map(|c| plane.back(c.0)),
            });
        }
    }
}
