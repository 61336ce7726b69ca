//! City components (部件) on the tablet, end to end on a real engine: pages of the centre's
//! feed applied through the pull's own path (`Engine::apply_changes`), then the lookups a
//! 部件 report uses: by a photographed QR code, and the nearest of a 小类.
#![allow(clippy::unwrap_used)]

mod common;

use gridwalk_field::{DraftPatch, Engine, Error};
use gridwalk_protocol::component::ComponentInfo;
use gridwalk_protocol::{Change, ChangesPage, Kind};

/// Inside the demo inspector's cell 440703001001003.
const HERE: (f64, f64) = (113.0631, 22.5983);

fn component(id: &str, cell: &str, lon: f64, lat: f64) -> ComponentInfo {
    ComponentInfo {
        id: id.parse().unwrap(),
        category: id[6..10].parse().unwrap(),
        cell: cell.parse().unwrap(),
        lon,
        lat,
        name: Some(format!("部件 {}", &id[10..])),
        owner: Some("蓬江区市政".into()),
        address: Some(format!("建设路 {} 号", &id[13..])),
    }
}

fn page(changes: Vec<Change>, cursor: &str) -> ChangesPage {
    ChangesPage {
        changes,
        cursor: cursor.into(),
        more: false,
    }
}

fn put(c: &ComponentInfo) -> Change {
    Change::Component(Box::new(c.clone()))
}

/// Sewage covers (0102) near HERE at about 10, 30 and 60 m, a street light (0118) at 5 m,
/// and a sewage cover in the neighbouring cell 004, about 170 m east.
fn city() -> Vec<ComponentInfo> {
    let (lon, lat) = HERE;
    vec![
        component(
            "4407030102000030",
            "440703001001003",
            lon,
            lat + 30.0 / 111_195.0,
        ),
        component(
            "4407030102000010",
            "440703001001003",
            lon,
            lat - 10.0 / 111_195.0,
        ),
        component(
            "4407030102000060",
            "440703001001003",
            lon - 60.0 / 102_660.0,
            lat,
        ),
        component(
            "4407030118000005",
            "440703001001003",
            lon + 5.0 / 102_660.0,
            lat,
        ),
        component(
            "4407030102000170",
            "440703001001004",
            lon + 170.0 / 102_660.0,
            lat,
        ),
    ]
}

fn with_city(e: &Engine) {
    e.apply_changes(&page(city().iter().map(put).collect(), "c1"), 1)
        .unwrap();
}

fn near(e: &Engine, category: &str, limit: usize) -> Vec<(String, f64)> {
    e.components_near(&category.parse().unwrap(), HERE.0, HERE.1, limit)
        .unwrap()
        .into_iter()
        .map(|n| (n.component.id.to_string(), n.distance_m))
        .collect()
}

/// A photographed QR code saying `text`: dark modules of 10 pixels on a light card with a
/// four-module margin, on a mid-grey background, as a JPEG.
fn photo_of_qr(text: &str) -> Vec<u8> {
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let modules = code.width();
    let colors = code.to_colors();
    let px = 10;
    let card = (modules + 8) * px;
    let (w, h) = (card + 400, card + 300);
    let mut grey = vec![128u8; w * h];
    for y in 0..card {
        for x in 0..card {
            let (mx, my) = ((x / px).wrapping_sub(4), (y / px).wrapping_sub(4));
            let dark =
                mx < modules && my < modules && colors[my * modules + mx] == qrcode::Color::Dark;
            grey[(y + 150) * w + x + 200] = if dark { 25 } else { 230 };
        }
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 90)
        .encode(
            &grey,
            u16::try_from(w).unwrap(),
            u16::try_from(h).unwrap(),
            jpeg_encoder::ColorType::Luma,
        )
        .unwrap();
    out
}

/// The catalogue code of a component's refusal.
fn refused_code(e: Error) -> String {
    assert_eq!(e.kind(), "component", "{e:?}");
    e.message().code
}

