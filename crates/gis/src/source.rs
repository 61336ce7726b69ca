//! Reading a city's file: its features (attributes as text, geometry as read) and the CRS
//! the file itself names. GeoJSON through the `geojson` crate; Shapefile (`.shp` with its
//! `.dbf`, `.prj` and `.cpg`, so GBK attribute text reads right) through `shapefile`;
//! GeoPackage, which is an SQLite file, through rusqlite, its geometry blobs decoded by
//! geozero.

use std::collections::BTreeMap;
use std::path::Path;

use geozero::ToGeo;

use crate::Error;
use crate::crs::Crs;

/// One feature as the file holds it.
#[derive(Debug, Clone)]
pub struct SourceFeature {
    /// 1-based, in file order: what a GIS person sees as the row or FID.
    pub row: usize,
    /// Attribute name → value as text (numbers as written, empty values left out).
    pub properties: BTreeMap<String, String>,
    pub geometry: Option<geo::Geometry<f64>>,
}

/// A file's features and the CRS it names (`None`: it names none).
#[derive(Debug)]
pub struct Source {
    pub format: &'static str,
    pub crs: Option<Crs>,
    pub features: Vec<SourceFeature>,
}

/// Reads `path` by its extension: `.geojson`/`.json`, `.shp`, `.gpkg`. `layer` picks a
/// GeoPackage's table when it has more than one.
pub fn read(path: &Path, layer: Option<&str>) -> Result<Source, Error> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "geojson" | "json" => geojson_file(path),
        "shp" => shapefile_file(path),
        "gpkg" => geopackage(path, layer),
        _ => Err(Error::Read(format!(
            "{}: not a file the importer reads (it takes .geojson, .shp with its .dbf and \
             .prj, and .gpkg)",
            path.display()
        ))),
    }
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Read(format!("{}: {e}", path.display()))
}

fn geojson_file(path: &Path) -> Result<Source, Error> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    let gj: geojson::GeoJson = text
        .parse()
        .map_err(|e| Error::Read(format!("{}: not GeoJSON: {e}", path.display())))?;
    let geojson::GeoJson::FeatureCollection(fc) = gj else {
        return Err(Error::Read(format!(
            "{}: a grid file is a GeoJSON FeatureCollection",
            path.display()
        )));
    };
    // RFC 7946 GeoJSON is WGS-84; files from older tools name another CRS in "crs".
    let named = fc
        .foreign_members
        .as_ref()
        .and_then(|m| m.get("crs"))
        .and_then(|c| c.pointer("/properties/name"))
        .and_then(|n| n.as_str());
    let crs = named.map(Crs::from_name).transpose()?;
    let features = fc
        .features
        .into_iter()
        .enumerate()
        .map(|(i, f)| SourceFeature {
            row: i + 1,
            properties: f
                .properties
                .iter()
                .flatten()
                .filter_map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s.trim().to_owned(),
                        serde_json::Value::Number(n) => n.to_string(),
                        _ => return None,
                    };
                    (!text.is_empty()).then(|| (k.clone(), text))
                })
                .collect(),
            geometry: f
                .geometry
                .and_then(|g| geo::Geometry::<f64>::try_from(g).ok()),
        })
        .collect();
    Ok(Source {
        format: "GeoJSON file",
        crs: Some(crs.unwrap_or(Crs::WGS84)),
        features,
    })
}

