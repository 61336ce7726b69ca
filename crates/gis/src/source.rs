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
    /// Why the geometry could not be read, when it is there but damaged.
    pub unreadable: Option<String>,
}

/// Features one file may hold: a city has thousands of cells, a province tens of
/// thousands; more is not a grid (and would only be read to be refused).
pub const MAX_FEATURES: usize = 200_000;

/// A file's features and the CRS it names (`Ok(None)`: it names none; an error: it names
/// one the importer cannot use, which a CRS given by hand may stand in for).
#[derive(Debug)]
pub struct Source {
    pub format: &'static str,
    pub crs: Result<Option<Crs>, Error>,
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

fn too_many(path: &Path) -> Error {
    Error::Read(format!(
        "{}: more than {MAX_FEATURES} features; a grid file holds one city's cells, a component \
         file one district's components (split a larger layer by district)",
        path.display()
    ))
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Read(format!("{}: {e}", path.display()))
}

fn geojson_file(path: &Path) -> Result<Source, Error> {
    let text = std::fs::read_to_string(path).map_err(io(path))?;
    // Windows tools may put a byte-order mark in front; JSON has no place for it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let gj: geojson::GeoJson = text
        .parse()
        .map_err(|e| Error::Read(format!("{}: not GeoJSON: {e}", path.display())))?;
    let geojson::GeoJson::FeatureCollection(fc) = gj else {
        return Err(Error::Read(format!(
            "{}: the file is not a GeoJSON FeatureCollection",
            path.display()
        )));
    };
    if fc.features.len() > MAX_FEATURES {
        return Err(too_many(path));
    }
    // RFC 7946 GeoJSON is WGS-84; files from older tools name another CRS in "crs".
    let named = fc
        .foreign_members
        .as_ref()
        .and_then(|m| m.get("crs"))
        .and_then(|c| c.pointer("/properties/name"))
        .and_then(|n| n.as_str());
    let crs = named
        .map(Crs::from_name)
        .transpose()
        .map(|c| Some(c.unwrap_or(Crs::WGS84)));
    let features = fc
        .features
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let (geometry, unreadable) = match f.geometry {
                None => (None, None),
                Some(g) => match geo::Geometry::<f64>::try_from(g) {
                    Ok(g) => (Some(g), None),
                    Err(e) => (None, Some(format!("the geometry cannot be read: {e}"))),
                },
            };
            SourceFeature {
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
                geometry,
                unreadable,
            }
        })
        .collect();
    Ok(Source {
        format: "GeoJSON",
        crs,
        features,
    })
}

/// The encoding a Shapefile's `.cpg` names, as ArcGIS, QGIS and Chinese tools write it.
/// GBK and GB2312 text reads as GB18030, which contains both.
fn cpg_encoding(label: &str) -> Option<&'static encoding_rs::Encoding> {
    let upper = label
        .trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_uppercase()
        .replace(['-', '_'], "");
    match upper.as_str() {
        "UTF8" | "65001" | "UTF8BOM" => Some(encoding_rs::UTF_8),
        "GBK" | "GB2312" | "GB18030" | "936" | "CP936" | "ANSI 936" | "EUCCN" | "WINDOWS936"
        | "54936" => Some(encoding_rs::GB18030),
        "BIG5" | "950" | "CP950" => Some(encoding_rs::BIG5),
        "1252" | "CP1252" | "ANSI 1252" | "LATIN1" | "ISO88591" => Some(encoding_rs::WINDOWS_1252),
        _ => encoding_rs::Encoding::for_label(label.trim().as_bytes()),
    }
}

