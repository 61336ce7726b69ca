//! The importer on the files in `fixtures/gis/`, which GDAL wrote and PROJ projected
//! (`fixtures/tools/make_gis_fixtures.py`): the demo grid in CGCS2000 Gauss-Krüger, 3° zone
//! 38 with the zone number in the easting (Shapefile, pinyin attribute names), 3° by
//! central meridian without it (GeoPackage, the whole 1000-cell grid), 6° zone 19
//! (GeoPackage). Each cell's centroid must come within 0.5 m of where PROJ puts it in
//! WGS-84 (`expected.json`); and broken files must give their problems.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use gridwalk_gis::{Crs, Options, ProblemKind, check_grid};

fn gis(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/gis")
        .join(name)
}

fn expected(file: &str) -> serde_json::Map<String, serde_json::Value> {
    let all: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(gis("expected.json")).unwrap()).unwrap();
    all[file].as_object().unwrap().clone()
}

/// Metres between two WGS-84 positions (haversine; far more exact than 0.5 m needs).
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.0 - a.0).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

fn centroids_within_half_a_metre(file: &str, crs_words: &str) {
    let checked = check_grid(&gis(file), &Options::default()).unwrap();
    assert!(checked.problems.is_empty(), "{}", checked.report());
    assert!(checked.crs.contains(crs_words), "{}", checked.crs);
    let expected = expected(file);
    assert_eq!(checked.cells.len(), expected.len());
    let mut worst: f64 = 0.0;
    for cell in &checked.cells {
        let e = expected[&cell.code].as_array().unwrap();
        let e = (e[0].as_f64().unwrap(), e[1].as_f64().unwrap());
        let d = metres(cell.centroid().unwrap(), e);
        worst = worst.max(d);
        assert!(d < 0.5, "{file} {}: {d:.3} m from PROJ's", cell.code);
    }
    eprintln!(
        "{file}: {} cells, worst centroid {worst:.4} m",
        checked.cells.len()
    );
    // The stored features: the names came through, the code is the feature's id.
    let features = checked.features().unwrap();
    let first: serde_json::Value = serde_json::from_str(&features[0].1).unwrap();
    assert_eq!(first["properties"]["street_name"], "环市街道");
    assert_eq!(first["properties"]["community_code"], "440703001001");
    assert_eq!(first["id"], first["properties"]["code"]);
    let area = first["properties"]["area_m2"].as_i64().unwrap();
    assert!((8_000..12_000).contains(&area), "{area}");
}

#[test]
fn shapefile_in_a_3_degree_zone_with_its_number() {
    centroids_within_half_a_metre("dongua-gk3-zone38.shp", "38500000");
}

#[test]
fn geopackage_in_a_3_degree_zone_by_central_meridian() {
    centroids_within_half_a_metre("pengjiang-gk3-cm114.gpkg", "EPSG:4547");
}

#[test]
fn geopackage_in_a_6_degree_zone() {
    centroids_within_half_a_metre("dongua-gk6-zone19.gpkg", "EPSG:4497");
}

#[test]
fn a_broken_file_gets_every_problem_named() {
    let checked = check_grid(&gis("broken-gk3-cm114.gpkg"), &Options::default()).unwrap();
    assert!(
        checked.features().is_none(),
        "a file with problems is not stored"
    );
    let report = checked.report();
    eprintln!("{report}");
    let has = |kind: ProblemKind, code: Option<&str>| {
        checked
            .problems
            .iter()
            .any(|p| p.kind == kind && code.is_none_or(|c| p.code.as_deref() == Some(c)))
    };
    assert!(
        has(ProblemKind::InvalidGeometry, Some("440703001001002")),
        "{report}"
    );
    assert!(
        has(ProblemKind::Overlap, Some("440703001001007")),
        "{report}"
    );
    assert!(has(ProblemKind::Gap, None), "{report}");
    assert!(
        has(ProblemKind::BadCode, Some("44070300100101")),
        "{report}"
    );
    assert!(
        has(ProblemKind::CodePrefix, Some("440703001001024")),
        "{report}"
    );
    assert!(
        has(ProblemKind::Duplicate, Some("440703001001021")),
        "{report}"
    );
    assert!(report.contains("overlaps 440703001001008"), "{report}");
    assert!(
        report.contains("Self-intersection")
            || report.contains("self-intersect")
            || report.contains("intersect"),
        "{report}"
    );
    assert!(
        report.ends_with("problems: nothing was imported"),
        "{report}"
    );
    // The gap round the shrunken 013 is named with the cells around it.
    let gap = checked
        .problems
        .iter()
        .find(|p| p.kind == ProblemKind::Gap)
        .unwrap();
    assert!(gap.message.contains("440703001001013"), "{}", gap.message);
}