fn shapefile_file(path: &Path) -> Result<Source, Error> {
    let prj = path.with_extension("prj");
    let crs = match std::fs::read_to_string(&prj) {
        Ok(text) => Some(Crs::from_wkt(&text)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&prj)(e)),
    };
    let mut reader = shapefile::Reader::from_path(path)
        .map_err(|e| Error::Read(format!("{}: {e}", path.display())))?;
    let mut features = Vec::new();
    for (i, item) in reader.iter_shapes_and_records().enumerate() {
        let (shape, record) =
            item.map_err(|e| Error::Read(format!("{}: row {}: {e}", path.display(), i + 1)))?;
        let geometry = match shape {
            shapefile::Shape::Polygon(p) => geo::MultiPolygon::<f64>::try_from(p).ok(),
            shapefile::Shape::PolygonZ(p) => geo::MultiPolygon::<f64>::try_from(p).ok(),
            shapefile::Shape::PolygonM(p) => geo::MultiPolygon::<f64>::try_from(p).ok(),
            _ => None,
        }
        .map(geo::Geometry::MultiPolygon);
        let properties = record
            .into_iter()
            .filter_map(|(name, value)| {
                let text = match value {
                    shapefile::dbase::FieldValue::Character(Some(s)) => s.trim().to_owned(),
                    shapefile::dbase::FieldValue::Character(None) => return None,
                    shapefile::dbase::FieldValue::Numeric(Some(n)) => number(n),
                    shapefile::dbase::FieldValue::Numeric(None) => return None,
                    other => other.to_string().trim().to_owned(),
                };
                (!text.is_empty()).then_some((name, text))
            })
            .collect();
        features.push(SourceFeature {
            row: i + 1,
            properties,
            geometry,
        });
    }
    Ok(Source {
        format: "Shapefile",
        crs,
        features,
    })
}

/// A number as a person wrote it: 440703001 rather than 440703001.0.
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

fn geopackage(path: &Path, layer: Option<&str>) -> Result<Source, Error> {
    let bad = |e: rusqlite::Error| Error::Read(format!("{}: {e}", path.display()));
    if !path.is_file() {
        return Err(Error::Read(format!("{}: no such file", path.display())));
    }
    let db = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(bad)?;
    let mut layers: Vec<(String, String, i64)> = db
        .prepare(
            "SELECT table_name, column_name, srs_id FROM gpkg_geometry_columns ORDER BY table_name",
        )
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .map_err(|e| {
            Error::Read(format!(
                "{}: not a GeoPackage with feature tables ({e})",
                path.display()
            ))
        })?;
    let names = || {
        layers
            .iter()
            .map(|l| l.0.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (table, column, srs) = match layer {
        Some(name) => {
            let found = layers.iter().position(|l| l.0 == name).ok_or_else(|| {
                Error::Read(format!(
                    "{}: no layer \"{name}\"; its layers: {}",
                    path.display(),
                    names()
                ))
            })?;
            layers.swap_remove(found)
        }
        None if layers.len() == 1 => layers.remove(0),
        None => {
            return Err(Error::Read(format!(
                "{}: {} layers ({}); name the one with the grid (--layer)",
                path.display(),
                layers.len(),
                names()
            )));
        }
    };
    let (organization, code, definition): (String, i64, String) = db
        .query_row(
            "SELECT organization, organization_coordsys_id, definition
               FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(bad)?;
    let crs = if organization.eq_ignore_ascii_case("EPSG") {
        Some(Crs::from_epsg(
            u32::try_from(code).map_err(|_| Error::Crs(format!("EPSG code {code}")))?,
        )?)
    } else if definition.trim().is_empty() || definition == "undefined" {
        None
    } else {
        Some(Crs::from_wkt(&definition)?)
    };
    let quoted = |n: &str| format!("\"{}\"", n.replace('"', "\"\""));
    let mut statement = db
        .prepare(&format!("SELECT * FROM {}", quoted(&table)))
        .map_err(bad)?;
    let columns: Vec<String> = statement
        .column_names()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let mut rows = statement.query([]).map_err(bad)?;
    let mut features = Vec::new();
    while let Some(row) = rows.next().map_err(bad)? {
        let mut properties = BTreeMap::new();
        let mut geometry = None;
        for (i, name) in columns.iter().enumerate() {
            let value = row.get_ref(i).map_err(bad)?;
            if name == &column {
                if let rusqlite::types::ValueRef::Blob(blob) = value {
                    geometry = geozero::wkb::GpkgWkb(blob).to_geo().ok();
                }
                continue;
            }
            let text = match value {
                rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).trim().to_owned(),
                rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                rusqlite::types::ValueRef::Real(x) => number(x),
                _ => continue,
            };
            if !text.is_empty() {
                properties.insert(name.clone(), text);
            }
        }
        features.push(SourceFeature {
            row: features.len() + 1,
            properties,
            geometry,
        });
    }
    Ok(Source {
        format: "GeoPackage",
        crs,
        features,
    })
}
