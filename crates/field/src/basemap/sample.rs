//! A small generated MBTiles package for tests: "streets" drawn as lines over a box, a few
//! zoom levels of PNG tiles, written the way GDAL writes a raster package (TMS rows,
//! `metadata` and `tiles` tables). The tests draw the fixture grid's cell edges, so the
//! streets on screen must run exactly along the cells' outlines: a wrong row flip or
//! projection shows at once.
//!
//! Built for the engine's tests and, with the `sample-basemap` feature, for the app's
//! end-to-end run; not part of the app.

use std::io::Cursor;
use std::ops::RangeInclusive;
use std::path::Path;

use image::ImageEncoder;
use image::codecs::png::PngEncoder;
use rusqlite::{Connection, params};

use super::tiles::{self, LonLatBox, TileId};

/// Land, street casing and street, as a paper street map draws them.
const LAND: [u8; 3] = [0xF2, 0xEF, 0xE9];
const CASING: [u8; 3] = [0xA8, 0x9F, 0x91];
const STREET: [u8; 3] = [0xFF, 0xFF, 0xFF];
const SIZE: u32 = 256;

/// What [`write`] made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub tiles: usize,
    pub bytes: u64,
}

/// Renders the tile `t` with `lines` (each a path of longitude, latitude) as streets.
#[must_use]
pub fn render(t: TileId, lines: &[Vec<(f64, f64)>]) -> Vec<u8> {
    let mut px = vec![0u8; (SIZE * SIZE * 3) as usize];
    for p in px.chunks_exact_mut(3) {
        p.copy_from_slice(&LAND);
    }
    // Streets widen as the map zooms in, as on a real map.
    let half = match t.z {
        0..=14 => 1.0,
        15 => 1.5,
        16 => 2.5,
        _ => 4.0,
    };
    let to_px = |(lon, lat): (f64, f64)| {
        let (x, y) = tiles::to_tile_xy(lon, lat, t.z);
        (
            (x - f64::from(t.x)) * f64::from(SIZE),
            (y - f64::from(t.y)) * f64::from(SIZE),
        )
    };
    for (radius, colour) in [(half + 1.0, CASING), (half, STREET)] {
        for line in lines {
            for seg in line.windows(2) {
                stroke(&mut px, to_px(seg[0]), to_px(seg[1]), radius, colour);
            }
        }
    }
    let mut png = Vec::new();
    PngEncoder::new(Cursor::new(&mut png))
        .write_image(&px, SIZE, SIZE, image::ExtendedColorType::Rgb8)
        .expect("a PNG encodes into memory");
    png
}

/// Paints the segment `a`–`b` `radius` pixels either side, clipped to the tile.
fn stroke(px: &mut [u8], a: (f64, f64), b: (f64, f64), radius: f64, colour: [u8; 3]) {
    let size = f64::from(SIZE);
    let (minx, maxx) = (a.0.min(b.0) - radius, a.0.max(b.0) + radius);
    let (miny, maxy) = (a.1.min(b.1) - radius, a.1.max(b.1) + radius);
    if maxx < 0.0 || maxy < 0.0 || minx >= size || miny >= size {
        return;
    }
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let range =
        |from: f64, to: f64| from.max(0.0).floor() as u32..=(to.min(size - 1.0).ceil() as u32);
    for y in range(miny, maxy) {
        for x in range(minx, maxx) {
            let (cx, cy) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
            let t = if len2 > 0.0 {
                (((cx - a.0) * dx + (cy - a.1) * dy) / len2).clamp(0.0, 1.0)
            } else {
                0.0
            };
            let (qx, qy) = (a.0 + t * dx - cx, a.1 + t * dy - cy);
            if qx * qx + qy * qy <= radius * radius {
                let i = ((y * SIZE + x) * 3) as usize;
                px[i..i + 3].copy_from_slice(&colour);
            }
        }
    }
}

/// Writes an MBTiles package to `path`: every tile over `bounds` at `zooms`, with `lines`
/// as streets, named `name`.
///
/// # Errors
/// If the file cannot be written.
pub fn write(
    path: &Path,
    name: &str,
    bounds: LonLatBox,
    zooms: RangeInclusive<u8>,
    lines: &[Vec<(f64, f64)>],
) -> rusqlite::Result<Written> {
    let mut conn = Connection::open(path)?;
    conn.execute_batch(
        "CREATE TABLE metadata (name TEXT, value TEXT);
         CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER,
                             tile_data BLOB);
         CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);",
    )?;
    let tx = conn.transaction()?;
    let b = format!(
        "{},{},{},{}",
        bounds.west, bounds.south, bounds.east, bounds.north
    );
    for (k, v) in [
        ("name", name),
        ("format", "png"),
        ("type", "baselayer"),
        ("bounds", &b),
        ("minzoom", &zooms.start().to_string()),
        ("maxzoom", &zooms.end().to_string()),
        ("attribution", "Gridwalk 测试街道 (generated)"),
    ] {
        tx.execute("INSERT INTO metadata VALUES (?1, ?2)", [k, v])?;
    }
    let mut n = 0;
    for z in zooms {
        for t in tiles::covering(&bounds, z) {
            tx.execute(
                "INSERT INTO tiles VALUES (?1, ?2, ?3, ?4)",
                params![t.z, t.x, tiles::tms_row(t.z, t.y), render(t, lines)],
            )?;
            n += 1;
        }
    }
    tx.commit()?;
    drop(conn);
    let bytes = std::fs::metadata(path).map_or(0, |m| m.len());
    Ok(Written { tiles: n, bytes })
}
