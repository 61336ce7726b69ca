//! A city's component layer (部件图层): every manhole cover, street light, public toilet and
//! billboard on its books, each a point with its 16-digit ID (部件编码: 6-digit division,
//! 2-digit 大类, 2-digit 小类, 6-digit serial), read from the same files as the grid
//! (GeoJSON, Shapefile, GeoPackage; WGS-84 or CGCS2000, geographic or Gauss-Krüger).
//!
//! [`check_components`] reads the file and checks what the file alone can show: an ID
//! present, 16 digits, given once; a geometry that is a point (a line or area component, a
//! 护栏 or a 绿地, is placed at a point inside it); a position in China.
//! [`CheckedComponents::check_against`] then checks it against what the centre holds: each
//! component must stand in a stored grid cell of its own district (the ID's first six
//! digits), since a device receives the components of its cells and a report is filed in a
//! cell; and its 小类 (digits 7-10) must be a 部件 category of a stored code table, since a
//! report taking the component takes that category. A whole file in the wrong CRS shows as
//! one problem ("all N components stand in no stored cell"), not N.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use geo::InteriorPoint;
use gridwalk_protocol::{CellCode, ComponentInfo};
use serde::Serialize;

use crate::validate::{self, Problem, ProblemKind, problem};
use crate::{Error, Options, source};

/// Which attribute holds what, for a component layer. `None`: the first of the usual
/// names present.
#[derive(Debug, Clone, Default)]
pub struct ComponentFields {
    pub id: Option<String>,
    pub name: Option<String>,
    pub owner: Option<String>,
    pub address: Option<String>,
}

impl ComponentFields {
    /// Sets one from `what=ATTRIBUTE` (`id=BJBM`), as the command line takes it.
    pub fn set(&mut self, spec: &str) -> Result<(), Error> {
        let (what, attribute) = spec.split_once('=').ok_or_else(|| {
            Error::Read(format!(
                "\"{spec}\": give a field as WHAT=ATTRIBUTE, e.g. id=BJBM"
            ))
        })?;
        let slot = match what.trim() {
            "id" => &mut self.id,
            "name" => &mut self.name,
            "owner" => &mut self.owner,
            "address" => &mut self.address,
            other => {
                return Err(Error::Read(format!(
                    "\"{other}\" is not a component field (id, name, owner, address)"
                )));
            }
        };
        *slot = Some(attribute.trim().to_owned());
        Ok(())
    }
}

/// The usual attribute names of each field in component layers (the 数字城管 platforms'
/// pinyin abbreviations, Chinese, English), compared without case. `OBJECTID` is not
/// among them: it is the GIS program's row number, not the component's ID.
const USUAL: [(&str, &[&str]); 4] = [
    // The 数字城管 names first: a layer often has a numeric `ID` of the GIS program's
    // besides its `BJBM`; `id` and `code` only when nothing more telling is there.
    (
        "component ID",
        &[
            "bjbm",
            "部件编码",
            "bjbsm",
            "部件标识码",
            "部件编号",
            "objcode",
            "obj_code",
            "component_id",
            "id",
            "code",
        ],
    ),
    (
        "name",
        &["name", "bjmc", "objname", "obj_name", "部件名称", "名称"],
    ),
    (
        "owner",
        &[
            "owner",
            "qsdw",
            "zgbm",
            "yhdw",
            "权属单位",
            "主管部门",
            "养护单位",
        ],
    ),
    (
        "address",
        &["address", "wzms", "dz", "位置描述", "地址", "位置"],
    ),
];

/// One component of the file, in WGS-84.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedComponent {
    pub row: usize,
    pub id: String,
    pub name: Option<String>,
    pub owner: Option<String>,
    pub address: Option<String>,
    /// (lon, lat), when the geometry could be read and placed.
    pub at: Option<(f64, f64)>,
    /// The stored cell it stands in, once checked against them.
    pub cell: Option<String>,
}

/// A component file read and checked.
#[derive(Debug, Serialize)]
pub struct CheckedComponents {
    pub format: &'static str,
    /// The CRS the coordinates were taken from, in words.
    pub crs: String,
    /// West, south, east, north (degrees, WGS-84) of every component placed.
    pub extent: Option<[f64; 4]>,
    pub components: Vec<ImportedComponent>,
    /// Empty when the file may be stored.
    pub problems: Vec<Problem>,
}

