//! The offline basemap: streets under the grid's cells, from a tile package the city
//! provides, read on the tablet without a network.
//!
//! **Tiles.** A web map is a pyramid of square 256-pixel pictures: at zoom 0 one tile
//! shows the world, and each level splits every tile into four, so at zoom 17 a tile is
//! about 300 m across in South China and a pixel about a metre. Tiles are cut in **Web
//! Mercator** (EPSG:3857), the projection every web map uses; [`tiles`] has the
//! arithmetic. The map screen picks the level whose pixels match its scale and draws the
//! tiles that cover the view.
//!
//! **MBTiles.** The package is an SQLite file (the MBTiles 1.3 specification): a `metadata`
//! table of `name`/`value` pairs (`name`, `format`, `bounds` as west,south,east,north in
//! degrees, `minzoom`, `maxzoom`, `attribution`) and a `tiles` table (or view) of
//! `zoom_level, tile_column, tile_row, tile_data`. Rows are numbered the **TMS** way, from
//! the south, where web maps (XYZ) number them from the north: row = 2^z − 1 − y. GDAL
//! (`gdal_translate -of MBTILES` then `gdaladdo`) and QGIS ("Generate XYZ tiles (MBTiles)")
//! both write it; the README says how a city makes one.
//!
//! **What is read.** Raster tiles only: PNG, JPEG or WebP, which the WebView draws as they
//! are. Vector tiles (`format` `pbf`, Mapbox Vector Tiles) and PMTiles archives are refused
//! with a message saying so: drawing them needs a style and a renderer in the app, which
//! Gridwalk does not have yet.
//!
//! **Coordinates.** The engine and the cells are in WGS-84 (CGCS2000 is the same within
//! about 10 m, far below what a street map shows), and the app assumes the package's
//! tiles are too: standard Web Mercator over WGS-84 longitudes and latitudes, which is what
//! a city's surveying department or Tianditu-derived data gives. Tiles cut from a Chinese
//! commercial web map (Amap, Tencent: GCJ-02; Baidu: BD-09, on a grid of its own) are
//! shifted by the "Mars coordinates" offset, some 300–600 m in Jiangmen, and the streets
//! would run beside the cells instead of along them. The app cannot tell from the file;
//! the settings screen shows the package's name and bounds, and the README tells the city.
//!
//! **Installing.** A package is checked before it counts: an SQLite file whose stated size
//! matches its length (a copy cut short is caught here), that SQLite's own quick check
//! passes, with both tables, a raster format that the first tile's bytes agree with, and
//! sane bounds and zoom levels. It is written beside its final place
//! (`basemap.mbtiles.part` in the data directory), flushed to the disk, checked, and only
//! then renamed over the previous package, so a refused file or a crash midway leaves the
//! installed package (or none) exactly as it was. Room is checked first, with the
//! photos' refusal level ([`crate::StoragePolicy::refuse_below`]) kept free: a map must
//! never take the room evidence needs. The package is opened read-only and `immutable`
//! (SQLite takes no locks and writes no journal next to it). Reopened after the app
//! restarts, only its structure is checked again (not every page: the app must start
//! quickly); one damaged since counts as none, so the maps fall back to the cells.

pub mod tiles;

#[cfg(any(test, feature = "sample-basemap"))]
pub mod sample;

#[cfg(test)]
mod install_tests;

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::MutexGuard;

use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::Serialize;

use crate::engine::Engine;
use crate::error::{Error, Result};
use tiles::{LonLatBox, MAX_ZOOM, TileId};

/// The installed package's file name in the data directory.
pub const FILE_NAME: &str = "basemap.mbtiles";
const PART_NAME: &str = "basemap.mbtiles.part";

/// What the settings screen and the map know about the installed package.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BasemapInfo {
    /// The package's `name`, or "离线底图" when it has none.
    pub name: String,
    /// `png`, `jpg` or `webp`.
    pub format: String,
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// West, south, east, north in degrees (WGS-84).
    pub bounds: [f64; 4],
    /// The map's credit line, shown under it.
    pub attribution: Option<String>,
    /// The file's size in bytes.
    pub bytes: u64,
    /// Changes whenever another package is installed, so the WebView does not show tiles
    /// it cached from the previous one.
    pub version: String,
}

/// An open, checked package.
#[derive(Debug)]
pub(crate) struct Package {
    conn: Connection,
    info: BasemapInfo,
}

/// The tile formats read, by their first bytes.
fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("jpg")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("webp")
    } else if bytes.starts_with(&[0x1F, 0x8B]) {
        Some("pbf")
    } else {
        None
    }
}

