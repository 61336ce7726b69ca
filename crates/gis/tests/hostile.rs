//! Damaged and hostile grid files: each is refused in words (an error, or problems that
//! keep it from being stored), and none brings the process down. The files are made here
//! from the fixtures in `fixtures/gis/` by changing one thing.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use gridwalk_gis::{Options, ProblemKind, check_grid};

fn gis(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/gis")
        .join(name)
}

/// A copy of the 1000-cell GeoPackage to change.
fn geopackage(dir: &Path) -> (PathBuf, rusqlite::Connection) {
    let path = dir.join("grid.gpkg");
    std::fs::copy(gis("pengjiang-gk3-cm114.gpkg"), &path).unwrap();
    let db = rusqlite::Connection::open(&path).unwrap();
    // The spatial index's triggers call SpatiaLite functions this SQLite does not have.
    let triggers: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for t in triggers {
        db.execute_batch(&format!("DROP TRIGGER \"{t}\"")).unwrap();
    }
    db.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    (path, db)
}

/// The first feature's geometry header (GP, version, flags, SRS id, envelope), so a
/// blob made here is read as that file writes them.
fn gp_header(db: &rusqlite::Connection) -> Vec<u8> {
    let blob: Vec<u8> = db
        .query_row("SELECT geom FROM grid WHERE fid = 1", [], |r| r.get(0))
        .unwrap();
    let envelope = match (blob[3] >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        _ => 64,
    };
    blob[..8 + envelope].to_vec()
}

fn set_geometry(db: &rusqlite::Connection, blob: &[u8]) {
    db.execute("UPDATE grid SET geom = ?1 WHERE fid = 2", [blob])
        .unwrap();
}

#[test]
fn a_geometry_claiming_billions_of_rings_is_a_problem_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let (path, db) = geopackage(dir.path());
    let mut blob = gp_header(&db);
    blob.push(1);
    blob.extend_from_slice(&3u32.to_le_bytes());
    blob.extend_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
    set_geometry(&db, &blob);
    drop(db);
    let checked = check_grid(&path, &Options::default()).unwrap();
    let p = checked.problems.iter().find(|p| p.row == 2).unwrap();
    assert_eq!(p.kind, ProblemKind::NotAPolygon);
    assert!(p.message.contains("rings"), "{}", p.message);
    assert!(checked.features().is_none());
}

#[test]
fn collections_nested_deep_are_a_problem_not_a_stack_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let (path, db) = geopackage(dir.path());
    let mut blob = gp_header(&db);
    for _ in 0..200_000 {
        blob.push(1);
        blob.extend_from_slice(&7u32.to_le_bytes());
        blob.extend_from_slice(&1u32.to_le_bytes());
    }
    set_geometry(&db, &blob);
    drop(db);
    let checked = check_grid(&path, &Options::default()).unwrap();
    let p = checked.problems.iter().find(|p| p.row == 2).unwrap();
    assert!(p.message.contains("nests collections"), "{}", p.message);
}

#[test]
fn a_view_as_the_layer_is_refused_before_it_is_queried() {
    let dir = tempfile::tempdir().unwrap();
    let (path, db) = geopackage(dir.path());
    // A view that never ends: read, it would fill memory.
    db.execute_batch(
        "CREATE VIEW endless AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
           SELECT i AS fid, NULL AS geom, i AS code FROM n;
         UPDATE gpkg_geometry_columns SET table_name = 'endless';
         UPDATE gpkg_contents SET table_name = 'endless';",
    )
    .unwrap();
    drop(db);
    let e = check_grid(&path, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("a view, not a table"), "{e}");
}

#[test]
fn a_polygon_folded_flat_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("flat.geojson");
    // Two cells; the second goes out and comes back along one line: no area.
    std::fs::write(
        &path,
        r#"{"type":"FeatureCollection","features":[
          {"type":"Feature","properties":{"code":"440703001001001"},"geometry":{"type":"Polygon","coordinates":[[[113.08,22.60],[113.081,22.60],[113.081,22.601],[113.08,22.601],[113.08,22.60]]]}},
          {"type":"Feature","properties":{"code":"440703001001002"},"geometry":{"type":"Polygon","coordinates":[[[113.09,22.60],[113.091,22.60],[113.0900001,22.60],[113.09,22.60]]]}}]}"#,
    )
    .unwrap();
    let checked = check_grid(&path, &Options::default()).unwrap();
    assert!(
        checked
            .problems
            .iter()
            .any(|p| p.row == 2 && p.kind == ProblemKind::InvalidGeometry),
        "{}",
        checked.report()
    );
    assert!(checked.features().is_none());
}

