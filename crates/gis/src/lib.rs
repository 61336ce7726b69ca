//! A city's own data into Gridwalk: its code table from a spreadsheet ([`codes`]), and its
//! grid, 单元网格 from the files its GIS department keeps
//! (GeoJSON, Shapefile, GeoPackage), in WGS-84 or CGCS2000 geographic or Gauss-Krüger
//! ([`crs`]), taken to WGS-84 and checked before anything is stored.
//!
//! [`check_grid`] reads a file ([`source`]), finds each feature's cell code and names by the
//! attribute names Chinese grid data uses (网格编码 `WGBM`, 街道 `JDBM`/`JDMC`, 社区
//! `SQBM`/`SQMC`, or the English ones Gridwalk writes; others by [`FieldNames`]), and
//! returns the cells together with every problem found ([`validate`]): a code that is not
//! 15 digits or does not start with its street's and community's codes, a code given
//! twice, a geometry that is not one polygon or is not valid (a ring crossing itself),
//! cells overlapping, gaps between cells, positions outside China (a wrong CRS, most often
//! an easting with or without its zone number). A file that cannot be read at all, or
//! whose CRS is unknown, is an [`Error`] instead. Only a file with no problem may be
//! stored; the caller decides that, and stores the cells in one transaction.

#![forbid(unsafe_code)]

pub mod codes;
pub mod components;
pub mod crs;
pub mod source;
pub mod validate;
pub mod wkb;

use std::collections::BTreeMap;
use std::path::Path;

use geo::{Centroid, GeodesicArea};
use gridwalk_protocol::CellCode;
use serde::Serialize;

pub use crs::Crs;
pub use validate::{Problem, ProblemKind};

/// A file the importer cannot use at all, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Read(String),
    #[error("coordinate reference system: {0}")]
    Crs(String),
}

/// Which attribute holds what. `None`: the first of the usual names present.
#[derive(Debug, Clone, Default)]
pub struct FieldNames {
    pub code: Option<String>,
    pub street_code: Option<String>,
    pub street_name: Option<String>,
    pub community_code: Option<String>,
    pub community_name: Option<String>,
}

impl FieldNames {
    /// Sets one from `what=ATTRIBUTE` (`code=WGBM`), as the command line takes it.
    pub fn set(&mut self, spec: &str) -> Result<(), Error> {
        let (what, attribute) = spec.split_once('=').ok_or_else(|| {
            Error::Read(format!(
                "\"{spec}\": give a field as WHAT=ATTRIBUTE, e.g. code=WGBM"
            ))
        })?;
        let slot = match what.trim() {
            "code" => &mut self.code,
            "street_code" => &mut self.street_code,
            "street_name" => &mut self.street_name,
            "community_code" => &mut self.community_code,
            "community_name" => &mut self.community_name,
            other => {
                return Err(Error::Read(format!(
                    "\"{other}\" is not a cell field (code, street_code, street_name, \
                     community_code, community_name)"
                )));
            }
        };
        *slot = Some(attribute.trim().to_owned());
        Ok(())
    }
}

/// The usual attribute names of each field, compared without case.
const USUAL: [(&str, &[&str]); 5] = [
    (
        "code",
        &[
            "code",
            "wgbm",
            "gridcode",
            "grid_code",
            "bgcode",
            "网格编码",
            "单元网格编码",
        ],
    ),
    (
        "street_code",
        &[
            "street_code",
            "jdbm",
            "streetcode",
            "street_cod",
            "街道编码",
        ],
    ),
    (
        "street_name",
        &[
            "street_name",
            "jdmc",
            "streetname",
            "street_nam",
            "街道名称",
            "街道",
        ],
    ),
    (
        "community_code",
        &[
            "community_code",
            "sqbm",
            "communityc",
            "community_",
            "社区编码",
        ],
    ),
    (
        "community_name",
        &[
            "community_name",
            "sqmc",
            "communityn",
            "communit_1",
            "社区名称",
            "社区",
        ],
    ),
];