#[test]
fn another_datum_and_a_missing_prj_are_refused_in_words() {
    let e = check_grid(&gis("beijing1954.shp"), &Options::default()).unwrap_err();
    assert!(e.to_string().contains("Beijing_1954"), "{e}");
    let e = check_grid(&gis("no-prj.shp"), &Options::default()).unwrap_err();
    assert!(e.to_string().contains("--crs EPSG:4526"), "{e}");
    // Given the CRS, the same file reads.
    let given = Options {
        crs: Some(Crs::from_epsg(4526).unwrap()),
        ..Options::default()
    };
    let checked = check_grid(&gis("no-prj.shp"), &given).unwrap();
    assert_eq!(checked.cells.len(), 3);
}

#[test]
fn the_wrong_zone_form_is_named_as_such() {
    // The zone-38 file read as if its eastings had no zone number (EPSG:4547).
    let wrong = Options {
        crs: Some(Crs::from_epsg(4547).unwrap()),
        ..Options::default()
    };
    let checked = check_grid(&gis("dongua-gk3-zone38.shp"), &wrong).unwrap();
    // Said once for the whole file, not once per row.
    assert_eq!(checked.problems.len(), 1, "{}", checked.report());
    let first = &checked.problems[0];
    assert_eq!(first.kind, ProblemKind::WrongZone);
    assert!(
        first.message.contains("zone number (38)") && first.message.contains("all 25 cells"),
        "{}",
        first.message
    );
    assert!(checked.features().is_none());
}

#[test]
fn a_crs_naming_the_neighbouring_zone_is_refused() {
    // Zone 38's file under zone 39's CRS (EPSG:4527, 117°E) would land 300 km east, still
    // in China: the zone number in its eastings says otherwise.
    let wrong = Options {
        crs: Some(Crs::from_epsg(4527).unwrap()),
        ..Options::default()
    };
    let checked = check_grid(&gis("dongua-gk3-zone38.shp"), &wrong).unwrap();
    assert_eq!(checked.problems.len(), 1, "{}", checked.report());
    let p = &checked.problems[0];
    assert_eq!(p.kind, ProblemKind::WrongZone);
    assert!(
        p.message.contains("zone 38") && p.message.contains("zone 39"),
        "{}",
        p.message
    );
    // Without the number the eastings cannot tell one zone from another; read under
    // 132°E (EPSG:4553) instead of 114°E, the cells land in the sea east of Taiwan, far
    // outside 广东, the province their codes (44…) name.
    let far = Options {
        crs: Some(Crs::from_epsg(4553).unwrap()),
        ..Options::default()
    };
    let checked = check_grid(&gis("pengjiang-gk3-cm114.gpkg"), &far).unwrap();
    assert_eq!(checked.problems.len(), 1, "{}", checked.report());
    let p = &checked.problems[0];
    assert_eq!(p.kind, ProblemKind::WrongPlace);
    assert!(p.message.contains("广东"), "{}", p.message);
    // The extent is in the report, for a person to see where the grid came out.
    assert!(checked.report().contains("°E"), "{}", checked.report());
}

#[test]
fn a_field_named_otherwise_is_taken_when_given() {
    let mut options = Options::default();
    options.fields.set("code=MJ").unwrap();
    // MJ (the area) is not a code: every row says so, nothing is stored.
    let checked = check_grid(&gis("dongua-gk3-zone38.shp"), &options).unwrap();
    assert!(
        checked
            .problems
            .iter()
            .all(|p| p.kind == ProblemKind::BadCode || p.kind == ProblemKind::Duplicate)
    );
    assert!(checked.features().is_none());
    options.fields.set("code=NOPE").unwrap();
    let e = check_grid(&gis("dongua-gk3-zone38.shp"), &options).unwrap_err();
    assert!(e.to_string().contains("WGBM"), "{e}");
}