/// The media type of a tile's bytes, for the WebView.
#[must_use]
pub fn content_type(bytes: &[u8]) -> &'static str {
    match sniff(bytes) {
        Some("png") => "image/png",
        Some("jpg") => "image/jpeg",
        Some("webp") => "image/webp",
        _ => "application/octet-stream",
    }
}

fn invalid(detail: impl Into<String>) -> Error {
    Error::BasemapInvalid(detail.into())
}

/// Checks what SQLite's header says against the file: the magic string, and the page
/// count × page size against the length (a package cut short in copying is shorter).
fn check_header(path: &Path) -> Result<u64> {
    let mut file = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    if len == 0 {
        return Err(invalid("the file is empty"));
    }
    if &path_extension(path) == "pmtiles" {
        return Err(invalid(
            "PMTiles archives are not read yet; give the package as MBTiles",
        ));
    }
    let mut head = [0u8; 100];
    let got = read_up_to(&mut file, &mut head).map_err(|e| Error::io(path, e))?;
    if got < 100 || &head[..16] != b"SQLite format 3\0" {
        if head.starts_with(b"PMTiles") {
            return Err(invalid(
                "PMTiles archives are not read yet; give the package as MBTiles",
            ));
        }
        return Err(invalid(
            "it is not an SQLite file (an MBTiles package is an SQLite database)",
        ));
    }
    // Page size: 2 bytes at 16 (1 stands for 65 536); page count: 4 bytes at 28, valid
    // when the change counters at 24 and 92 agree (older writers left it 0).
    let page_size = match u16::from_be_bytes([head[16], head[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    let pages = u64::from(u32::from_be_bytes([head[28], head[29], head[30], head[31]]));
    if head[24..28] == head[92..96] && pages > 0 && len < pages * page_size {
        return Err(invalid(format!(
            "the file is cut short: {len} bytes of the {} its header states; copy it again",
            pages * page_size
        )));
    }
    Ok(len)
}

fn path_extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Opens `path` read-only and immutable.
fn open_read_only(path: &Path) -> Result<Connection> {
    let uri = format!("file:{}?immutable=1", percent_path(&path.to_string_lossy()));
    Connection::open_with_flags(
        uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| invalid(format!("SQLite cannot open it: {e}")))
}

/// A path as the path of an SQLite `file:` URI: `?`, `#` and `%` escaped.
fn percent_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            _ => out.push(c),
        }
    }
    out
}

/// How much of a package is checked when it is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// Every page (SQLite's `quick_check`): on installing, where seconds for a large package
    /// are expected.
    Whole,
    /// The header, the tables and the metadata: on opening the installed package, which
    /// was checked whole when it was installed, so the app starts without reading it all.
    Structure,
}

