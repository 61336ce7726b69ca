//! Tile arithmetic of the Web Mercator tile pyramid: which tile a position falls in at a
//! zoom level, where a tile's corners are, which tiles cover a box, and how MBTiles numbers
//! its rows. Pure functions; the UI has the same arithmetic in `ui/src/shared/tiles.ts`
//! (with its own tests) to choose the tiles a view needs.
//!
//! At zoom `z` the world (longitude −180…180, latitude ±85.0511…, the square Web Mercator
//! maps onto) is cut into 2^z × 2^z tiles; `x` counts from the west, `y` from the north
//! (the "XYZ" numbering of web maps). MBTiles stores rows the other way up (TMS: from the
//! south), so the row of tile `y` is `2^z − 1 − y` ([`tms_row`]).

/// The latitude where Web Mercator's square ends: arctan(sinh(π)), in degrees.
pub const MAX_LAT: f64 = 85.051_128_779_806_6;

/// The deepest zoom level a package may hold (some 2 cm per pixel at the equator).
pub const MAX_ZOOM: u8 = 24;

/// Ground metres per pixel of a 256-pixel tile at zoom 0 on the equator: the Earth's
/// equatorial circumference (WGS-84, 2π × 6 378 137 m) over 256.
pub const EQUATOR_M_PER_PX_Z0: f64 = 156_543.033_928_041;

/// One tile: zoom, column from the west, row from the north (XYZ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TileId {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

/// A box in longitude and latitude (degrees, WGS-84): west, south, east, north.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LonLatBox {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

impl LonLatBox {
    /// Whether the box is one MBTiles `bounds` may hold: finite, west of east, south of
    /// north, within the Web Mercator square.
    #[must_use]
    pub fn is_sane(&self) -> bool {
        let Self {
            west,
            south,
            east,
            north,
        } = *self;
        [west, south, east, north].iter().all(|v| v.is_finite())
            && (-180.0..=180.0).contains(&west)
            && (-180.0..=180.0).contains(&east)
            && (-MAX_LAT - 1e-6..=MAX_LAT + 1e-6).contains(&south)
            && (-MAX_LAT - 1e-6..=MAX_LAT + 1e-6).contains(&north)
            && west < east
            && south < north
    }
}

/// The number of tiles along each side at zoom `z`.
#[must_use]
pub fn tiles_per_side(z: u8) -> u32 {
    1u32 << z.min(31)
}

/// Where `lon`/`lat` falls at zoom `z`, in tiles (fractional: 3.5 is the middle of column 3).
/// Latitudes beyond the square are held at its edge.
#[must_use]
pub fn to_tile_xy(lon: f64, lat: f64, z: u8) -> (f64, f64) {
    let n = f64::from(tiles_per_side(z));
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    let x = (lon + 180.0) / 360.0 * n;
    let y = (1.0 - lat.tan().asinh() / std::f64::consts::PI) / 2.0 * n;
    (x, y)
}

/// The longitude and latitude of a point given in (fractional) tiles at zoom `z`: the
/// north-west corner of tile `(x, y)` for whole numbers.
#[must_use]
pub fn to_lon_lat(x: f64, y: f64, z: u8) -> (f64, f64) {
    let n = f64::from(tiles_per_side(z));
    let lon = x / n * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * y / n))
        .sinh()
        .atan()
        .to_degrees();
    (lon, lat)
}

/// The tile holding `lon`/`lat` at zoom `z`.
#[must_use]
pub fn tile_at(lon: f64, lat: f64, z: u8) -> TileId {
    let (x, y) = to_tile_xy(lon, lat, z);
    let last = f64::from(tiles_per_side(z) - 1);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let clamp = |v: f64| v.floor().clamp(0.0, last) as u32;
    TileId {
        z,
        x: clamp(x),
        y: clamp(y),
    }
}

