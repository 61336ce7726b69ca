//! Installing a package: good ones are installed and read back byte for byte with the row
//! flip; every kind of bad file is refused in words and changes nothing.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::sample;
use super::tiles::{self, LonLatBox, TileId};
use crate::storage::FreeSpace;
use crate::{Engine, Error, FieldConfig, Reference, StoragePolicy};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn engine(dir: &Path, free: Option<u64>) -> Engine {
    let mut config = FieldConfig::new(dir);
    if let Some(free) = free {
        config.storage = StoragePolicy {
            free_space: FreeSpace::Fixed(free),
            ..StoragePolicy::default()
        };
    }
    Engine::open(
        config,
        Reference::load(&fixtures()).expect("the fixtures load"),
    )
    .expect("the engine opens")
}

/// A box in the middle of the fixture grid, small enough to render quickly.
const AREA: LonLatBox = LonLatBox {
    west: 113.075,
    south: 22.582,
    east: 113.085,
    north: 22.590,
};

fn streets() -> Vec<Vec<(f64, f64)>> {
    vec![
        vec![(113.070, 22.586), (113.090, 22.586)],
        vec![(113.080, 22.580), (113.080, 22.592)],
    ]
}

fn good_package(dir: &Path) -> PathBuf {
    let path = dir.join("city.mbtiles");
    let written = sample::write(&path, "蓬江区街道", AREA, 14..=16, &streets()).expect("written");
    assert!(written.tiles > 4, "{written:?}");
    path
}

/// The installed file and whatever else sits in the data directory now.
fn installed(dir: &Path) -> (bool, Vec<String>) {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("the data directory")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("basemap"))
        .collect();
    names.sort();
    (dir.join(super::FILE_NAME).exists(), names)
}

#[test]
fn a_good_package_is_installed_and_its_tiles_read_back_exactly() {
    let src = tempfile::tempdir().expect("a temporary directory");
    let data = tempfile::tempdir().expect("a temporary directory");
    let e = engine(data.path(), None);
    assert_eq!(e.basemap().expect("read"), None);
    let path = good_package(src.path());

    let info = e.install_basemap(&path).expect("installed");
    assert_eq!(info.name, "蓬江区街道");
    assert_eq!(info.format, "png");
    assert_eq!((info.min_zoom, info.max_zoom), (14, 16));
    assert_eq!(info.bounds, [AREA.west, AREA.south, AREA.east, AREA.north]);
    assert_eq!(info.bytes, std::fs::metadata(&path).expect("size").len());
    assert!(info.attribution.is_some());
    assert_eq!(
        installed(data.path()),
        (true, vec!["basemap.mbtiles".to_owned()])
    );

    // Every tile comes back byte for byte under its XYZ number, read straight from the
    // source file under its TMS row.
    let src_db = Connection::open(&path).expect("the source opens");
    for z in 14..=16 {
        for t in tiles::covering(&AREA, z) {
            let stored: Vec<u8> = src_db
                .query_row(
                    "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
                    rusqlite::params![z, t.x, (1u32 << z) - 1 - t.y],
                    |r| r.get(0),
                )
                .expect("the tile is in the source");
            assert_eq!(
                e.basemap_tile(t).expect("read").as_deref(),
                Some(&stored[..]),
                "{t:?}"
            );
            assert_eq!(
                stored,
                sample::render(t, &streets()),
                "{t:?} is the tile of its own place"
            );
        }
    }
    // Outside the package, and beyond the world: nothing, not an error.
    assert_eq!(
        e.basemap_tile(TileId { z: 16, x: 0, y: 0 }).expect("read"),
        None
    );
    assert_eq!(
        e.basemap_tile(TileId { z: 3, x: 9, y: 0 }).expect("read"),
        None
    );

    // Still there after the engine is opened again.
    let version = info.version.clone();
    drop(e);
    let e = engine(data.path(), None);
    assert_eq!(
        e.basemap().expect("read").map(|i| i.version),
        Some(version.clone())
    );

    // Another package replaces it, with a new version; removing it leaves none.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let second = e
        .install_basemap_bytes(&std::fs::read(&path).expect("read"))
        .expect("installed");
    assert_ne!(second.version, version);
    e.remove_basemap().expect("removed");
    assert_eq!(e.basemap().expect("read"), None);
    assert_eq!(
        e.basemap_tile(tiles::tile_at(113.08, 22.586, 15))
            .expect("read"),
        None
    );
    assert_eq!(installed(data.path()), (false, vec![]));
    e.remove_basemap().expect("removing none is no error");
}

