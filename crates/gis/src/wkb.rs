//! A look at a GeoPackage geometry blob before it is decoded.
//!
//! A GeoPackage stores each geometry as a short header (`GP`, version, flags, SRS id, an
//! optional envelope) followed by WKB: a byte-order mark, a type, and counts — of points
//! in a line, rings in a polygon, parts in a collection — each followed by what it counts.
//! A decoder trusts those counts: a blob of a hundred bytes can claim four billion points,
//! and a decoder reserving room for them brings the process down; collections nested in
//! collections a million deep exhaust the stack. A grid file comes from another office's
//! GIS and may be damaged or made to hurt, so [`check`] walks the blob first, without
//! allocating: every count must fit in the bytes that remain, collections may nest only a
//! few levels, and a feature may have only so many points. Only then does geozero decode it.

/// Collections within collections deeper than this are refused.
pub const MAX_DEPTH: usize = 4;

/// Points one feature may have. A 单元网格 of about 100 m × 100 m drawn along kerbs has
/// tens to a few hundred corners; thousands are digitising noise, and checking a ring for
/// self-crossings grows with the square of its corners.
pub const MAX_POINTS: usize = 5_000;

/// Walks a GeoPackage geometry blob (see the module's notes). `Ok(points)` when it is
/// whole and within the limits, else what is wrong, in words.
pub fn check(blob: &[u8]) -> Result<usize, String> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err("not a GeoPackage geometry (it does not start with \"GP\")".to_owned());
    }
    let flags = blob[3];
    let envelope = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        other => return Err(format!("the geometry header names envelope kind {other}")),
    };
    let start = 8 + envelope;
    if blob.len() < start {
        return Err("the geometry ends inside its header".to_owned());
    }
    let mut walk = Walk {
        bytes: &blob[start..],
        at: 0,
        points: 0,
    };
    walk.geometry(0)?;
    Ok(walk.points)
}

struct Walk<'a> {
    bytes: &'a [u8],
    at: usize,
    points: usize,
}

impl Walk<'_> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        if self.remaining() < n {
            return Err(format!(
                "the geometry is cut short ({} bytes where {n} more were due)",
                self.remaining()
            ));
        }
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    fn u32(&mut self, little: bool) -> Result<u32, String> {
        let b: [u8; 4] = self.take(4)?.try_into().map_err(|_| "short".to_owned())?;
        Ok(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    }

    /// A count of things of at least `each` bytes: it must fit in what remains.
    fn count(&mut self, little: bool, each: usize, what: &str) -> Result<usize, String> {
        let n = self.u32(little)? as usize;
        if n.saturating_mul(each) > self.remaining() {
            return Err(format!(
                "the geometry claims {n} {what} but has room for at most {}",
                self.remaining() / each
            ));
        }
        Ok(n)
    }

    fn points(&mut self, little: bool, dims: usize) -> Result<(), String> {
        let n = self.count(little, dims * 8, "points")?;
        self.points += n;
        if self.points > MAX_POINTS {
            return Err(format!(
                "the feature has more than {MAX_POINTS} points; simplify it (a cell needs \
                 a few hundred at most)"
            ));
        }
        self.take(n * dims * 8)?;
        Ok(())
    }

    fn geometry(&mut self, depth: usize) -> Result<(), String> {
        let little = match self.take(1)?[0] {
            0 => false,
            1 => true,
            other => return Err(format!("the geometry's byte order mark is {other}")),
        };
        let raw = self.u32(little)?;
        // ISO WKB says Z and M by thousands (1003, 3003); extended WKB by high bits.
        let (z_flag, m_flag, srid) = (
            raw & 0x8000_0000 != 0,
            raw & 0x4000_0000 != 0,
            raw & 0x2000_0000 != 0,
        );
        let iso = raw & 0x0FFF_FFFF;
        let (kind, thousands) = (iso % 1000, iso / 1000);
        let dims = 2 + match thousands {
            0 => usize::from(z_flag) + usize::from(m_flag),
            1 | 2 => 1,
            3 => 2,
            _ => return Err(format!("the geometry's type {iso} is not one WKB defines")),
        };
        if srid {
            self.take(4)?;
        }
        match kind {
            1 => {
                self.points += 1;
                self.take(dims * 8).map(|_| ())
            }
            2 => self.points(little, dims),
            3 => {
                let rings = self.count(little, 4, "rings")?;
                for _ in 0..rings {
                    self.points(little, dims)?;
                }
                Ok(())
            }
            4..=7 => {
                if depth >= MAX_DEPTH {
                    return Err(format!(
                        "the geometry nests collections more than {MAX_DEPTH} deep"
                    ));
                }
                // Each part is at least a byte-order mark, a type and one count.
                let parts = self.count(little, 9, "parts")?;
                for _ in 0..parts {
                    self.geometry(depth + 1)?;
                }
                Ok(())
            }
            other => Err(format!(
                "the geometry is of WKB type {other}, which a grid file does not use"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Vec<u8> {
        // "GP", version 0, flags: little-endian header, no envelope; SRS id 4326.
        let mut b = vec![b'G', b'P', 0, 0b0000_0001];
        b.extend_from_slice(&4326i32.to_le_bytes());
        b
    }

    fn polygon(points: &[(f64, f64)]) -> Vec<u8> {
        let mut b = header();
        b.push(1);
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&u32::try_from(points.len()).expect("few").to_le_bytes());
        for (x, y) in points {
            b.extend_from_slice(&x.to_le_bytes());
            b.extend_from_slice(&y.to_le_bytes());
        }
        b
    }

    #[test]
    fn a_whole_polygon_passes_with_its_point_count() {
        let square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)];
        assert_eq!(check(&polygon(&square)), Ok(5));
    }

    #[test]
    fn a_count_larger_than_the_blob_is_refused_without_allocating() {
        let mut b = header();
        b.push(1);
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&u32::MAX.to_le_bytes());
        let e = check(&b).expect_err("refused");
        assert!(e.contains("claims 4294967295 rings"), "{e}");
        let mut b = header();
        b.push(0);
        b.extend_from_slice(&2u32.to_be_bytes());
        b.extend_from_slice(&0x4000_0000u32.to_be_bytes());
        let e = check(&b).expect_err("refused");
        assert!(e.contains("points"), "{e}");
    }

    #[test]
    fn deep_collections_are_refused() {
        let mut b = header();
        for _ in 0..10_000 {
            b.push(1);
            b.extend_from_slice(&7u32.to_le_bytes());
            b.extend_from_slice(&1u32.to_le_bytes());
        }
        let e = check(&b).expect_err("refused");
        assert!(e.contains("nests collections"), "{e}");
    }

    #[test]
    fn too_many_points_are_refused_in_words() {
        let ring: Vec<(f64, f64)> = (0..=MAX_POINTS)
            .map(|i| (f64::from(u32::try_from(i).expect("small")), 0.0))
            .collect();
        let e = check(&polygon(&ring)).expect_err("refused");
        assert!(e.contains("simplify"), "{e}");
    }

    #[test]
    fn a_cut_blob_and_a_foreign_one_are_refused() {
        let square = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)];
        let whole = polygon(&square);
        for n in 0..whole.len() {
            assert!(check(&whole[..n]).is_err(), "cut at {n}");
        }
        assert!(check(b"not a geometry").is_err());
    }
}