/// The box a tile covers.
#[must_use]
pub fn tile_box(t: TileId) -> LonLatBox {
    let (west, north) = to_lon_lat(f64::from(t.x), f64::from(t.y), t.z);
    let (east, south) = to_lon_lat(f64::from(t.x) + 1.0, f64::from(t.y) + 1.0, t.z);
    LonLatBox {
        west,
        south,
        east,
        north,
    }
}

/// The tiles at zoom `z` that cover `b`, row by row from the north-west.
#[must_use]
pub fn covering(b: &LonLatBox, z: u8) -> Vec<TileId> {
    let nw = tile_at(b.west, b.north, z);
    let se = tile_at(b.east, b.south, z);
    (nw.y..=se.y)
        .flat_map(|y| (nw.x..=se.x).map(move |x| TileId { z, x, y }))
        .collect()
}

/// The MBTiles (TMS) row of XYZ row `y` at zoom `z`: TMS counts rows from the south. The
/// same formula turns a TMS row back into `y`.
#[must_use]
pub fn tms_row(z: u8, y: u32) -> u32 {
    tiles_per_side(z) - 1 - y
}

/// Ground metres per pixel of a 256-pixel tile at zoom `z` and latitude `lat`.
#[must_use]
pub fn metres_per_pixel(z: u8, lat: f64) -> f64 {
    EQUATOR_M_PER_PX_Z0 * lat.to_radians().cos() / f64::from(tiles_per_side(z))
}