/// What to import and how to judge it.
#[derive(Debug, Clone)]
pub struct Options {
    /// Overrides the CRS the file names (or gives one to a file that names none).
    pub crs: Option<Crs>,
    pub fields: FieldNames,
    /// A GeoPackage's layer, when it has more than one.
    pub layer: Option<String>,
    /// Overlaps and gaps smaller than this (m²) are digitising noise, not problems.
    pub tolerance_m2: f64,
    /// The grid may lie away from the cells already stored (a new part of the city);
    /// otherwise a grid far from them is taken for one read in the wrong CRS.
    pub new_area: bool,
    /// The file is the whole grid: stored cells it lacks are retired with the import, so a
    /// cell of the file may cover them.
    pub retire_missing: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            crs: None,
            fields: FieldNames::default(),
            layer: None,
            tolerance_m2: 1.0,
            new_area: false,
            retire_missing: false,
        }
    }
}

/// One cell, in WGS-84.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedCell {
    pub row: usize,
    pub code: String,
    pub street_code: Option<String>,
    pub street_name: Option<String>,
    pub community_code: Option<String>,
    pub community_name: Option<String>,
    #[serde(skip)]
    pub polygon: Option<geo::Polygon<f64>>,
}

impl ImportedCell {
    /// The cell's centroid (lon, lat).
    #[must_use]
    pub fn centroid(&self) -> Option<(f64, f64)> {
        let c = self.polygon.as_ref()?.centroid()?;
        Some((c.x(), c.y()))
    }

    /// The GeoJSON Feature the case store keeps and devices receive (as the fixture grid's):
    /// `code`, the street and community codes and names, `area_m2` (geodesic), and the
    /// polygon with coordinates to 1e-7° (about a centimetre).
    fn feature(&self) -> Option<serde_json::Value> {
        let polygon = self.polygon.as_ref()?;
        let ring = |r: &geo::LineString<f64>| {
            r.coords()
                .map(|c| [round7(c.x), round7(c.y)])
                .collect::<Vec<_>>()
        };
        let mut rings = vec![ring(polygon.exterior())];
        rings.extend(polygon.interiors().iter().map(ring));
        #[allow(clippy::cast_possible_truncation)]
        let area = polygon.geodesic_area_unsigned().round() as i64;
        Some(serde_json::json!({
            "type": "Feature",
            "id": self.code,
            "properties": {
                "code": self.code,
                "street_code": self.street_code,
                "street_name": self.street_name,
                "community_code": self.community_code,
                "community_name": self.community_name,
                "area_m2": area,
            },
            "geometry": { "type": "Polygon", "coordinates": rings },
        }))
    }
}

fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

/// A file read and checked: its cells in WGS-84 and what is wrong with them.
#[derive(Debug, Serialize)]
pub struct CheckedGrid {
    pub format: &'static str,
    /// The CRS the coordinates were taken from, in words.
    pub crs: String,
    /// Where the cells came out in WGS-84: west, south, east, north (degrees); `None`
    /// when no cell could be read.
    pub extent: Option<[f64; 4]>,
    pub cells: Vec<ImportedCell>,
    /// Empty when the file may be stored.
    pub problems: Vec<Problem>,
}

impl CheckedGrid {
    /// Checks the grid against the cells already stored (code, GeoJSON Feature text, as
    /// [`CheckedGrid::features`] makes them): a grid away from all of them is taken for one
    /// read in the wrong CRS unless `options.new_area`; a stored cell the file does not
    /// have stays, so a cell of the file must not overlap it (unless
    /// `options.retire_missing`: then it goes).
    pub fn check_against_stored<C: std::fmt::Display>(
        &mut self,
        stored: &[(C, String)],
        options: &Options,
    ) {
        let stored: Vec<(String, geo::Polygon<f64>)> = stored
            .iter()
            .filter_map(|(code, text)| {
                let feature: geojson::Feature = text.parse().ok()?;
                let geometry = geo::Geometry::<f64>::try_from(feature.geometry?).ok()?;
                match geometry {
                    geo::Geometry::Polygon(p) => Some((code.to_string(), p)),
                    _ => None,
                }
            })
            .collect();
        validate::far_from_stored(self, &stored, options.new_area);
        if !options.retire_missing {
            validate::overlaps_with_kept(
                &self.cells,
                &stored,
                options.tolerance_m2,
                &mut self.problems,
            );
        }
        self.problems.sort_by_key(|p| (p.row, p.kind));
    }

