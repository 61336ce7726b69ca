//! The component importer on files GDAL wrote and PROJ projected
//! (`fixtures/tools/make_gis_fixtures.py`): 东华社区's components as a Shapefile in CGCS2000
//! Gauss-Krüger 3° zone 38 (pinyin attribute names BJBM, BJMC, QSDW, WZMS), each within
//! 0.5 m of where PROJ puts it in WGS-84 (`expected-components.json`), each in its cell; and
//! a broken file whose every problem is named.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use gridwalk_gis::components::{ComponentFields, check_components, component_categories};
use gridwalk_gis::{Options, ProblemKind};

fn fixtures(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(path)
}

fn grid() -> gridwalk_grid::Grid {
    gridwalk_grid::Grid::from_geojson(
        &std::fs::read_to_string(fixtures("grid/440703-pengjiang.geojson")).unwrap(),
    )
    .unwrap()
}

fn categories() -> std::collections::BTreeSet<String> {
    let table = gridwalk_protocol::CodeTable::from_json(
        &std::fs::read_to_string(fixtures("codes.json")).unwrap(),
    )
    .unwrap();
    component_categories([&table])
}

fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.1.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((b.0 - a.0).to_radians() / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

#[test]
fn a_shapefile_in_a_gauss_kruger_zone_comes_within_half_a_metre_and_into_its_cells() {
    let mut checked = check_components(
        &fixtures("gis/dongua-components-gk3-zone38.shp"),
        &Options::default(),
        &ComponentFields::default(),
    )
    .unwrap();
    checked.check_against(&grid(), &categories());
    assert!(checked.problems.is_empty(), "{}", checked.report());
    let expected: serde_json::Map<String, serde_json::Value> = serde_json::from_str(
        &std::fs::read_to_string(fixtures("gis/expected-components.json")).unwrap(),
    )
    .unwrap();
    let infos = checked.infos().unwrap();
    assert_eq!(infos.len(), expected.len());
    let grid = grid();
    for c in &infos {
        let e = expected[c.id.as_str()].as_array().unwrap();
        let d = metres(
            (c.lon, c.lat),
            (e[0].as_f64().unwrap(), e[1].as_f64().unwrap()),
        );
        assert!(d < 0.5, "{}: {d:.3} m from PROJ's", c.id);
        // Placed in the cell its position lies in, of 东华社区, with its 小类 from its ID.
        assert_eq!(
            grid.cell_at(c.lon, c.lat).map(|g| g.code.clone()),
            Some(c.cell.clone())
        );
        assert!(c.cell.as_str().starts_with("440703001001"), "{}", c.cell);
        assert_eq!(c.category.as_str(), &c.id.as_str()[6..10]);
        assert!(c.name.is_some() && c.owner.is_some() && c.address.is_some());
    }
    assert!(
        checked.report().ends_with("no problems"),
        "{}",
        checked.report()
    );
}

#[test]
fn a_broken_component_file_gets_every_problem_named() {
    let mut checked = check_components(
        &fixtures("gis/broken-components-gk3-cm114.geojson"),
        &Options::default(),
        &ComponentFields::default(),
    )
    .unwrap();
    checked.check_against(&grid(), &categories());
    let report = checked.report();
    let kinds: Vec<(usize, ProblemKind)> =
        checked.problems.iter().map(|p| (p.row, p.kind)).collect();
    assert_eq!(
        kinds,
        [
            (2, ProblemKind::BadCode),
            (3, ProblemKind::Duplicate),
            (4, ProblemKind::UnknownCategory),
            (5, ProblemKind::OutsideGrid),
            (6, ProblemKind::CodePrefix),
        ],
        "{report}"
    );
    assert!(report.contains("not 16 digits"), "{report}");
    assert!(report.contains("小类 0199"), "{report}");
    assert!(report.contains("district 440704"), "{report}");
    assert!(checked.infos().is_none());
    assert!(
        report.ends_with("5 problems: nothing was imported"),
        "{report}"
    );
}

#[test]
fn a_whole_file_in_the_wrong_zone_is_one_problem_and_nothing_without_a_grid() {
    // Read as zone 37 (CM 111°E, EPSG:4525) instead of 38: every component lands 3° west,
    // still in China but in no stored cell.
    let options = Options {
        crs: Some(gridwalk_gis::Crs::from_name("EPSG:4525").unwrap()),
        ..Options::default()
    };
    let mut checked = check_components(
        &fixtures("gis/dongua-components-gk3-zone38.shp"),
        &options,
        &ComponentFields::default(),
    )
    .unwrap();
    checked.check_against(&grid(), &categories());
    assert_eq!(checked.problems.len(), 1, "{}", checked.report());
    assert!(
        checked.problems[0].message.starts_with("all "),
        "{}",
        checked.report()
    );
    // Without a grid or a code table nothing can be placed: said once each, in words.
    let mut checked = check_components(
        &fixtures("gis/dongua-components-gk3-zone38.shp"),
        &Options::default(),
        &ComponentFields::default(),
    )
    .unwrap();
    checked.check_against(&gridwalk_grid::Grid::default(), &Default::default());
    let report = checked.report();
    assert!(report.contains("import the grid first"), "{report}");
    assert!(report.contains("import the code table first"), "{report}");
    assert_eq!(checked.problems.len(), 2, "{report}");
}

#[test]
fn fields_are_named_by_hand_when_the_file_names_them_otherwise() {
    let mut fields = ComponentFields::default();
    fields.set("id=NOPE").unwrap();
    let e = check_components(
        &fixtures("gis/dongua-components-gk3-zone38.shp"),
        &Options::default(),
        &fields,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("no attribute \"NOPE\"") && e.contains("BJBM"),
        "{e}"
    );
    assert!(fields.set("colour=X").is_err());
}