#[test]
fn a_byte_order_mark_in_front_of_geojson_is_read_past() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bom.geojson");
    let mut bytes = "\u{feff}".as_bytes().to_vec();
    bytes.extend(std::fs::read(gis("dongua-revised-gk3-zone38.geojson")).unwrap());
    std::fs::write(&path, bytes).unwrap();
    let checked = check_grid(&path, &Options::default()).unwrap();
    assert!(checked.problems.is_empty(), "{}", checked.report());
    // The format is named once ("GeoJSON", not "GeoJSON file file" in sentences).
    assert!(
        checked.report().contains("from a GeoJSON in"),
        "{}",
        checked.report()
    );
}

/// The text fields of a dBASE file rewritten from UTF-8 into GBK (padded with spaces to
/// their widths), as Chinese desktop GIS writes them.
fn dbf_in_gbk(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let header = usize::from(u16::from_le_bytes([bytes[8], bytes[9]]));
    let record = usize::from(u16::from_le_bytes([bytes[10], bytes[11]]));
    let count = u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize;
    // Field descriptors: 32 bytes each from byte 32 to the 0x0D mark.
    let mut fields = Vec::new();
    let mut at = 1; // each record starts with its deletion flag
    let mut d = 32;
    while bytes[d] != 0x0D {
        let width = usize::from(bytes[d + 16]);
        fields.push((bytes[d + 11], at, width));
        at += width;
        d += 32;
    }
    for r in 0..count {
        let start = header + r * record;
        for &(kind, offset, width) in &fields {
            if kind != b'C' {
                continue;
            }
            let cell = &mut bytes[start + offset..start + offset + width];
            let text = std::str::from_utf8(cell).unwrap().trim_end().to_owned();
            let (gbk, _, _) = encoding_rs::GBK.encode(&text);
            cell.fill(b' ');
            cell[..gbk.len()].copy_from_slice(&gbk);
        }
    }
    std::fs::write(path, bytes).unwrap();
}

/// The zone-38 Shapefile's five files copied under `name`, for one to be changed.
fn shapefile_copy(dir: &Path, name: &str) -> PathBuf {
    for ext in ["shp", "shx", "dbf", "prj", "cpg"] {
        std::fs::copy(
            gis(&format!("dongua-gk3-zone38.{ext}")),
            dir.join(format!("{name}.{ext}")),
        )
        .unwrap();
    }
    dir.join(format!("{name}.shp"))
}

#[test]
fn a_dbf_of_another_layer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let shp = shapefile_copy(dir.path(), "mixed");
    // The 3-row attribute table of another file beside the 25 shapes.
    std::fs::copy(gis("no-prj.dbf"), dir.path().join("mixed.dbf")).unwrap();
    let e = check_grid(&shp, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("25 shapes but 3 attribute rows"), "{e}");
}