    /// The cells as the case store keeps them (code, GeoJSON Feature text); `None` while
    /// there are problems.
    #[must_use]
    pub fn features(&self) -> Option<Vec<(CellCode, String)>> {
        if !self.problems.is_empty() {
            return None;
        }
        self.cells
            .iter()
            .map(|c| Some((c.code.parse().ok()?, c.feature()?.to_string())))
            .collect()
    }

    /// The report for a person: one line per problem, then a summary line.
    #[must_use]
    pub fn report(&self) -> String {
        report(
            &self.problems,
            self.extent,
            "cells",
            self.cells.len(),
            self.format,
            &self.crs,
        )
    }
}

/// A check's report for a person: one line per problem, where the features came out, then
/// a summary line (`count` features called `noun` read from a `format` in `crs`).
pub(crate) fn report(
    problems: &[Problem],
    extent: Option<[f64; 4]>,
    noun: &str,
    count: usize,
    format: &str,
    crs: &str,
) -> String {
    let mut out = String::new();
    for p in problems {
        out.push_str(&p.to_string());
        out.push('\n');
    }
    if let Some([w, s, e, n]) = extent {
        out.push_str(&format!(
            "the {noun} lie within {w:.4}-{e:.4}°E, {s:.4}-{n:.4}°N (WGS-84)\n"
        ));
    }
    out.push_str(&format!(
        "{count} {noun} read from a {format} in {crs}; {}",
        match problems.len() {
            0 => "no problems".to_owned(),
            1 => "1 problem: nothing was imported".to_owned(),
            n => format!("{n} problems: nothing was imported"),
        }
    ));
    out
}

/// The box around boxes (west, south, east, north).
pub(crate) fn union_box(boxes: impl Iterator<Item = [f64; 4]>) -> Option<[f64; 4]> {
    boxes.reduce(|a, b| {
        [
            a[0].min(b[0]),
            a[1].min(b[1]),
            a[2].max(b[2]),
            a[3].max(b[3]),
        ]
    })
}

/// Reads the grid file at `path` and checks it (see the module's notes).
pub fn check_grid(path: &Path, options: &Options) -> Result<CheckedGrid, Error> {
    if !(options.tolerance_m2.is_finite() && options.tolerance_m2 >= 0.0) {
        return Err(Error::Read(format!(
            "the tolerance {} m² is not an area: give zero or more square metres",
            options.tolerance_m2
        )));
    }
    let source = source::read(path, options.layer.as_deref())?;
    let crs = file_crs(path, options, source.crs)?;
    if source.features.is_empty() {
        return Err(Error::Read(format!("{}: no features", path.display())));
    }
    let to_wgs84 = crs.to_wgs84()?;
    let names = resolve_fields(&options.fields, &source.features)?;
    let mut cells = Vec::with_capacity(source.features.len());
    let mut problems = Vec::new();
    for f in &source.features {
        let get = |i: usize| names[i].as_ref().and_then(|n| f.properties.get(n)).cloned();
        let code = get(0).unwrap_or_default();
        let polygon = validate::polygon_in_wgs84(f, &code, &crs, &to_wgs84, &mut problems);
        cells.push(ImportedCell {
            row: f.row,
            code,
            street_code: get(1),
            street_name: get(2),
            community_code: get(3),
            community_name: get(4),
            polygon,
        });
    }
    validate::codes(&cells, &mut problems);
    validate::places(&cells, &mut problems);
    validate::said_once(cells.len(), &mut problems);
    validate::overlaps_and_gaps(&cells, options.tolerance_m2, &mut problems);
    problems.sort_by_key(|p| (p.row, p.kind));
    let extent = extent(&cells);
    Ok(CheckedGrid {
        format: source.format,
        crs: crs.to_string(),
        extent,
        cells,
        problems,
    })
}