/// The zoom level whose pixels are closest to `mpp` ground metres at latitude `lat` (a tile
/// drawn at about its own size), held within `min..=max`.
#[must_use]
pub fn zoom_for(mpp: f64, lat: f64, min: u8, max: u8) -> u8 {
    let exact = (EQUATOR_M_PER_PX_Z0 * lat.to_radians().cos() / mpp).log2();
    if !exact.is_finite() {
        return max;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let z = exact.round().clamp(0.0, f64::from(MAX_ZOOM)) as u8;
    z.clamp(min, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, eps: f64) -> bool {
        (a - b).abs() < eps
    }

    #[test]
    fn zoom_zero_is_one_tile_for_the_world() {
        assert_eq!(tile_at(113.08, 22.58, 0), TileId { z: 0, x: 0, y: 0 });
        assert_eq!(tile_at(-179.9, -84.0, 0), TileId { z: 0, x: 0, y: 0 });
        let b = tile_box(TileId { z: 0, x: 0, y: 0 });
        assert!(close(b.west, -180.0, 1e-9) && close(b.east, 180.0, 1e-9));
        assert!(close(b.north, MAX_LAT, 1e-9) && close(b.south, -MAX_LAT, 1e-9));
    }

    #[test]
    fn the_origin_is_the_corner_of_the_four_tiles_of_zoom_one() {
        assert_eq!(to_tile_xy(0.0, 0.0, 1), (1.0, 1.0));
        assert_eq!(tile_at(0.0, 0.0, 1), TileId { z: 1, x: 1, y: 1 });
        assert_eq!(tile_at(-0.1, 0.1, 1), TileId { z: 1, x: 0, y: 0 });
    }

    #[test]
    fn a_position_in_pengjiang_falls_in_the_tile_computed_by_hand() {
        // x = (113.08 + 180) / 360 × 2^16 = 53 353.6; y = (1 − ln(tan φ + sec φ)/π)/2 × 2^16
        // with φ = 22.58°: ln(0.41584 + 1.08306) = 0.40473, so y = 0.43559 × 65 536 = 28 546.7
        let t = tile_at(113.08, 22.58, 16);
        assert_eq!((t.x, t.y), (53_353, 28_546));
        let b = tile_box(t);
        assert!(b.west <= 113.08 && 113.08 < b.east);
        assert!(b.south < 22.58 && 22.58 <= b.north);
    }

    #[test]
    fn positions_survive_the_round_trip_through_tiles() {
        for &(lon, lat) in &[
            (113.0606, 22.5763),
            (-73.98, 40.75),
            (151.2, -33.87),
            (0.0, 0.0),
        ] {
            for z in [0, 5, 12, 18, 22] {
                let (x, y) = to_tile_xy(lon, lat, z);
                let (lon2, lat2) = to_lon_lat(x, y, z);
                assert!(
                    close(lon, lon2, 1e-9) && close(lat, lat2, 1e-9),
                    "{lon},{lat} z{z}"
                );
            }
        }
    }

    #[test]
    fn tiles_at_a_zoom_split_into_four_at_the_next() {
        let t = tile_at(113.08, 22.58, 15);
        let b = tile_box(t);
        let inner = covering(
            &LonLatBox {
                west: b.west + 1e-9,
                south: b.south + 1e-9,
                east: b.east - 1e-9,
                north: b.north - 1e-9,
            },
            16,
        );
        assert_eq!(
            inner,
            vec![
                TileId {
                    z: 16,
                    x: 2 * t.x,
                    y: 2 * t.y
                },
                TileId {
                    z: 16,
                    x: 2 * t.x + 1,
                    y: 2 * t.y
                },
                TileId {
                    z: 16,
                    x: 2 * t.x,
                    y: 2 * t.y + 1
                },
                TileId {
                    z: 16,
                    x: 2 * t.x + 1,
                    y: 2 * t.y + 1
                },
            ]
        );
    }

    #[test]
    fn covering_a_box_counts_the_tiles_it_touches() {
        // The fixture grid (4 × 2.5 km) at zoom 16, where a tile is some 560 m across.
        let b = LonLatBox {
            west: 113.0606,
            south: 22.5763,
            east: 113.0994,
            north: 22.5988,
        };
        let tiles = covering(&b, 16);
        let (x0, y0) = to_tile_xy(b.west, b.north, 16);
        let (x1, y1) = to_tile_xy(b.east, b.south, 16);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let expect = ((x1.floor() - x0.floor() + 1.0) * (y1.floor() - y0.floor() + 1.0)) as usize;
        assert_eq!(tiles.len(), expect);
        assert!(tiles.iter().all(|t| {
            let tb = tile_box(*t);
            tb.east > b.west && tb.west < b.east && tb.north > b.south && tb.south < b.north
        }));
    }

    #[test]
    fn tms_rows_count_from_the_south_and_flip_back() {
        assert_eq!(tms_row(0, 0), 0);
        assert_eq!(tms_row(1, 0), 1);
        assert_eq!(tms_row(3, 2), 5);
        assert_eq!(tms_row(16, tms_row(16, 28_546)), 28_546);
    }

    #[test]
    fn the_zoom_for_a_scale_draws_tiles_near_their_own_size() {
        // At 22.58° N a zoom-17 pixel is 156 543 × cos φ / 2^17 = 1.1028 m.
        assert!(close(metres_per_pixel(17, 22.58), 1.1028, 1e-3));
        assert_eq!(zoom_for(1.1, 22.58, 0, 24), 17);
        assert_eq!(zoom_for(0.5, 22.58, 0, 24), 18);
        assert_eq!(
            zoom_for(0.5, 22.58, 10, 16),
            16,
            "held at the package's deepest level"
        );
        assert_eq!(
            zoom_for(5000.0, 22.58, 10, 16),
            10,
            "held at its shallowest"
        );
        assert_eq!(zoom_for(0.0, 22.58, 10, 16), 16);
    }

    #[test]
    fn sane_bounds() {
        let ok = LonLatBox {
            west: 113.0,
            south: 22.5,
            east: 113.1,
            north: 22.6,
        };
        assert!(ok.is_sane());
        assert!(!LonLatBox { west: 113.2, ..ok }.is_sane());
        assert!(!LonLatBox { north: 89.0, ..ok }.is_sane());
        assert!(
            !LonLatBox {
                east: f64::NAN,
                ..ok
            }
            .is_sane()
        );
        assert!(!LonLatBox { west: -200.0, ..ok }.is_sane());
    }
}