#[test]
fn components_arrive_with_the_feed_and_retired_ones_go() {
    let dir = tempfile::tempdir().unwrap();
    let e = common::engine_at(dir.path());
    with_city(&e);
    let id = "4407030102000010".parse().unwrap();
    assert_eq!(e.component(&id).unwrap(), Some(city()[1].clone()));

    // A changed component replaces what was held; a tombstone removes it.
    let mut moved = city()[1].clone();
    moved.name = Some("污水井盖 (新)".into());
    e.apply_changes(&page(vec![put(&moved)], "c2"), 1).unwrap();
    assert_eq!(e.component(&id).unwrap(), Some(moved));
    e.apply_changes(
        &page(vec![Change::ComponentRetired { id: id.clone() }], "c3"),
        1,
    )
    .unwrap();
    assert_eq!(e.component(&id).unwrap(), None);
    assert_eq!(e.feed_cursor().unwrap().0.as_deref(), Some("c3"));

    // It stays held across a restart of the app.
    drop(e);
    let e = common::engine_at(dir.path());
    assert!(
        e.component(&"4407030102000030".parse().unwrap())
            .unwrap()
            .is_some()
    );
}

#[test]
fn a_retired_cell_leaves_the_grid_and_takes_its_components() {
    let dir = tempfile::tempdir().unwrap();
    let e = common::engine_at(dir.path());
    with_city(&e);
    let (lon, lat) = HERE;
    let placed = |e: &Engine| {
        e.assign_cell(&common::gps_fix(lon, lat, 5.0))
            .unwrap()
            .cell
            .map(|c| c.to_string())
    };
    assert_eq!(placed(&e).as_deref(), Some("440703001001003"));

    e.apply_changes(
        &page(
            vec![Change::CellRetired {
                code: "440703001001003".parse().unwrap(),
            }],
            "c2",
        ),
        1,
    )
    .unwrap();
    // The carried grid has the cell, but the centre's word wins: no longer placed there.
    assert_ne!(placed(&e).as_deref(), Some("440703001001003"));
    assert!(
        !e.my_grid()
            .unwrap()
            .iter()
            .any(|c| c.code.as_str() == "440703001001003")
    );
    // Its components went; the neighbouring cell's stayed.
    assert!(near(&e, "0118", 5).is_empty());
    assert_eq!(
        near(&e, "0102", 5)
            .into_iter()
            .map(|n| n.0)
            .collect::<Vec<_>>(),
        ["4407030102000170"]
    );
    // Still so after a restart (the grid is rebuilt from what is stored).
    drop(e);
    let e = common::engine_at(dir.path());
    assert_ne!(placed(&e).as_deref(), Some("440703001001003"));

    // Sent again (redrawn back), the cell places positions again.
    let feature = serde_json::json!({
        "type": "Feature",
        "properties": { "code": "440703001001003" },
        "geometry": { "type": "Polygon", "coordinates": [[
            [113.0625119, 22.5978941], [113.06351, 22.5978941], [113.06351, 22.5988],
            [113.0625119, 22.5988], [113.0625119, 22.5978941]
        ]]}
    });
    e.apply_changes(
        &page(
            vec![Change::Cell {
                code: "440703001001003".parse().unwrap(),
                feature,
            }],
            "c3",
        ),
        1,
    )
    .unwrap();
    assert_eq!(placed(&e).as_deref(), Some("440703001001003"));
}

#[test]
fn the_nearest_of_a_category_come_first() {
    let dir = tempfile::tempdir().unwrap();
    let e = common::engine_at(dir.path());
    assert!(near(&e, "0102", 3).is_empty(), "nothing synced yet");
    with_city(&e);

    let got = near(&e, "0102", 3);
    let ids: Vec<&str> = got.iter().map(|n| n.0.as_str()).collect();
    assert_eq!(
        ids,
        ["4407030102000010", "4407030102000030", "4407030102000060"],
        "{got:?}"
    );
    for ((_, d), want) in got.iter().zip([10.0, 30.0, 60.0]) {
        assert!((d - want).abs() < 1.0, "{got:?}");
    }
    // Beyond the first box, the one in the next cell is found too; the street light never.
    let all = near(&e, "0102", 10);
    assert_eq!(all.len(), 4, "{all:?}");
    assert_eq!(all[3].0, "4407030102000170");
    assert_eq!(near(&e, "0118", 10).len(), 1);
    assert!(near(&e, "0301", 10).is_empty());
}

