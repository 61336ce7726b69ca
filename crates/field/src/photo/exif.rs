//! The facts a camera writes into EXIF that matter for a report: where (GPS), when (the
//! original capture time and its UTC offset), and which way up (orientation).
//!
//! EXIF is read from the original only; the upload derivative carries none, because the
//! record holds these facts explicitly and EXIF can carry things nobody meant to send
//! (serial numbers, owner names, maker notes).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use exif::{In, Reader, Tag, Value};
use serde::{Deserialize, Serialize};

/// A GPS position from EXIF, always WGS-84 (EXIF's GPSMapDatum is in practice never else).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExifGps {
    pub lon: f64,
    pub lat: f64,
    /// GPSHPositioningError, when the camera wrote it.
    pub accuracy_m: Option<f64>,
    /// GPSDateStamp + GPSTimeStamp, which are UTC by definition.
    pub fix_time: Option<DateTime<Utc>>,
}

/// What EXIF said; every field may be absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExifFacts {
    pub gps: Option<ExifGps>,
    /// DateTimeOriginal with OffsetTimeOriginal, or with the device's offset when the camera
    /// wrote none (`offset_assumed` then says so).
    pub taken_at: Option<DateTime<FixedOffset>>,
    pub offset_assumed: bool,
    /// EXIF orientation 1-8 (1 = upright); 1 when absent or invalid.
    pub orientation: u16,
    pub make: Option<String>,
    pub model: Option<String>,
}

/// Reads EXIF from a JPEG's bytes. A file without EXIF, or with EXIF too damaged to read,
/// gives empty facts: the photo is still good evidence, only less self-describing.
#[must_use]
pub fn read(bytes: &[u8], default_offset: FixedOffset) -> ExifFacts {
    let Ok(exif) = Reader::new().read_from_container(&mut std::io::Cursor::new(bytes)) else {
        return ExifFacts {
            orientation: 1,
            ..ExifFacts::default()
        };
    };
    let field = |tag| exif.get_field(tag, In::PRIMARY).map(|f| &f.value);
    let text = |tag| match field(tag) {
        Some(Value::Ascii(parts)) => parts
            .first()
            .map(|p| String::from_utf8_lossy(p).trim().to_owned())
            .filter(|s| !s.is_empty()),
        _ => None,
    };

    let orientation = field(Tag::Orientation)
        .and_then(|v| v.get_uint(0))
        .and_then(|o| u16::try_from(o).ok())
        .filter(|o| (1..=8).contains(o))
        .unwrap_or(1);

    let offset = text(Tag::OffsetTimeOriginal).and_then(|s| parse_offset(&s));
    let taken_at = text(Tag::DateTimeOriginal)
        .and_then(|s| NaiveDateTime::parse_from_str(&s, "%Y:%m:%d %H:%M:%S").ok())
        .and_then(|local| {
            offset
                .unwrap_or(default_offset)
                .from_local_datetime(&local)
                .single()
        });

    let gps = (|| {
        let lat = signed_degrees(
            field(Tag::GPSLatitude)?,
            text(Tag::GPSLatitudeRef),
            'N',
            'S',
        )?;
        let lon = signed_degrees(
            field(Tag::GPSLongitude)?,
            text(Tag::GPSLongitudeRef),
            'E',
            'W',
        )?;
        if lat.abs() > 90.0 || lon.abs() > 180.0 || (lat == 0.0 && lon == 0.0) {
            // Off the globe, or 0°,0°: what some phones write when they had no fix.
            return None;
        }
        let accuracy_m = field(Tag::GPSHPositioningError)
            .and_then(rational)
            .filter(|a| *a >= 0.0);
        let fix_time = gps_time(text(Tag::GPSDateStamp).as_deref(), field(Tag::GPSTimeStamp));
        Some(ExifGps {
            lon,
            lat,
            accuracy_m,
            fix_time,
        })
    })();

    ExifFacts {
        gps,
        taken_at,
        offset_assumed: taken_at.is_some() && offset.is_none(),
        orientation,
        make: text(Tag::Make),
        model: text(Tag::Model),
    }
}

/// The numbers of a RATIONAL or SRATIONAL field (the EXIF standard says unsigned for GPS;
/// some Android phones write signed), `None` when a denominator is zero.
fn rationals(v: &Value) -> Option<Vec<f64>> {
    let values: Vec<f64> = match v {
        Value::Rational(r) if r.iter().all(|x| x.denom != 0) => {
            r.iter().map(|x| x.to_f64()).collect()
        }
        Value::SRational(r) if r.iter().all(|x| x.denom != 0) => {
            r.iter().map(|x| x.to_f64()).collect()
        }
        _ => return None,
    };
    values.iter().all(|x| x.is_finite()).then_some(values)
}

fn rational(v: &Value) -> Option<f64> {
    rationals(v)?.first().copied()
}

/// A latitude or longitude in signed degrees, from its value and its reference letter.
///
/// The value is degrees, minutes, seconds (three numbers, as the standard has it), or
/// degrees and decimal minutes, or decimal degrees alone (one or two numbers, as some
/// writers do). The reference (`N`/`S`, `E`/`W`, either case) gives the hemisphere; without
/// one, a negative number does (signed writers), else the northern or eastern.
fn signed_degrees(v: &Value, reference: Option<String>, plus: char, minus: char) -> Option<f64> {
    let parts = rationals(v)?;
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let magnitude = parts
        .iter()
        .zip([1.0, 60.0, 3600.0])
        .map(|(x, unit)| x.abs() / unit)
        .sum::<f64>();
    let negative_value = parts.iter().any(|x| *x < 0.0);
    let hemisphere = reference
        .and_then(|r| r.chars().next())
        .map(|c| c.to_ascii_uppercase())
        .filter(|c| *c == plus || *c == minus);
    let negative = match hemisphere {
        Some(c) => c == minus,
        None => negative_value,
    };
    Some(if negative { -magnitude } else { magnitude })
}

fn gps_time(date: Option<&str>, time: Option<&Value>) -> Option<DateTime<Utc>> {
    let date = NaiveDate::parse_from_str(date?, "%Y:%m:%d").ok()?;
    let hms = rationals(time?)?;
    if hms.len() != 3 {
        return None;
    }
    let secs = hms[0] * 3600.0 + hms[1] * 60.0 + hms[2];
    if !(0.0..86_400.0).contains(&secs) {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let time = NaiveTime::from_num_seconds_from_midnight_opt(secs as u32, 0)?;
    Some(Utc.from_utc_datetime(&date.and_time(time)))
}

/// "+08:00" / "-05:30" as EXIF 2.31 writes it.
fn parse_offset(s: &str) -> Option<FixedOffset> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("+08:00"), FixedOffset::east_opt(8 * 3600));
        assert_eq!(
            parse_offset("-05:30"),
            FixedOffset::east_opt(-(5 * 3600 + 1800))
        );
        assert_eq!(parse_offset("08:00"), None);
        assert_eq!(parse_offset("+8"), None);
        assert_eq!(parse_offset("+600000:00"), None, "no overflow");
        assert_eq!(parse_offset("+-5:00"), None);
        assert_eq!(parse_offset("+15:00"), None);
        assert_eq!(parse_offset("+08:60"), None);
    }

    #[test]
    fn no_exif_gives_upright_and_nothing_else() {
        let facts = read(b"\xFF\xD8\xFF\xD9", FixedOffset::east_opt(0).expect("utc"));
        assert_eq!(facts.orientation, 1);
        assert!(facts.gps.is_none() && facts.taken_at.is_none());
    }
}