#[test]
fn the_cpg_names_chinese_tools_write_are_understood() {
    let dir = tempfile::tempdir().unwrap();
    for label in ["GB2312", "GB18030", "ANSI 936", "cp936", "gbk\r\n"] {
        let shp = shapefile_copy(dir.path(), "named");
        dbf_in_gbk(&dir.path().join("named.dbf"));
        std::fs::write(dir.path().join("named.cpg"), label).unwrap();
        let checked = check_grid(&shp, &Options::default()).unwrap();
        assert!(checked.problems.is_empty(), "{label}: {}", checked.report());
        let first: serde_json::Value =
            serde_json::from_str(&checked.features().unwrap()[0].1).unwrap();
        assert_eq!(first["properties"]["street_name"], "环市街道", "{label}");
    }
    let shp = shapefile_copy(dir.path(), "named");
    dbf_in_gbk(&dir.path().join("named.dbf"));
    std::fs::write(dir.path().join("named.cpg"), "KLINGON-1").unwrap();
    let e = check_grid(&shp, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("KLINGON-1"), "{e}");
    // Read as UTF-8, the GBK names are not text: refused, not stored as '�'.
    std::fs::write(dir.path().join("named.cpg"), "UTF-8").unwrap();
    let e = check_grid(&shp, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not valid UTF-8"), "{e}");
}

fn city(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/city")
        .join(name)
}

/// The fixture code table with `extra` put at the end of its sheet's rows.
fn workbook_with(dir: &Path, extra: &str) -> PathBuf {
    use std::io::{Read, Write};
    let mut source =
        zip::ZipArchive::new(std::fs::File::open(city("codes.xlsx")).unwrap()).unwrap();
    let path = dir.join("codes.xlsx");
    let mut out = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..source.len() {
        let mut entry = source.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let text = String::from_utf8(bytes).unwrap();
            bytes = text
                .replace("</sheetData>", &format!("{extra}</sheetData>"))
                .into_bytes();
        }
        out.start_file(name, stored).unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap();
    path
}

#[test]
fn a_cell_at_the_sheets_far_corner_is_refused_by_its_place() {
    let dir = tempfile::tempdir().unwrap();
    // Unchanged, the copy reads.
    let plain = workbook_with(dir.path(), "");
    let rows = gridwalk_gis::codes::read_rows(&plain).unwrap();
    assert_eq!(rows.len(), 135);
    assert_eq!(rows[0][1], "大类代码");
    let far = workbook_with(
        dir.path(),
        r#"<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>"#,
    );
    let e = gridwalk_gis::codes::read_rows(&far)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("row 1048576, column 16384") && e.contains("sheet"),
        "{e}"
    );
}

#[test]
fn a_csv_that_is_neither_utf8_nor_gbk_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = std::fs::read(city("codes-gbk.csv")).unwrap();
    // 0xFF begins no GBK character: one bad byte in the middle.
    let middle = bytes.len() / 2;
    let at = (middle..bytes.len()).find(|&i| bytes[i] == b'\n').unwrap() + 1;
    bytes.insert(at, 0xFF);
    let path = dir.path().join("codes.csv");
    std::fs::write(&path, bytes).unwrap();
    let e = gridwalk_gis::codes::read_rows(&path)
        .unwrap_err()
        .to_string();
    assert!(e.contains("neither UTF-8"), "{e}");
    // Unchanged, it reads as GBK.
    let rows = gridwalk_gis::codes::read_rows(&city("codes-gbk.csv")).unwrap();
    assert!(
        rows.iter().flatten().any(|c| c == "大类代码"),
        "{:?}",
        rows[0]
    );
}

#[test]
fn a_tolerance_that_is_no_area_is_refused() {
    for t in [f64::NAN, f64::INFINITY, -1.0] {
        let options = Options {
            tolerance_m2: t,
            ..Options::default()
        };
        let e = check_grid(&gis("dongua-gk3-zone38.shp"), &options)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not an area"), "{t}: {e}");
    }
}

/// The zone-38 file's cells as the store would hold them, moved by (dx, dy) degrees and
/// renumbered from `first` on.
fn stored_like(dx: f64, dy: f64, first: u32) -> Vec<(String, String)> {
    let checked = check_grid(&gis("dongua-gk3-zone38.shp"), &Options::default()).unwrap();
    checked
        .features()
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, (_, text))| {
            let mut f: serde_json::Value = serde_json::from_str(&text).unwrap();
            for ring in f["geometry"]["coordinates"].as_array_mut().unwrap() {
                for p in ring.as_array_mut().unwrap() {
                    p[0] = (p[0].as_f64().unwrap() + dx).into();
                    p[1] = (p[1].as_f64().unwrap() + dy).into();
                }
            }
            (
                format!("440703009009{:03}", first + u32::try_from(i).unwrap()),
                f.to_string(),
            )
        })
        .collect()
}