#[test]
fn a_scanned_code_names_a_held_component_or_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let e = common::engine_at(dir.path());
    with_city(&e);

    // The 城市服务码 carries the ID in a URL.
    let found = e
        .scan_component(&photo_of_qr(
            "https://csfwm.example.gov.cn/s?c=4407030102000030&v=2",
        ))
        .unwrap();
    assert_eq!(found, city()[0]);

    let unknown = e
        .scan_component(&photo_of_qr("4419000102000001"))
        .unwrap_err();
    let words = unknown.to_string();
    assert!(
        words.contains("4419000102000001") && words.contains("not in your cells"),
        "{words}"
    );
    assert_eq!(refused_code(unknown), "component.not_here");

    let not_a_component = e.scan_component(&photo_of_qr("GW1:hello")).unwrap_err();
    assert_eq!(refused_code(not_a_component), "component.not_in_qr");

    // A picture of a wall: readable, no code in it.
    let mut wall = Vec::new();
    jpeg_encoder::Encoder::new(&mut wall, 90)
        .encode(&[140u8; 640 * 480], 640, 480, jpeg_encoder::ColorType::Luma)
        .unwrap();
    let blank = e.scan_component(&wall).unwrap_err();
    assert_eq!(refused_code(blank), "component.no_qr");
}

#[test]
fn taking_a_component_sets_the_draft_and_a_different_category_is_replaced_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let e = common::engine_at(dir.path());
    with_city(&e);

    // An empty draft becomes a 部件 report of the component's 小类, scanned.
    let d = e.create_draft().unwrap();
    let taken = e
        .scan_component_for(d.id, &photo_of_qr("4407030102000060"))
        .unwrap();
    assert_eq!(taken.report.kind, Some(Kind::Component));
    assert_eq!(taken.report.category.as_ref().unwrap().as_str(), "0102");
    assert_eq!(
        taken.report.component_id.as_ref().unwrap().as_str(),
        "4407030102000060"
    );
    assert_eq!(taken.report.address, "建设路 060 号");
    assert_eq!(
        taken.report.location, None,
        "the position stays the inspector's"
    );
    assert_eq!(taken.replaced_category, None);

    // A draft that said 路灯 (0118) becomes 污水井盖 (0102), and says what it was; the
    // address the inspector wrote stays.
    let d = e.create_draft().unwrap();
    common::ready_draft(&e, d.id, None);
    e.update_draft(
        d.id,
        &DraftPatch {
            kind: Some(Kind::Component),
            category: Some("0118".parse().unwrap()),
            address: Some("门口".into()),
            ..DraftPatch::default()
        },
    )
    .unwrap();
    let taken = e
        .take_component(d.id, &"4407030102000010".parse().unwrap())
        .unwrap();
    assert_eq!(taken.report.category.as_ref().unwrap().as_str(), "0102");
    assert_eq!(taken.replaced_kind, Some(Kind::Component));
    assert_eq!(taken.replaced_category.unwrap().as_str(), "0118");
    assert_eq!(taken.report.address, "门口");
    // It submits: the ID matches the category, as the centre checks.
    let f = e.finalize(d.id).unwrap();
    assert_eq!(f.report.component_id.unwrap().as_str(), "4407030102000010");

    // An ID this tablet does not hold is refused and the draft is unchanged.
    let d = e.create_draft().unwrap();
    let err = e
        .take_component(d.id, &"4419000102000001".parse().unwrap())
        .unwrap_err();
    assert_eq!(refused_code(err), "component.not_here");
    assert_eq!(e.report(d.id).unwrap(), d);

    // A submitted report cannot take one.
    assert!(matches!(
        e.take_component(f.report.id, &"4407030102000030".parse().unwrap()),
        Err(Error::NotADraft(_))
    ));
}