/// Reads the component file at `path` and checks it on its own (see the module).
pub fn check_components(
    path: &Path,
    options: &Options,
    fields: &ComponentFields,
) -> Result<CheckedComponents, Error> {
    let source = source::read(path, options.layer.as_deref())?;
    let crs = crate::file_crs(path, options, source.crs)?;
    if source.features.is_empty() {
        return Err(Error::Read(format!("{}: no features", path.display())));
    }
    let to_wgs84 = crs.to_wgs84()?;
    let chosen = [&fields.id, &fields.name, &fields.owner, &fields.address];
    let names = crate::resolve(&chosen, &USUAL, &source.features, "component ID", "id=BJBM")?;
    let mut components = Vec::with_capacity(source.features.len());
    let mut problems = Vec::new();
    for f in &source.features {
        let get = |i: usize| names[i].as_ref().and_then(|n| f.properties.get(n)).cloned();
        let id = get(0).unwrap_or_default();
        let at = point_in_wgs84(f, &id, &crs, &to_wgs84, &mut problems);
        components.push(ImportedComponent {
            row: f.row,
            id,
            name: get(1),
            owner: get(2),
            address: get(3),
            at,
            cell: None,
        });
    }
    ids(&components, &mut problems);
    validate::said_once_of(
        components.len(),
        "components",
        &[ProblemKind::OutsideChina],
        &mut problems,
    );
    problems.sort_by_key(|p| (p.row, p.kind));
    let extent = crate::union_box(
        components
            .iter()
            .filter_map(|c| c.at)
            .map(|(x, y)| [x, y, x, y]),
    );
    Ok(CheckedComponents {
        format: source.format,
        crs: crs.to_string(),
        extent,
        components,
        problems,
    })
}

/// The feature's point in WGS-84: a point as it is, any other shape at a point inside it;
/// `None` with the problem recorded.
fn point_in_wgs84(
    f: &source::SourceFeature,
    id: &str,
    crs: &crate::Crs,
    to_wgs84: &crate::crs::ToWgs84,
    problems: &mut Vec<Problem>,
) -> Option<(f64, f64)> {
    let point = match &f.geometry {
        Some(geo::Geometry::Point(p)) => Some(*p),
        Some(geo::Geometry::MultiPoint(m)) if m.0.len() > 1 => {
            problems.push(problem(
                f.row,
                id,
                ProblemKind::NotAPolygon,
                format!(
                    "the component has {} points; a component stands at one place",
                    m.0.len()
                ),
            ));
            return None;
        }
        Some(g) => g.interior_point(),
        None => None,
    };
    let Some(point) = point.filter(|p| p.x().is_finite() && p.y().is_finite()) else {
        problems.push(problem(
            f.row,
            id,
            ProblemKind::NotAPolygon,
            f.unreadable
                .clone()
                .unwrap_or_else(|| "the feature has no geometry".to_owned()),
        ));
        return None;
    };
    let moved = to_wgs84.point(point.x(), point.y());
    match moved {
        Some((lon, lat)) if (73.0..=136.0).contains(&lon) && (3.0..=54.0).contains(&lat) => {
            Some((lon, lat))
        }
        _ => {
            let mut message = match moved {
                Some((lon, lat)) => format!(
                    "the component lies outside China ({lon:.4}, {lat:.4} in WGS-84): the \
                     file's coordinates are not in {crs}"
                ),
                None => format!("the component's position cannot be taken from {crs} to WGS-84"),
            };
            if let crate::Crs::GaussKruger { false_easting, .. } = crs {
                message.push_str(&validate::easting_hint(point.x(), *false_easting));
            }
            problems.push(problem(f.row, id, ProblemKind::OutsideChina, message));
            None
        }
    }
}

/// IDs: present, 16 digits, each once.
fn ids(components: &[ImportedComponent], problems: &mut Vec<Problem>) {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for c in components {
        let id = c.id.as_str();
        if id.is_empty() {
            problems.push(problem(
                c.row,
                id,
                ProblemKind::MissingCode,
                "the feature has no component ID".to_owned(),
            ));
            continue;
        }
        if id.len() != 16 || !id.bytes().all(|b| b.is_ascii_digit()) {
            problems.push(problem(
                c.row,
                id,
                ProblemKind::BadCode,
                format!(
                    "the component ID \"{id}\" is not 16 digits (6 district, 2 大类, 2 小类, \
                     6 serial)"
                ),
            ));
        }
        if let Some(first) = seen.insert(id, c.row) {
            problems.push(problem(
                c.row,
                id,
                ProblemKind::Duplicate,
                format!("the component ID is also on row {first}"),
            ));
            seen.insert(id, first);
        }
    }
}