/// Opens and checks the package at `path`; `version` names this installation.
pub(crate) fn open_checked(path: &Path, version: String, check: Check) -> Result<Package> {
    let bytes = check_header(path)?;
    let conn = open_read_only(path)?;
    let bad_sqlite = |e: rusqlite::Error| invalid(format!("SQLite cannot read it: {e}"));
    if check == Check::Whole {
        let result: String = conn
            .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
            .map_err(bad_sqlite)?;
        if result != "ok" {
            return Err(invalid(format!("the database is damaged: {result}")));
        }
    }
    let has = |name: &str| -> Result<bool> {
        conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = ?1 AND type IN ('table', 'view')",
            [name],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n > 0)
        .map_err(bad_sqlite)
    };
    if !has("tiles")? {
        return Err(invalid(
            "it has no tiles table, so it is not an MBTiles package",
        ));
    }
    if !has("metadata")? {
        return Err(invalid(
            "it has no metadata table, so it is not an MBTiles package",
        ));
    }
    let meta = |key: &str| -> Result<Option<String>> {
        conn.query_row("SELECT value FROM metadata WHERE name = ?1", [key], |r| {
            r.get::<_, Option<String>>(0)
        })
        .optional()
        .map(Option::flatten)
        .map_err(|e| invalid(format!("its metadata table cannot be read: {e}")))
    };
    let levels: (Option<i64>, Option<i64>) = conn
        .query_row(
            "SELECT min(zoom_level), max(zoom_level) FROM tiles",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map_err(|e| invalid(format!("its tiles table cannot be read: {e}")))?;
    let (Some(min), Some(max)) = levels else {
        return Err(invalid("the package holds no tiles"));
    };
    let zoom = |z: i64| {
        u8::try_from(z)
            .ok()
            .filter(|z| *z <= MAX_ZOOM)
            .ok_or_else(|| {
                invalid(format!(
                    "it holds tiles at zoom level {z}, beyond 0 to {MAX_ZOOM}"
                ))
            })
    };
    let (min_zoom, max_zoom) = (zoom(min)?, zoom(max)?);
    let first: Vec<u8> = conn
        .query_row(
            "SELECT tile_data FROM tiles WHERE zoom_level = ?1 LIMIT 1",
            [min],
            |r| r.get(0),
        )
        .map_err(|e| invalid(format!("its tiles cannot be read: {e}")))?;
    let stated = meta("format")?.map(|f| f.trim().to_ascii_lowercase());
    let format = match (stated.as_deref(), sniff(&first)) {
        (Some("pbf" | "mvt"), _) | (None, Some("pbf")) => {
            return Err(invalid(
                "it holds vector tiles (pbf); only raster packages (png, jpg, webp) are read",
            ));
        }
        (Some(f @ ("png" | "jpg" | "jpeg" | "webp")), Some(seen)) => {
            let f = if f == "jpeg" { "jpg" } else { f };
            if f != seen {
                return Err(invalid(format!(
                    "its metadata says {f}, but its tiles are {seen}"
                )));
            }
            seen
        }
        (None, Some(seen)) => seen,
        (Some(f), _) => {
            return Err(invalid(format!(
                "its tiles are in the format {f:?}; only png, jpg and webp are read"
            )));
        }
        (None, None) => return Err(invalid("its tiles are not PNG, JPEG or WebP pictures")),
    };
    let bounds = match meta("bounds")? {
        Some(text) => parse_bounds(&text)?,
        None => extent(&conn, min_zoom)?,
    };
    Ok(Package {
        info: BasemapInfo {
            name: meta("name")?
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| "离线底图".to_owned()),
            format: format.to_owned(),
            min_zoom,
            max_zoom,
            bounds: [bounds.west, bounds.south, bounds.east, bounds.north],
            attribution: meta("attribution")?.filter(|a| !a.trim().is_empty()),
            bytes,
            version,
        },
        conn,
    })
}

fn parse_bounds(text: &str) -> Result<LonLatBox> {
    let parts: Vec<f64> = text
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<std::result::Result<_, _>>()
        .map_err(|_| invalid(format!("its bounds {text:?} are not four numbers")))?;
    let [west, south, east, north] = parts[..] else {
        return Err(invalid(format!("its bounds {text:?} are not four numbers")));
    };
    let b = LonLatBox {
        west,
        south,
        east,
        north,
    };
    if !b.is_sane() {
        return Err(invalid(format!(
            "its bounds {text:?} are not west,south,east,north in degrees"
        )));
    }
    Ok(b)
}

