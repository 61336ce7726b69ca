//! `gridwalk-sync admin import-grid` as a city's administrator runs it, on both backends:
//! the real binary on a store with the demo loaded, a server running beside it, and a
//! tablet syncing over HTTP. A broken file gets its report and exit code 1 and changes
//! nothing; `--check` stores nothing; a revised grid (GeoJSON in CGCS2000 Gauss-Krüger
//! zone 38, written by GDAL) is stored in one step, recorded in the administrative chain,
//! and reaches the tablet through the feed, where it decides which cell a report is in.
#![allow(clippy::unwrap_used)]

use gridwalk_protocol::{Crs, Location, LocationProvider};
use gridwalk_system_tests::*;

fn gis(name: &str) -> String {
    fixtures()
        .join("gis")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

/// 5 m east of the middle of the edge cells 001 and 002 share in the demo grid; the
/// revised grid moves that edge 10 m east, so the point passes from 002 to 001.
fn by_the_moved_edge() -> Location {
    let (lon, lat): (f64, f64) = ((113.061534 + 113.06157) / 2.0, (22.59785 + 22.5988) / 2.0);
    let east = 5.0 / (111_320.0 * lat.to_radians().cos());
    Location {
        lon: lon + east,
        lat,
        crs: Crs::Wgs84,
        accuracy_m: 3.0,
        fix_time: chrono::Utc::now(),
        provider: LocationProvider::Gps,
    }
}

/// A centre with the demo loaded and serving, and the demo inspector's tablet enrolled and
/// synced once beside it.
struct Beside {
    centre: BinaryCentre,
    server: tokio::process::Child,
    dir: tempfile::TempDir,
    engine: gridwalk_field::Engine,
    client: gridwalk_field::sync::SyncClient,
}

impl Beside {
    async fn new(backend: Backend) -> Self {
        let centre = BinaryCentre::with_fixtures(backend).await;
        let (server, url) = centre.start("127.0.0.1:0", &[]).await;
        let dir = tempfile::tempdir().unwrap();
        let engine = signed_in_engine(dir.path());
        let token = centre.enroll(engine.device_id()).await;
        let client = connect(&engine, &url, &token);
        engine.sync_once(&client, "test").await.unwrap();
        Self {
            centre,
            server,
            dir,
            engine,
            client,
        }
    }
}

fn imports(audit: &str) -> usize {
    audit
        .lines()
        .filter(|l| l.contains("\timport_grid\t"))
        .count()
}

async fn a_broken_grid_changes_nothing_and_a_good_one_reaches_the_tablet(backend: Backend) {
    let Beside {
        centre,
        mut server,
        dir,
        engine,
        client,
    } = Beside::new(backend).await;
    let cell_here = |engine: &gridwalk_field::Engine| {
        engine
            .assign_cell(&by_the_moved_edge())
            .unwrap()
            .cell
            .map(|c| c.to_string())
    };
    assert_eq!(cell_here(&engine).as_deref(), Some("440703001001002"));

    // A broken file: every problem on stdout, exit code 1, nothing stored.
    let report = centre.data_dir.join("report.json");
    let broken = centre
        .run(
            &[
                "admin",
                "import-grid",
                &gis("broken-gk3-cm114.gpkg"),
                "--report",
                report.to_str().unwrap(),
            ],
            "",
        )
        .await;
    assert_eq!(broken.code, Some(1), "{broken:?}");
    for line in [
        "row 2 (440703001001002): the polygon is not valid",
        "row 7 (440703001001007): the cell overlaps 440703001001008 (row 8) by",
        "a gap of",
        "row 19 (44070300100101): the cell code \"44070300100101\" is not 15 digits",
        "row 24 (440703001001024): the cell code does not start with its community code 440703001002",
        "row 25 (440703001001021): the cell code is also on row 21",
        // The mistyped codes leave the stored cells they meant (019, 025) out of the file;
        // those stay, and the file's cells would cover them.
        "row 19 (44070300100101): the cell overlaps stored cell 440703001001019 by",
        "row 25 (440703001001021): the cell overlaps stored cell 440703001001025 by",
    ] {
        assert!(broken.stdout.contains(line), "{line}\n{}", broken.stdout);
    }
    assert!(
        broken.stderr.contains("nothing was imported"),
        "{}",
        broken.stderr
    );
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["problems"].as_array().unwrap().len(), 9, "{json}");
    assert!(
        json["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["kind"] == "gap")
    );
    // `--check` of a good file stores nothing either.
    let checked = centre
        .run(
            &[
                "admin",
                "import-grid",
                "--check",
                &gis("dongua-revised-gk3-zone38.geojson"),
            ],
            "",
        )
        .await;
    assert_eq!(checked.code, Some(0), "{checked:?}");
    assert!(
        checked.stderr.contains("nothing was stored"),
        "{}",
        checked.stderr
    );
    assert_eq!(imports(&centre.admin(&["audit"]).await), 0);
    let done = engine.sync_once(&client, "test").await.unwrap();
    assert_eq!(done.pulled, 0, "nothing changed at the centre");
    assert_eq!(cell_here(&engine).as_deref(), Some("440703001001002"));

    // The revised grid: stored at once, recorded, and on the tablet after its next sync.
    let imported = centre
        .run(
            &[
                "admin",
                "import-grid",
                &gis("dongua-revised-gk3-zone38.geojson"),
            ],
            "",
        )
        .await;
    assert_eq!(imported.code, Some(0), "{imported:?}");
    assert!(
        imported.stdout.contains("25 cells read from a GeoJSON in CGCS2000 Gauss-Krüger, central meridian 114°E, false easting 38500000 m (EPSG:4526); no problems"),
        "{}",
        imported.stdout
    );
    assert!(
        imported.stderr.contains("imported 25 cells"),
        "{}",
        imported.stderr
    );
    let audit = centre.admin(&["audit"]).await;
    assert_eq!(imports(&audit), 1, "{audit}");
    assert!(audit.contains("SHA-256 "), "{audit}");
    let done = engine.sync_once(&client, "test").await.unwrap();
    assert!(
        done.pulled >= 3,
        "the inspector's three cells came again: {}",
        done.pulled
    );
    assert_eq!(cell_here(&engine).as_deref(), Some("440703001001001"));
    // Reopened, the tablet keeps placing reports in the centre's cells.
    drop(client);
    drop(engine);
    let engine = signed_in_engine(dir.path());
    assert_eq!(cell_here(&engine).as_deref(), Some("440703001001001"));
    server.kill().await.unwrap();
    centre.finish().await;
}

/// `admin import-codes`: the demo table as a city keeps it (XLSX with Chinese headers; CSV
/// in GBK) becomes a new table version the tablet receives, with every category of the
/// JSON it came from; a changed table under a stored version, and a sheet with bad rows,
/// are refused and change nothing.
async fn a_code_table_from_a_spreadsheet_is_a_new_version_on_the_tablet(backend: Backend) {
    let Beside {
        centre,
        mut server,
        dir,
        engine,
        client,
    } = Beside::new(backend).await;
    let city = |name: &str| {
        fixtures()
            .join("city")
            .join(name)
            .to_str()
            .unwrap()
            .to_owned()
    };
    let demo = gridwalk_protocol::CodeTable::from_json(
        &std::fs::read_to_string(fixtures().join("codes.json")).unwrap(),
    )
    .unwrap();

    // The stored version with other content (the spreadsheet has no titles in English for
    // the kinds, and no 大类 without 小类): refused.
    let clash = centre
        .run(
            &[
                "admin",
                "import-codes",
                &city("codes.xlsx"),
                "--version",
                demo.version(),
            ],
            "",
        )
        .await;
    assert_eq!(clash.code, Some(1), "{clash:?}");
    assert!(
        clash.stderr.contains("already stored with other content"),
        "{}",
        clash.stderr
    );
    // Bad rows: each named, nothing stored.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "类型,大类代码,大类名称,小类代码,小类名称\n部件,1,公用设施,01,上水井盖\n部件,01,公用设施,01,上水井盖\n部件,01,公用设施,01,又一个\n",
    )
    .unwrap();
    let refused = centre
        .run(
            &[
                "admin",
                "import-codes",
                bad.to_str().unwrap(),
                "--version",
                "BAD-1",
            ],
            "",
        )
        .await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(refused.stdout.contains("row 2"), "{}", refused.stdout);
    assert!(
        refused
            .stdout
            .contains("row 4 (0101): 部件 0101 is also on row 3"),
        "{}",
        refused.stdout
    );
    let audit = centre.admin(&["audit"]).await;
    assert!(!audit.contains("\timport_codes\t"), "{audit}");

    for (file, version) in [
        ("codes.xlsx", "CJT214-2026.1"),
        ("codes-gbk.csv", "CJT214-2026.2"),
    ] {
        let done = centre
            .run(
                &["admin", "import-codes", &city(file), "--version", version],
                "",
            )
            .await;
        assert_eq!(done.code, Some(0), "{done:?}");
        assert!(done.stderr.contains("134 categories"), "{}", done.stderr);
    }
    engine.sync_once(&client, "test").await.unwrap();
    let tables = engine.centre_code_tables().unwrap();
    for version in ["CJT214-2026.1", "CJT214-2026.2"] {
        let (_, body) = tables.iter().find(|(v, _)| v == version).unwrap();
        let table = gridwalk_protocol::CodeTable::from_json(body).unwrap();
        assert_eq!(table.version(), version);
        let names = |t: &gridwalk_protocol::CodeTable| {
            t.iter()
                .map(|c| {
                    (
                        c.kind,
                        c.code.to_string(),
                        c.major_name.clone(),
                        c.name.clone(),
                        c.name_en.clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&table), names(&demo), "{version}");
    }
    server.kill().await.unwrap();
    centre.finish().await;
}

/// `admin import-people`: a list with problems changes nothing and names each by its row;
/// the city's list (Chinese headers, cells separated by ; and 、) is stored whole, and
/// importing it again with a change updates the person in place.
async fn a_list_of_people_is_taken_whole_or_not_at_all(backend: Backend) {
    let centre = BinaryCentre::with_fixtures(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let list = fixtures().join("city").join("people.csv");
    let before = centre.admin(&["users"]).await;
    let bad = dir.path().join("bad.csv");
    let mut text = std::fs::read_to_string(&list).unwrap();
    text.push_str("zhoujie,周杰,网格员,T440703001-02,440703009009009,,,\n");
    std::fs::write(&bad, &text).unwrap();
    let refused = centre
        .run(&["admin", "import-people", bad.to_str().unwrap()], "")
        .await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    for line in [
        "row 6: zhoujie is also on row 2",
        "row 6: cell 440703009009009 is not in the grid the centre holds",
    ] {
        assert!(refused.stdout.contains(line), "{line}\n{}", refused.stdout);
    }
    assert_eq!(centre.admin(&["users"]).await, before, "nothing was stored");

    let done = centre
        .run(&["admin", "import-people", list.to_str().unwrap()], "")
        .await;
    assert_eq!(done.code, Some(0), "{done:?}");
    assert!(done.stderr.contains("imported 4 people"), "{}", done.stderr);
    let users = centre.admin(&["users"]).await;
    for login in ["zhoujie", "wuting", "zhengqiang", "hwclerk2"] {
        assert!(users.contains(login), "{login}\n{users}");
    }
    assert!(
        users.contains("zhoujie\tinspector\tT440703001-02\t周杰\tactive"),
        "{users}"
    );
    assert!(users.contains("hwclerk2\tdepartment\tHW\t冯敏"), "{users}");
    // The same list with 周杰 in a third cell: updated in place, not made twice.
    let changed = dir.path().join("changed.csv");
    std::fs::write(
        &changed,
        std::fs::read_to_string(&list).unwrap().replace(
            "440703001001004;440703001001005",
            "440703001001004;440703001001005;440703001001010",
        ),
    )
    .unwrap();
    let again = centre
        .run(&["admin", "import-people", changed.to_str().unwrap()], "")
        .await;
    assert_eq!(again.code, Some(0), "{again:?}");
    let users = centre.admin(&["users"]).await;
    assert_eq!(users.matches("zhoujie").count(), 1, "{users}");
    let audit = centre.admin(&["audit"]).await;
    assert!(
        audit.contains("4 people (4 new, 0 updated)")
            && audit.contains("4 people (0 new, 4 updated)"),
        "{audit}"
    );
    centre.finish().await;
}

/// `admin import-departments`: a list with problems changes nothing; the city's list adds
/// its new department to the case rules, and a clerk of it can then be imported.
async fn a_departments_list_goes_into_the_case_rules(backend: Backend) {
    let centre = BinaryCentre::with_fixtures(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let list = fixtures().join("city").join("departments.csv");
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        format!("{}rq,燃气集团,\n", std::fs::read_to_string(&list).unwrap()),
    )
    .unwrap();
    let refused = centre
        .run(&["admin", "import-departments", bad.to_str().unwrap()], "")
        .await;
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused.stdout.contains("row 9: the code \"rq\" is not"),
        "{}",
        refused.stdout
    );
    // A clerk of the new department cannot be imported before it.
    let people = dir.path().join("people.csv");
    std::fs::write(
        &people,
        "登录名,姓名,角色,班组,网格,工号,执法记录仪,部门\nrqclerk,赵燃,处置部门,,,,,RQ\n",
    )
    .unwrap();
    let early = centre
        .run(&["admin", "import-people", people.to_str().unwrap()], "")
        .await;
    assert_eq!(early.code, Some(1), "{early:?}");
    let done = centre
        .run(&["admin", "import-departments", list.to_str().unwrap()], "")
        .await;
    assert_eq!(done.code, Some(0), "{done:?}");
    assert!(
        done.stdout.contains("RQ\t燃气公司\tGas company"),
        "{}",
        done.stdout
    );
    assert!(
        done.stderr.contains("7 departments stored"),
        "{}",
        done.stderr
    );
    let then = centre
        .run(&["admin", "import-people", people.to_str().unwrap()], "")
        .await;
    assert_eq!(then.code, Some(0), "{then:?}");
    let audit = centre.admin(&["audit"]).await;
    assert!(audit.contains("7 departments (1 new)"), "{audit}");
    centre.finish().await;
}

on_every_backend!(
    a_departments_list_goes_into_the_case_rules,
    a_broken_grid_changes_nothing_and_a_good_one_reaches_the_tablet,
    a_code_table_from_a_spreadsheet_is_a_new_version_on_the_tablet,
    a_list_of_people_is_taken_whole_or_not_at_all,
);