#[test]
fn a_grid_far_from_the_stored_cells_needs_new_area() {
    let options = Options::default();
    let mut checked = check_grid(&gis("dongua-gk3-zone38.shp"), &options).unwrap();
    // The store's cells 1° (about 100 km) east: this file is taken for a wrong CRS.
    checked.check_against_stored(&stored_like(1.0, 0.0, 1), &options);
    assert_eq!(checked.problems.len(), 1, "{}", checked.report());
    let p = &checked.problems[0];
    assert_eq!(p.kind, ProblemKind::WrongPlace);
    assert!(
        p.message.contains("--new-area") && p.message.contains("km"),
        "{}",
        p.message
    );
    let new_area = Options {
        new_area: true,
        ..Options::default()
    };
    let mut checked = check_grid(&gis("dongua-gk3-zone38.shp"), &new_area).unwrap();
    checked.check_against_stored(&stored_like(1.0, 0.0, 1), &new_area);
    assert!(checked.problems.is_empty(), "{}", checked.report());
}

#[test]
fn a_cell_over_a_stored_cell_the_file_lacks_is_a_problem() {
    let options = Options::default();
    let mut checked = check_grid(&gis("dongua-gk3-zone38.shp"), &options).unwrap();
    // Stored cells under other codes, 30 m north of the file's: they stay, and the file's
    // cells would cover them.
    checked.check_against_stored(&stored_like(0.0, 0.0003, 1), &options);
    assert!(!checked.problems.is_empty());
    assert!(
        checked
            .problems
            .iter()
            .all(|p| p.kind == ProblemKind::Overlap
                && p.message.contains("stored cell 440703009009")),
        "{}",
        checked.report()
    );
    // The same cells under the file's own codes are replaced by it: no problem.
    let mut checked = check_grid(&gis("dongua-gk3-zone38.shp"), &options).unwrap();
    let own: Vec<(String, String)> = checked
        .features()
        .unwrap()
        .into_iter()
        .map(|(c, t)| (c.to_string(), t))
        .collect();
    checked.check_against_stored(&own, &options);
    assert!(checked.problems.is_empty(), "{}", checked.report());
}

#[test]
fn a_crs_given_by_hand_stands_in_for_an_unreadable_prj() {
    let dir = tempfile::tempdir().unwrap();
    let shp = shapefile_copy(dir.path(), "odd");
    std::fs::write(
        dir.path().join("odd.prj"),
        "LOCAL_CS[\"whatever the tool wrote\"]",
    )
    .unwrap();
    let e = check_grid(&shp, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("--crs"), "{e}");
    let given = Options {
        crs: Some(gridwalk_gis::Crs::from_epsg(4526).unwrap()),
        ..Options::default()
    };
    let checked = check_grid(&shp, &given).unwrap();
    assert!(checked.problems.is_empty(), "{}", checked.report());
}

#[test]
fn a_workbook_declaring_billions_of_strings_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    // The fixture with a shared strings table that declares four billion strings and
    // holds one: read as declared, the reader would reserve 96 GB and abort.
    use std::io::{Read, Write};
    let mut source =
        zip::ZipArchive::new(std::fs::File::open(city("codes.xlsx")).unwrap()).unwrap();
    let path = dir.path().join("strings.xlsx");
    let mut out = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..source.len() {
        let mut entry = source.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        out.start_file(name, stored).unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.start_file("xl/sharedStrings.xml", stored).unwrap();
    out.write_all(
        br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4000000000" uniqueCount="4000000000"><si><t>a</t></si></sst>"#,
    )
    .unwrap();
    out.finish().unwrap();
    let e = gridwalk_gis::codes::read_rows(&path)
        .unwrap_err()
        .to_string();
    assert!(e.contains("declares 4000000000 distinct strings"), "{e}");
    // The old formats are refused in words, not read.
    let xls = dir.path().join("codes.xls");
    std::fs::write(&xls, b"\xD0\xCF\x11\xE0").unwrap();
    let e = gridwalk_gis::codes::read_rows(&xls)
        .unwrap_err()
        .to_string();
    assert!(e.contains("save the table as .xlsx or CSV"), "{e}");
}

#[test]
fn a_geopackage_whose_definition_is_beijing_1954_under_a_cgcs2000_code_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (path, db) = geopackage(dir.path());
    let beijing = std::fs::read_to_string(gis("beijing1954.prj")).unwrap();
    db.execute(
        "UPDATE gpkg_spatial_ref_sys SET definition = ?1 WHERE srs_id = 4547",
        [&beijing],
    )
    .unwrap();
    drop(db);
    let e = check_grid(&path, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("Beijing_1954"), "{e}");
}