/// Makes a bad package from a good one's path, in `dir`.
type Spoil = fn(&Path, &Path) -> PathBuf;

fn sqlite_with(dir: &Path, sql: &str) -> PathBuf {
    let path = dir.join("bad.mbtiles");
    let _ = std::fs::remove_file(&path);
    Connection::open(&path)
        .expect("opens")
        .execute_batch(sql)
        .expect("made");
    path
}

#[test]
fn bad_files_are_refused_in_words_and_change_nothing() {
    let cases: Vec<(&str, Spoil, &str)> = vec![
        (
            "empty",
            |dir, _| {
                let p = dir.join("empty.mbtiles");
                std::fs::write(&p, b"").expect("written");
                p
            },
            "empty",
        ),
        (
            "not sqlite",
            |dir, _| {
                let p = dir.join("photo.mbtiles");
                std::fs::copy(fixtures().join("bad/image.png"), &p).expect("copied");
                p
            },
            "not an SQLite file",
        ),
        (
            "truncated",
            |dir, good| {
                let p = dir.join("cut.mbtiles");
                let bytes = std::fs::read(good).expect("read");
                std::fs::write(&p, &bytes[..bytes.len() / 2]).expect("written");
                p
            },
            "cut short",
        ),
        (
            "no tiles table",
            |dir, _| {
                sqlite_with(
                    dir,
                    "CREATE TABLE metadata (name TEXT, value TEXT); INSERT INTO metadata VALUES ('format', 'png');",
                )
            },
            "no tiles table",
        ),
        (
            "no metadata table",
            |dir, _| {
                sqlite_with(
                    dir,
                    "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);",
                )
            },
            "no metadata table",
        ),
        (
            "no tiles",
            |dir, _| {
                sqlite_with(dir, "CREATE TABLE metadata (name TEXT, value TEXT);
                CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);")
            },
            "holds no tiles",
        ),
        (
            "vector tiles",
            |dir, _| {
                sqlite_with(dir, "CREATE TABLE metadata (name TEXT, value TEXT); INSERT INTO metadata VALUES ('format', 'pbf');
                CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
                INSERT INTO tiles VALUES (0, 0, 0, x'1f8b0800');")
            },
            "vector tiles",
        ),
        (
            "unknown format",
            |dir, _| {
                sqlite_with(dir, "CREATE TABLE metadata (name TEXT, value TEXT); INSERT INTO metadata VALUES ('format', 'tiff');
                CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
                INSERT INTO tiles VALUES (0, 0, 0, x'49492a00');")
            },
            "\"tiff\"",
        ),
        (
            "format disagrees with the tiles",
            |dir, _| {
                sqlite_with(dir, "CREATE TABLE metadata (name TEXT, value TEXT); INSERT INTO metadata VALUES ('format', 'png');
                CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
                INSERT INTO tiles VALUES (0, 0, 0, x'ffd8ffe000');")
            },
            "says png, but its tiles are jpg",
        ),
        (
            "insane bounds",
            |dir, _| {
                sqlite_with(dir, "CREATE TABLE metadata (name TEXT, value TEXT);
                INSERT INTO metadata VALUES ('format', 'png'), ('bounds', '113.1,22.5,113.0,22.6');
                CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
                INSERT INTO tiles VALUES (0, 0, 0, x'89504e470d0a1a0a00');")
            },
            "bounds",
        ),
        (
            "zoom beyond 24",
            |dir, _| {
                sqlite_with(dir, "CREATE TABLE metadata (name TEXT, value TEXT); INSERT INTO metadata VALUES ('format', 'png');
                CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
                INSERT INTO tiles VALUES (30, 0, 0, x'89504e470d0a1a0a00');")
            },
            "zoom level 30",
        ),
        (
            "pmtiles",
            |dir, _| {
                let p = dir.join("city.pmtiles");
                std::fs::write(&p, b"PMTiles\x03 and the rest of an archive").expect("written");
                p
            },
            "PMTiles",
        ),
    ];
    let src = tempfile::tempdir().expect("a temporary directory");
    let good = good_package(src.path());
    for installed_before in [false, true] {
        let data = tempfile::tempdir().expect("a temporary directory");
        let e = engine(data.path(), None);
        let before = installed_before.then(|| e.install_basemap(&good).expect("installed"));
        for (what, spoil, says) in &cases {
            let bad = spoil(src.path(), &good);
            for result in [
                e.install_basemap(&bad),
                e.install_basemap_bytes(&std::fs::read(&bad).expect("read")),
            ] {
                let err = result.expect_err(what);
                assert!(matches!(err, Error::BasemapInvalid(_)), "{what}: {err:?}");
                assert_eq!(err.kind(), "invalid");
                assert!(err.to_string().contains(says), "{what}: {err}");
                assert!(
                    err.to_string().contains("nothing was installed"),
                    "{what}: {err}"
                );
                assert_eq!(e.basemap().expect("read"), before, "{what}");
                let expect: Vec<String> = if installed_before {
                    vec!["basemap.mbtiles".into()]
                } else {
                    vec![]
                };
                assert_eq!(installed(data.path()), (installed_before, expect), "{what}");
            }
        }
    }
}

#[test]
fn a_package_without_room_is_refused_before_anything_is_written() {
    let src = tempfile::tempdir().expect("a temporary directory");
    let data = tempfile::tempdir().expect("a temporary directory");
    let good = good_package(src.path());
    let size = std::fs::metadata(&good).expect("size").len();
    let keep = StoragePolicy::default().refuse_below;
    let e = engine(data.path(), Some(keep + size - 1));
    let err = e.install_basemap(&good).expect_err("no room");
    assert!(matches!(err, Error::BasemapNoRoom { .. }), "{err:?}");
    assert_eq!(err.kind(), "no_room");
    assert_eq!(installed(data.path()), (false, vec![]));

    let e2 = {
        drop(e);
        engine(data.path(), Some(keep + size))
    };
    e2.install_basemap(&good).expect("just enough room");
}

#[test]
fn a_package_without_bounds_or_name_gets_them_from_its_tiles() {
    let src = tempfile::tempdir().expect("a temporary directory");
    let data = tempfile::tempdir().expect("a temporary directory");
    let good = good_package(src.path());
    let conn = Connection::open(&good).expect("opens");
    conn.execute(
        "DELETE FROM metadata WHERE name IN ('bounds', 'name', 'format')",
        [],
    )
    .expect("removed");
    drop(conn);
    let e = engine(data.path(), None);
    let info = e.install_basemap(&good).expect("installed");
    assert_eq!(info.name, "离线底图");
    assert_eq!(info.format, "png", "told by the tiles' bytes");
    let [w, s, east, n] = info.bounds;
    // The zoom-14 tiles' extent holds the area.
    assert!(
        w <= AREA.west && s <= AREA.south && east >= AREA.east && n >= AREA.north,
        "{:?}",
        info.bounds
    );
    assert!(east - w < 0.05 && n - s < 0.05, "{:?}", info.bounds);
}

#[test]
fn an_installed_package_damaged_since_counts_as_none_and_the_engine_still_opens() {
    let src = tempfile::tempdir().expect("a temporary directory");
    let data = tempfile::tempdir().expect("a temporary directory");
    let good = good_package(src.path());
    let e = engine(data.path(), None);
    e.install_basemap(&good).expect("installed");
    drop(e);
    let installed = data.path().join(super::FILE_NAME);
    let bytes = std::fs::read(&installed).expect("read");
    std::fs::write(&installed, &bytes[..bytes.len() / 3]).expect("cut short");
    let e = engine(data.path(), None);
    assert_eq!(
        e.basemap()
            .expect("no error: the maps fall back to the cells"),
        None
    );
    assert_eq!(
        e.basemap_tile(tiles::tile_at(113.08, 22.586, 15))
            .expect("read"),
        None
    );
    e.install_basemap(&good).expect("installed again over it");
    assert!(e.basemap().expect("read").is_some());
}