/// The CRS to read a file's coordinates in: the one given by hand, else the one the file
/// names; an error in words when neither can be used.
pub(crate) fn file_crs(
    path: &Path,
    options: &Options,
    named: Result<Option<Crs>, Error>,
) -> Result<Crs, Error> {
    Ok(match (&options.crs, named) {
        (Some(given), _) => given.clone(),
        (None, Ok(Some(named))) => named,
        (None, Err(e)) => {
            return Err(Error::Crs(format!(
                "{}: {}; if you know the CRS the coordinates are in, give it, e.g. --crs \
                 EPSG:4526",
                path.display(),
                e.to_string()
                    .trim_start_matches("coordinate reference system: ")
            )));
        }
        (None, Ok(None)) => {
            return Err(Error::Crs(format!(
                "{} names no CRS (a Shapefile's .prj is missing, or a GeoPackage's is \
                 undefined); give it, e.g. --crs EPSG:4526",
                path.display()
            )));
        }
    })
}

/// The WGS-84 box around every cell that could be read.
fn extent(cells: &[ImportedCell]) -> Option<[f64; 4]> {
    use geo::BoundingRect;
    union_box(
        cells
            .iter()
            .filter_map(|c| c.polygon.as_ref()?.bounding_rect())
            .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]),
    )
}

/// The attribute name of each field: the one given, else the first usual name present in
/// the file. The cell code must be found; the rest may be absent.
fn resolve_fields(
    given: &FieldNames,
    features: &[source::SourceFeature],
) -> Result<[Option<String>; 5], Error> {
    let chosen = [
        &given.code,
        &given.street_code,
        &given.street_name,
        &given.community_code,
        &given.community_name,
    ];
    let found = resolve(&chosen, &USUAL, features, "cell code", "code=WGBM")?;
    let mut out: [Option<String>; 5] = Default::default();
    for (slot, name) in out.iter_mut().zip(found) {
        *slot = name;
    }
    Ok(out)
}

/// The attribute of each of `usual`'s fields in `features`: the one `chosen` (which must
/// be present), else the first usual name present, compared without case. The first field
/// must be found (`first` names it in words; `example` shows how to name it by hand).
pub(crate) fn resolve(
    chosen: &[&Option<String>],
    usual: &[(&str, &[&str])],
    features: &[source::SourceFeature],
    first: &str,
    example: &str,
) -> Result<Vec<Option<String>>, Error> {
    let present: BTreeMap<String, &String> = features
        .iter()
        .flat_map(|f| f.properties.keys())
        .map(|k| (k.to_lowercase(), k))
        .collect();
    let has = || {
        present
            .values()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = Vec::with_capacity(usual.len());
    for (i, (what, names)) in usual.iter().enumerate() {
        out.push(match chosen.get(i).copied().and_then(Option::as_ref) {
            Some(name) => {
                let Some(found) = present.get(&name.to_lowercase()) else {
                    return Err(Error::Read(format!(
                        "no attribute \"{name}\" for the {what}; the file has: {}",
                        has()
                    )));
                };
                Some((*found).clone())
            }
            None => names
                .iter()
                .find_map(|u| present.get(&u.to_lowercase()))
                .map(|s| (*s).clone()),
        });
    }
    if out.first().is_none_or(Option::is_none) {
        return Err(Error::Read(format!(
            "no attribute holds the {first} (tried {}); name it, e.g. --field {example}; \
             the file has: {}",
            usual.first().map_or(String::new(), |u| u.1.join(", ")),
            has()
        )));
    }
    Ok(out)
}
