//! The `gridwalk-field` support CLI, run as a real process on the real fixtures.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Output};

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridwalk-field"))
        .arg("--fixtures")
        .arg(common::fixtures())
        .args(args)
        .output()
        .unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn photo_inspect_prints_exif_and_derivative() {
    let path = common::photo("portrait-3000x4000-o6.jpg");
    let v = json(&cli(&["photo", "inspect", path.to_str().unwrap()]));
    assert_eq!(v["exif"]["orientation"], 6);
    assert_eq!(v["exif"]["taken_at"], "2026-11-03T11:05:33+08:00");
    assert!((v["exif"]["gps"]["lat"].as_f64().unwrap() - 22.590227).abs() < 1e-6);
    assert_eq!(
        (v["source_width"].as_u64(), v["source_height"].as_u64()),
        (Some(4000), Some(3000))
    );
    assert_eq!(
        (
            v["derivative_width"].as_u64(),
            v["derivative_height"].as_u64()
        ),
        (Some(1536), Some(2048))
    );
    assert!(v["derivative_bytes"].as_u64().unwrap() > 10_000);
    assert_eq!(v["sha256"].as_str().unwrap().len(), 64);
}

#[test]
fn photo_inspect_refuses_bad_files_with_words() {
    let path = common::bad("image.png");
    let out = cli(&["photo", "inspect", path.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the file is a PNG image, not a JPEG photo"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn cell_lookup() {
    let v = json(&cli(&["cell", "113.063006", "22.598366"]));
    assert_eq!(v["cell"], "440703001001003");
    assert_eq!(v["street"], "环市街道");
    let v = json(&cli(&["cell", "113.118849", "22.58755"]));
    assert_eq!(v["cell"], serde_json::Value::Null);
    assert_eq!(v["flags"][0]["flag"], "outside_grid");
    let out = cli(&["cell", "200", "22.59"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("200 is not a longitude"));
}

#[test]
fn demo_fills_the_queue_and_the_queue_command_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let out = cli(&["--data-dir", data, "demo"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let photos = std::fs::read_dir(common::fixtures().join("photos"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "jpg")
        })
        .count();
    assert_eq!(
        text.lines().filter(|l| l.starts_with('#')).count(),
        photos,
        "{text}"
    );
    let q = json(&cli(&["--data-dir", data, "queue"]));
    assert_eq!(q["pending_reports"].as_u64(), Some(photos as u64));
    assert_eq!(q["pending_photos"].as_u64(), Some(photos as u64));
    assert_eq!(q["drafts"].as_u64(), Some(0));
    // Photos wait for their reports: none is up for upload before the centre has a record.
    let uploads = json(&cli(&["--data-dir", data, "uploads"]));
    assert_eq!(uploads, serde_json::json!([]));
    let status = json(&cli(&["--data-dir", data, "sync-status"]));
    assert_eq!(status["configured"], false);
    let outbox = json(&cli(&["--data-dir", data, "outbox"]));
    let ids: Vec<u64> = outbox
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (1..=photos as u64).collect::<Vec<_>>());
}

/// The key fingerprint a clerk compares with the evidence checker's: the same on every
/// call, four groups of four hex digits, and the one the device's public key gives.
#[test]
fn the_key_fingerprint_is_the_devices_own_and_stable() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_gridwalk-field"))
            .env("GRIDWALK_SECRETS", "file")
            .args(["--fixtures", common::fixtures().to_str().unwrap()])
            .args(["--data-dir", data, "key-fingerprint"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let first = run();
    assert_eq!(first, run());
    assert_eq!(first.len(), 19, "{first}");
    assert!(
        first
            .split(' ')
            .all(|g| g.len() == 4 && g.chars().all(|c| c.is_ascii_hexdigit())),
        "{first}"
    );
    let engine = gridwalk_field::Engine::open(
        gridwalk_field::FieldConfig {
            secrets: gridwalk_field::secrets::SecretsChoice::File,
            ..gridwalk_field::FieldConfig::new(std::path::Path::new(data))
        },
        gridwalk_field::Reference::load(&common::fixtures()).unwrap(),
    )
    .unwrap();
    assert_eq!(
        gridwalk_protocol::signing::fingerprint(&engine.public_key().unwrap()),
        first
    );
}

/// `GRIDWALK_ALLOW_INSECURE_HTTP=1`, as the README and the app spell it, is taken by the
/// CLI too (and 0 as no); anything else is refused in words.
#[test]
fn the_insecure_http_switch_takes_one_and_zero() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let with = |value: &str| {
        Command::new(env!("CARGO_BIN_EXE_gridwalk-field"))
            .env("GRIDWALK_SECRETS", "file")
            .env("GRIDWALK_ALLOW_INSECURE_HTTP", value)
            .args(["--fixtures", common::fixtures().to_str().unwrap()])
            .args(["--data-dir", data.to_str().unwrap(), "device-id"])
            .output()
            .unwrap()
    };
    for value in ["1", "0", "true", "false"] {
        let out = with(value);
        assert!(
            out.status.success(),
            "{value}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = with("maybe");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("maybe"));
}

/// `gridwalk-field outbox | head`: when the reader goes away the CLI stops quietly, with
/// no panic and no backtrace (the outbox, the queue and the demo's listing alike).
#[test]
fn output_to_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let fixtures = common::fixtures();
    for args in [
        &["demo"][..],
        &["outbox", "--limit", "100"],
        &["queue"],
        &["device-id"],
    ] {
        let (reader, writer) = std::io::pipe().unwrap();
        // The reader is gone before the CLI writes a byte: its first write meets EPIPE.
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_gridwalk-field"))
            .env("GRIDWALK_SECRETS", "file")
            .env("RUST_BACKTRACE", "1")
            .arg("--fixtures")
            .arg(&fixtures)
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .stdout(writer)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("panicked") && !err.contains("Broken pipe"),
            "{args:?}: {err}"
        );
        assert!(out.status.success(), "{args:?}: {:?} {err}", out.status);
    }
}

#[test]
fn basemap_install_show_and_remove() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    assert_eq!(
        json(&cli(&["--data-dir", data, "basemap", "show"])),
        serde_json::Value::Null
    );

    // A picture is refused in words, and nothing is installed.
    let picture = common::fixtures().join("bad/image.png");
    let out = cli(&[
        "--data-dir",
        data,
        "basemap",
        "install",
        picture.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("not an SQLite file") && said.contains("nothing was installed"),
        "{said}"
    );

    // The smallest package: one zoom-0 tile (only its first bytes are looked at here).
    let package = dir.path().join("world.mbtiles");
    rusqlite::Connection::open(&package)
        .unwrap()
        .execute_batch(
            "CREATE TABLE metadata (name TEXT, value TEXT);
             INSERT INTO metadata VALUES ('name', 'world'), ('format', 'png');
             CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,
                                 tile_data BLOB);
             INSERT INTO tiles VALUES (0, 0, 0, x'89504e470d0a1a0a');",
        )
        .unwrap();
    let info = json(&cli(&[
        "--data-dir",
        data,
        "basemap",
        "install",
        package.to_str().unwrap(),
    ]));
    assert_eq!(info["name"], "world");
    assert_eq!(info["format"], "png");
    assert_eq!(
        (info["min_zoom"].as_u64(), info["max_zoom"].as_u64()),
        (Some(0), Some(0))
    );
    assert_eq!(json(&cli(&["--data-dir", data, "basemap", "show"])), info);

    let out = cli(&["--data-dir", data, "basemap", "remove"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        json(&cli(&["--data-dir", data, "basemap", "show"])),
        serde_json::Value::Null
    );
}

#[test]
fn components_near_and_show_read_what_the_feed_brought() {
    let dir = tempfile::tempdir().unwrap();
    {
        let e = common::engine_at(dir.path());
        let at = |id: &str, lat: f64| {
            gridwalk_protocol::Change::Component(Box::new(
                gridwalk_protocol::component::ComponentInfo {
                    id: id.parse().unwrap(),
                    category: "0102".parse().unwrap(),
                    cell: "440703001001003".parse().unwrap(),
                    lon: 113.0631,
                    lat,
                    name: Some("污水井盖".into()),
                    owner: None,
                    address: None,
                },
            ))
        };
        let page = gridwalk_protocol::ChangesPage {
            changes: vec![
                at("4407030102000002", 22.5990),
                at("4407030102000001", 22.5984),
            ],
            cursor: "c1".into(),
            more: false,
        };
        e.apply_changes(&page, 1).unwrap();
    }
    let data = dir.path().to_str().unwrap();
    let near = json(&cli(&[
        "--data-dir",
        data,
        "components",
        "near",
        "--category",
        "0102",
        "--lon",
        "113.0631",
        "--lat",
        "22.5983",
    ]));
    let ids: Vec<&str> = near
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["component"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["4407030102000001", "4407030102000002"]);
    assert!((near[0]["distance_m"].as_f64().unwrap() - 11.1).abs() < 0.5);

    let shown = json(&cli(&[
        "--data-dir",
        data,
        "components",
        "show",
        "4407030102000002",
    ]));
    assert_eq!(shown["name"], "污水井盖");
    let missing = cli(&["--data-dir", data, "components", "show", "4419000102000001"]);
    assert!(!missing.status.success());
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("component 4419000102000001 is not among this device's components"),
        "{err}"
    );
}