/// The box the tiles of zoom `z` cover, for a package that states no bounds.
fn extent(conn: &Connection, z: u8) -> Result<LonLatBox> {
    let (x0, x1, r0, r1): (u32, u32, u32, u32) = conn
        .query_row(
            "SELECT min(tile_column), max(tile_column), min(tile_row), max(tile_row)
               FROM tiles WHERE zoom_level = ?1",
            [z],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .map_err(|e| invalid(format!("its tiles cannot be read: {e}")))?;
    let nw = tiles::tile_box(TileId {
        z,
        x: x0,
        y: tiles::tms_row(z, r1),
    });
    let se = tiles::tile_box(TileId {
        z,
        x: x1,
        y: tiles::tms_row(z, r0),
    });
    Ok(LonLatBox {
        west: nw.west,
        south: se.south,
        east: se.east,
        north: nw.north,
    })
}

impl Package {
    fn tile(&self, t: TileId) -> Result<Option<Vec<u8>>> {
        if t.z > MAX_ZOOM || t.x >= tiles::tiles_per_side(t.z) || t.y >= tiles::tiles_per_side(t.z)
        {
            return Ok(None);
        }
        Ok(self
            .conn
            .prepare_cached(
                "SELECT tile_data FROM tiles
                  WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
            )?
            .query_row(params![t.z, t.x, tiles::tms_row(t.z, t.y)], |r| r.get(0))
            .optional()?)
    }
}

/// Flushes a directory's entry list, so a rename in it survives a power cut.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// The installation's version: the package file's modification time, which the rename
/// keeps and a new package changes.
fn version_of(path: &Path) -> Result<String> {
    let modified = fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(|e| Error::io(path, e))?;
    let nanos = modified
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    Ok(format!("{nanos:x}"))
}

impl Engine {
    fn basemap_path(&self) -> PathBuf {
        self.config.data_dir.join(FILE_NAME)
    }

    /// The open package, opened on first use. An installed package that no longer reads
    /// (damaged on the device's storage since) counts as none, with a warning in the log:
    /// the maps fall back to the cells, and the inspector can install it again.
    fn basemap_package(&self) -> Result<MutexGuard<'_, Option<Package>>> {
        let mut open = self.basemap_lock();
        if open.is_none() {
            let path = self.basemap_path();
            if path.exists() {
                match open_checked(&path, version_of(&path)?, Check::Structure) {
                    Ok(package) => *open = Some(package),
                    Err(e @ Error::BasemapInvalid(_)) => {
                        tracing::warn!(error = %e, "the installed basemap does not read; not drawn");
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(open)
    }

    /// The installed package, or `None`.
    pub fn basemap(&self) -> Result<Option<BasemapInfo>> {
        Ok(self.basemap_package()?.as_ref().map(|p| p.info.clone()))
    }

    /// The picture of tile `t` (XYZ numbering), or `None` where the package has none.
    pub fn basemap_tile(&self, t: TileId) -> Result<Option<Vec<u8>>> {
        match self.basemap_package()?.as_ref() {
            Some(p) => p.tile(t),
            None => Ok(None),
        }
    }

    /// Installs the package at `source` (copied; the file itself is left alone), replacing
    /// the installed one. A file that is not a package this app reads is refused with
    /// [`Error::BasemapInvalid`] and changes nothing.
    pub fn install_basemap(&self, source: &Path) -> Result<BasemapInfo> {
        let len = fs::metadata(source)
            .map_err(|e| Error::io(source, e))?
            .len();
        self.ensure_room_for_basemap(len)?;
        let mut from = File::open(source).map_err(|e| Error::io(source, e))?;
        self.install_part(len, |to| std::io::copy(&mut from, to).map(|_| ()))
    }

    /// [`Engine::install_basemap`] for a package's bytes (the app's file picker).
    pub fn install_basemap_bytes(&self, bytes: &[u8]) -> Result<BasemapInfo> {
        let len = bytes.len() as u64;
        self.ensure_room_for_basemap(len)?;
        self.install_part(len, |to| to.write_all(bytes))
    }

    /// Removes the installed package; the maps show the cells alone again.
    pub fn remove_basemap(&self) -> Result<()> {
        let mut open = self.basemap_lock();
        *open = None;
        let path = self.basemap_path();
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.config.data_dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    fn ensure_room_for_basemap(&self, len: u64) -> Result<()> {
        let keep = self.config.storage.refuse_below;
        match self.free_space() {
            Some(free) if free < keep.saturating_add(len) => Err(Error::BasemapNoRoom {
                size: len,
                free,
                keep,
            }),
            _ => Ok(()),
        }
    }

    /// Writes the package beside its place with `write`, flushes it, checks it, and renames
    /// it into place; on any failure the part is removed and the installed package stays.
    fn install_part(
        &self,
        len: u64,
        write: impl FnOnce(&mut File) -> std::io::Result<()>,
    ) -> Result<BasemapInfo> {
        if len == 0 {
            return Err(invalid("the file is empty"));
        }
        let part = self.config.data_dir.join(PART_NAME);
        let result = (|| {
            let mut file = File::create(&part).map_err(|e| Error::io(&part, e))?;
            write(&mut file)
                .and_then(|()| file.sync_all())
                .map_err(|e| Error::io(&part, e))?;
            drop(file);
            // Checked here, so the version is the part's; the rename keeps it.
            let package = open_checked(&part, version_of(&part)?, Check::Whole)?;
            let mut open = self.basemap_lock();
            *open = None;
            let path = self.basemap_path();
            fs::rename(&part, &path).map_err(|e| Error::io(&path, e))?;
            sync_dir(&self.config.data_dir)?;
            let info = package.info.clone();
            *open = Some(package);
            Ok(info)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&part);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_are_told_apart_by_their_first_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some("png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("jpg"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("webp"));
        assert_eq!(sniff(&[0x1F, 0x8B, 8, 0]), Some("pbf"));
        assert_eq!(sniff(b"<html>"), None);
    }

    #[test]
    fn bounds_are_four_sane_numbers() {
        let b = parse_bounds("113.06, 22.57,113.1,22.6").expect("good bounds");
        assert_eq!(
            [b.west, b.south, b.east, b.north],
            [113.06, 22.57, 113.1, 22.6]
        );
        for bad in [
            "113,22,114",
            "a,b,c,d",
            "114,22,113,23",
            "113,22,114,91",
            "",
        ] {
            assert!(parse_bounds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sqlite_uri_paths_escape_what_a_uri_reads() {
        assert_eq!(percent_path("/data/a?b#c%d"), "/data/a%3fb%23c%25d");
    }
}