fn shapefile_file(path: &Path) -> Result<Source, Error> {
    let prj = path.with_extension("prj");
    let crs = match std::fs::read(&prj) {
        Ok(bytes) => Crs::from_wkt(&String::from_utf8_lossy(&bytes)).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => return Err(io(&prj)(e)),
    };
    let shp_error = |e: shapefile::Error| Error::Read(format!("{}: {e}", path.display()));
    let shapes = shapefile::ShapeReader::from_path(path).map_err(shp_error)?;
    let dbf = path.with_extension("dbf");
    let dbf_file = std::fs::File::open(&dbf).map_err(|e| {
        Error::Read(format!(
            "{}: the attribute table {} cannot be opened ({e}); a Shapefile is the .shp \
             with its .dbf (and .prj) beside it",
            path.display(),
            dbf.display()
        ))
    })?;
    let cpg = path.with_extension("cpg");
    let encoding = match std::fs::read(&cpg) {
        Ok(bytes) => {
            let label = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).into_owned();
            Some(cpg_encoding(&label).ok_or_else(|| {
                Error::Read(format!(
                    "{}: names the encoding \"{}\", which the importer does not know \
                     (it reads UTF-8, GBK/GB2312/GB18030, Big5)",
                    cpg.display(),
                    label.trim().escape_debug()
                ))
            })?)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(&cpg)(e)),
    };
    let dbf_reader = std::io::BufReader::new(dbf_file);
    let dbase = match encoding {
        Some(enc) => shapefile::dbase::ReaderBuilder::new()
            .with_encoding(shapefile::dbase::encoding::EncodingRs::from(enc))
            .build(dbf_reader),
        None => shapefile::dbase::Reader::new(dbf_reader),
    }
    .map_err(|e| {
        Error::Read(format!(
            "{}: the attribute table cannot be read: {e}",
            dbf.display()
        ))
    })?;
    let records = dbase.header().num_records as usize;
    let count = shapes.shape_count().map_err(shp_error)?;
    if count != records {
        return Err(Error::Read(format!(
            "{}: {count} shapes but {records} attribute rows in {}; the files are not one \
             layer's (copy the .shp, .shx, .dbf, .prj and .cpg together)",
            path.display(),
            dbf.display()
        )));
    }
    if count > MAX_FEATURES {
        return Err(too_many(path));
    }
    let mut reader = shapefile::Reader::new(shapes, dbase);
    let mut features = Vec::new();
    for (i, item) in reader.iter_shapes_and_records().enumerate() {
        let row = i + 1;
        let (shape, record) = item.map_err(|e| {
            Error::Read(format!("{}: row {row} cannot be read: {e}", path.display()))
        })?;
        let mut unreadable = None;
        let geometry = match shape {
            shapefile::Shape::NullShape => None,
            shapefile::Shape::Multipatch(_) => {
                unreadable = Some(
                    "the shape is a multipatch (a 3-D surface); give a 2-D point, line or \
                     polygon"
                        .to_owned(),
                );
                None
            }
            // Points and lines (components) as they are; polygons' rings put together.
            other => match geo::Geometry::<f64>::try_from(other) {
                Ok(g) => Some(g),
                Err(e) => {
                    unreadable = Some(format!(
                        "the polygon's rings cannot be put together ({e}): an outer ring \
                         must run clockwise, as Shapefiles have it"
                    ));
                    None
                }
            },
        };
        let mut properties = BTreeMap::new();
        for (name, value) in record {
            let text = match value {
                shapefile::dbase::FieldValue::Character(Some(s)) => s.trim().to_owned(),
                shapefile::dbase::FieldValue::Numeric(Some(n)) => number(n),
                shapefile::dbase::FieldValue::Character(None)
                | shapefile::dbase::FieldValue::Numeric(None) => continue,
                other => other.to_string().trim().to_owned(),
            };
            if text.contains('\u{fffd}') {
                return Err(Error::Read(format!(
                    "{}: row {row}, attribute {name}: the text is not valid {} ({}); give the \
                     Shapefile the .cpg of its encoding",
                    dbf.display(),
                    encoding.map_or(
                        "in the encoding the .dbf names",
                        encoding_rs::Encoding::name
                    ),
                    text.escape_debug()
                )));
            }
            if !text.is_empty() {
                properties.insert(name, text);
            }
        }
        features.push(SourceFeature {
            row,
            properties,
            geometry,
            unreadable,
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
    let crs = if let Some(refused) = crate::crs::foreign_datum(&definition) {
        // The code says one thing, the definition another datum: believe neither.
        Err(refused)
    } else if organization.eq_ignore_ascii_case("EPSG") {
        u32::try_from(code)
            .map_err(|_| Error::Crs(format!("EPSG code {code}")))
            .and_then(Crs::from_epsg)
            .map(Some)
    } else if definition.trim().is_empty() || definition == "undefined" {
        Ok(None)
    } else {
        Crs::from_wkt(&definition).map(Some)
    };
    // A view can be any query, a recursive one that never ends among them: a layer must be
    // a table the file holds.
    let kind: Option<String> = db
        .query_row(
            "SELECT type FROM sqlite_master WHERE name = ?1",
            [&table],
            |r| r.get(0),
        )
        .ok();
    if kind.as_deref() != Some("table") {
        return Err(Error::Read(format!(
            "{}: layer \"{table}\" is {}, not a table; export the grid as a plain layer",
            path.display(),
            kind.map_or_else(|| "missing".to_owned(), |k| format!("a {k}"))
        )));
    }
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
        if features.len() == MAX_FEATURES {
            return Err(too_many(path));
        }
        let mut properties = BTreeMap::new();
        let mut geometry = None;
        let mut unreadable = None;
        for (i, name) in columns.iter().enumerate() {
            let value = row.get_ref(i).map_err(bad)?;
            if name == &column {
                if let rusqlite::types::ValueRef::Blob(blob) = value {
                    match crate::wkb::check(blob) {
                        Ok(_) => match geozero::wkb::GpkgWkb(blob).to_geo() {
                            Ok(g) => geometry = Some(g),
                            Err(e) => {
                                unreadable = Some(format!("the geometry cannot be read: {e}"))
                            }
                        },
                        Err(e) => unreadable = Some(e),
                    }
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
            unreadable,
        });
    }
    Ok(Source {
        format: "GeoPackage",
        crs,
        features,
    })
}