impl CheckedComponents {
    /// Checks the components against the stored grid and the 部件 categories of the stored
    /// code tables (see the module), and notes the cell each stands in.
    pub fn check_against(&mut self, grid: &gridwalk_grid::Grid, categories: &BTreeSet<String>) {
        if grid.is_empty() {
            self.problems.push(Problem {
                row: 0,
                code: None,
                kind: ProblemKind::OutsideGrid,
                message: "no grid cells are stored: import the grid first; components are \
                          sent to the devices of the cells they stand in"
                    .to_owned(),
                at: None,
            });
        }
        if categories.is_empty() {
            self.problems.push(Problem {
                row: 0,
                code: None,
                kind: ProblemKind::UnknownCategory,
                message: "no code table with 部件 categories is stored: import the code \
                          table first"
                    .to_owned(),
                at: None,
            });
        }
        if !self.problems.iter().any(|p| p.row == 0) {
            self.components_against(grid, categories);
        }
        self.problems.sort_by_key(|p| (p.row, p.kind));
    }

    fn components_against(&mut self, grid: &gridwalk_grid::Grid, categories: &BTreeSet<String>) {
        let mut found = Vec::new();
        for c in &mut self.components {
            let well_formed = c.id.len() == 16 && c.id.bytes().all(|b| b.is_ascii_digit());
            if !well_formed {
                continue; // said already
            }
            let category = &c.id[6..10];
            if !categories.contains(category) {
                found.push(problem(
                    c.row,
                    &c.id,
                    ProblemKind::UnknownCategory,
                    format!(
                        "its 小类 {category} (digits 7-10 of the ID) is not a 部件 category of \
                         the stored code tables"
                    ),
                ));
            }
            let Some((lon, lat)) = c.at else { continue };
            match grid.cell_at(lon, lat) {
                None => {
                    let mut p = problem(
                        c.row,
                        &c.id,
                        ProblemKind::OutsideGrid,
                        "the component stands in no stored grid cell: is the file's CRS \
                         right, or is the grid of this area not imported yet?"
                            .to_owned(),
                    );
                    p.at = Some((lon, lat));
                    found.push(p);
                }
                Some(cell) if cell.code.division() != &c.id[..6] => {
                    let mut p = problem(
                        c.row,
                        &c.id,
                        ProblemKind::CodePrefix,
                        format!(
                            "the ID's district {} is not that of cell {} ({}), where the \
                             component stands",
                            &c.id[..6],
                            cell.code,
                            cell.code.division()
                        ),
                    );
                    p.at = Some((lon, lat));
                    found.push(p);
                }
                Some(cell) => c.cell = Some(cell.code.to_string()),
            }
        }
        self.problems.extend(found);
        validate::said_once_of(
            self.components.len(),
            "components",
            &[ProblemKind::OutsideGrid, ProblemKind::UnknownCategory],
            &mut self.problems,
        );
    }

    /// The components as the centre keeps them; `None` while there are problems (or before
    /// [`Self::check_against`] placed them).
    #[must_use]
    pub fn infos(&self) -> Option<Vec<ComponentInfo>> {
        if !self.problems.is_empty() {
            return None;
        }
        self.components
            .iter()
            .map(|c| {
                let (lon, lat) = c.at?;
                let cell: CellCode = c.cell.as_deref()?.parse().ok()?;
                let id: gridwalk_protocol::ComponentId = c.id.parse().ok()?;
                Some(ComponentInfo {
                    category: id.category().parse().ok()?,
                    id,
                    cell,
                    lon: round7(lon),
                    lat: round7(lat),
                    name: c.name.clone(),
                    owner: c.owner.clone(),
                    address: c.address.clone(),
                })
            })
            .collect()
    }

    /// The report for a person: one line per problem, then a summary line.
    #[must_use]
    pub fn report(&self) -> String {
        crate::report(
            &self.problems,
            self.extent,
            "components",
            self.components.len(),
            self.format,
            &self.crs,
        )
    }
}

/// The 小类 codes of 部件 in any of `tables`, which a component's ID may name.
pub fn component_categories<'a>(
    tables: impl IntoIterator<Item = &'a gridwalk_protocol::CodeTable>,
) -> BTreeSet<String> {
    tables
        .into_iter()
        .flat_map(|t| t.iter())
        .filter(|c| c.kind == gridwalk_protocol::Kind::Component)
        .map(|c| c.code.as_str().to_owned())
        .collect()
}

fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}
