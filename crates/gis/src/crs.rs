//! Which coordinate reference system a city's file is in, and the way from it to WGS-84.
//!
//! Chinese city GIS data comes in three forms: WGS-84 (EPSG:4326), CGCS2000 geographic
//! (EPSG:4490), or CGCS2000 projected with Gauss-Krüger, a transverse Mercator on the
//! CGCS2000 ellipsoid in 3° zones (EPSG:4513-4554) or 6° zones (EPSG:4491-4512). Each zone
//! has two codes: one whose easting carries the zone number in front (zone 38:
//! 38 500 000 m at the central meridian) and one without (500 000 m). Which of the four a
//! code is follows from where it lies in those ranges, so they are computed here rather
//! than looked up ([`Crs::from_epsg`]).
//!
//! CGCS2000 and WGS-84 agree to a few centimetres (their realisations differ, not their
//! definitions), far below what a 100 m cell needs: positions in CGCS2000 are taken as
//! WGS-84. Other datums (Beijing 1954, Xi'an 1980) differ by up to a hundred metres and
//! need a shift with published parameters; they are refused with words, not guessed.
//!
//! The projection arithmetic is proj4rs's (an adaptation of PROJ.4 in Rust), with its exact
//! transverse Mercator (`etmerc`, Poder/Engsager), which is what PROJ itself uses for these
//! codes.

use std::fmt;

use crate::Error;

/// A CRS the importer can take to WGS-84.
#[derive(Debug, Clone, PartialEq)]
pub enum Crs {
    /// Longitude and latitude in degrees, WGS-84 or CGCS2000 (`datum` says which).
    Geographic { datum: Datum },
    /// CGCS2000 Gauss-Krüger (transverse Mercator), metres: easting, northing.
    GaussKruger {
        central_meridian: f64,
        false_easting: f64,
        false_northing: f64,
        scale: f64,
        /// The EPSG code, when one is known.
        epsg: Option<u16>,
    },
}

/// The two datums taken as one (see the module's note).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datum {
    Wgs84,
    Cgcs2000,
}

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Geographic {
                datum: Datum::Wgs84,
            } => f.write_str("WGS-84 (EPSG:4326)"),
            Self::Geographic {
                datum: Datum::Cgcs2000,
            } => f.write_str("CGCS2000 (EPSG:4490)"),
            Self::GaussKruger {
                central_meridian,
                false_easting,
                epsg,
                ..
            } => {
                write!(
                    f,
                    "CGCS2000 Gauss-Krüger, central meridian {central_meridian}°E, false easting {false_easting} m"
                )?;
                if let Some(code) = epsg {
                    write!(f, " (EPSG:{code})")?;
                }
                Ok(())
            }
        }
    }
}

impl Crs {
    pub const WGS84: Self = Self::Geographic {
        datum: Datum::Wgs84,
    };

    /// The CRS of an EPSG code, for the codes Chinese city data uses.
    pub fn from_epsg(code: u32) -> Result<Self, Error> {
        let gk = |central_meridian: f64, zone_prefix: Option<u32>| {
            Ok(Self::GaussKruger {
                central_meridian,
                false_easting: f64::from(zone_prefix.unwrap_or(0)) * 1_000_000.0 + 500_000.0,
                false_northing: 0.0,
                scale: 1.0,
                epsg: u16::try_from(code).ok(),
            })
        };
        match code {
            4326 => Ok(Self::WGS84),
            4490 => Ok(Self::Geographic {
                datum: Datum::Cgcs2000,
            }),
            // 6° zones 13-23 (central meridian 6n - 3), easting with the zone number.
            4491..=4501 => {
                let zone = code - 4491 + 13;
                gk(f64::from(6 * zone - 3), Some(zone))
            }
            // The same zones by central meridian 75°E-135°E, easting without it.
            4502..=4512 => gk(f64::from(75 + 6 * (code - 4502)), None),
            // 3° zones 25-45 (central meridian 3n), easting with the zone number.
            4513..=4533 => {
                let zone = code - 4513 + 25;
                gk(f64::from(3 * zone), Some(zone))
            }
            // The same zones by central meridian 75°E-135°E, easting without it.
            4534..=4554 => gk(f64::from(75 + 3 * (code - 4534)), None),
            2401..=2442 | 3857 | 2327..=2400 | 4214 | 4610 => Err(Error::Crs(format!(
                "EPSG:{code} is not WGS-84 or CGCS2000 ({}); the importer does not shift \
                 datums: export the file in CGCS2000 (EPSG:4490 or a Gauss-Krüger zone, \
                 EPSG:4491-4554) or WGS-84",
                match code {
                    3857 => "it is Web Mercator",
                    2401..=2442 | 4214 => "it is on the Beijing 1954 datum",
                    _ => "it is on the Xi'an 1980 datum",
                }
            ))),
            _ => Err(Error::Crs(format!(
                "EPSG:{code} is not one the importer knows: it takes WGS-84 (EPSG:4326), \
                 CGCS2000 (EPSG:4490) and CGCS2000 Gauss-Krüger (EPSG:4491-4554)"
            ))),
        }
    }

    /// `EPSG:4526`, `epsg:4526`, `urn:ogc:def:crs:EPSG::4526`, `4526`, or the OGC name of
    /// WGS-84 (`urn:ogc:def:crs:OGC:1.3:CRS84`, as GeoJSON files say it).
    pub fn from_name(name: &str) -> Result<Self, Error> {
        let name = name.trim();
        let crs84 = [
            "urn:ogc:def:crs:OGC:1.3:CRS84",
            "urn:ogc:def:crs:OGC::CRS84",
            "OGC:CRS84",
            "CRS84",
        ];
        if crs84.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            return Ok(Self::WGS84);
        }
        let digits = name
            .rsplit(':')
            .next()
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                Error::Crs(format!(
                    "\"{name}\" is not a CRS name the importer reads (give it as EPSG:NNNN)"
                ))
            })?;
        Self::from_epsg(
            digits
                .parse()
                .map_err(|_| Error::Crs(format!("\"{name}\"")))?,
        )
    }

    /// The CRS a WKT text (OGC WKT1 or the ESRI flavour of a Shapefile's `.prj`, as GDAL
    /// and ArcGIS write them, or WKT2 of a GeoPackage) describes: by its EPSG authority
    /// when it names one at the top, else from its datum and projection parameters.
    pub fn from_wkt(wkt: &str) -> Result<Self, Error> {
        let text = wkt.trim();
        let upper = text.to_ascii_uppercase();
        // A datum the importer does not take, whatever code the text ends with: a Beijing
        // 1954 definition labelled with a CGCS2000 code is still Beijing 1954.
        if let Some(refused) = foreign_datum(text) {
            return Err(refused);
        }
        if let Some(code) = top_authority(text) {
            return Self::from_epsg(code);
        }
        let datum = if upper.contains("2000") && (upper.contains("CHINA") || upper.contains("CGCS"))
        {
            Datum::Cgcs2000
        } else if upper.contains("WGS_1984")
            || upper.contains("WGS 84")
            || upper.contains("WGS_84")
            || upper.contains("WORLD GEODETIC SYSTEM 1984")
        {
            Datum::Wgs84
        } else {
            let named = quoted_after(text, "DATUM[").unwrap_or("no datum named");
            return Err(Error::Crs(format!(
                "the file's datum is \"{named}\", not WGS-84 or CGCS2000; the importer does not \
                 shift datums: export the file in CGCS2000 or WGS-84"
            )));
        };
        let projected = upper.starts_with("PROJCS[")
            || upper.starts_with("PROJCRS[")
            || upper.starts_with("PROJECTEDCRS[");
        if !projected {
            return Ok(Self::Geographic { datum });
        }
        let method = quoted_after(text, "PROJECTION[")
            .or_else(|| quoted_after(text, "METHOD["))
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !(method.contains("gauss") || method.contains("transverse")) {
            return Err(Error::Crs(format!(
                "the file is projected with \"{method}\"; the importer takes Gauss-Krüger \
                 (transverse Mercator) projections of CGCS2000"
            )));
        }
        let parameter = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| parameter(text, n))
                .ok_or_else(|| {
                    Error::Crs(format!(
                        "the projection gives no {} parameter",
                        names.first().copied().unwrap_or_default()
                    ))
                })
        };
        let crs = Self::GaussKruger {
            central_meridian: parameter(&[
                "central_meridian",
                "longitude of natural origin",
                "longitude_of_center",
            ])?,
            false_easting: parameter(&["false_easting", "false easting"])?,
            false_northing: parameter(&["false_northing", "false northing"]).unwrap_or(0.0),
            scale: parameter(&["scale_factor", "scale factor at natural origin"]).unwrap_or(1.0),
            epsg: None,
        };
        if let Self::GaussKruger {
            central_meridian,
            scale,
            ..
        } = &crs
            && (!(70.0..=140.0).contains(central_meridian) || !(0.99..=1.01).contains(scale))
        {
            return Err(Error::Crs(format!(
                "the projection's central meridian {central_meridian}° or scale {scale} is \
                 not of a Gauss-Krüger zone over China (70°E-140°E, scale 1)"
            )));
        }
        let unit = last_unit(text).unwrap_or_else(|| "metre".to_owned());
        if !matches!(
            unit.to_ascii_lowercase().as_str(),
            "metre" | "meter" | "metres" | "meters" | "m"
        ) {
            return Err(Error::Crs(format!(
                "the projection's unit is \"{unit}\"; a Gauss-Krüger file is in metres"
            )));
        }
        let latitude_of_origin =
            parameter(&["latitude_of_origin", "latitude of natural origin"]).unwrap_or(0.0);
        if latitude_of_origin != 0.0 {
            return Err(Error::Crs(format!(
                "the projection's latitude of origin is {latitude_of_origin}°, not the \
                 equator: not a Gauss-Krüger zone"
            )));
        }
        Ok(crs)
    }

    /// A converter from this CRS's coordinates (x, y) to WGS-84 (lon, lat) in degrees.
    pub fn to_wgs84(&self) -> Result<ToWgs84, Error> {
        match self {
            Self::Geographic { .. } => Ok(ToWgs84(None)),
            Self::GaussKruger {
                central_meridian,
                false_easting,
                false_northing,
                scale,
                ..
            } => {
                let definition = format!(
                    "+proj=etmerc +lat_0=0 +lon_0={central_meridian} +k={scale} \
                     +x_0={false_easting} +y_0={false_northing} +ellps=GRS80 +units=m +no_defs"
                );
                let from = proj4rs::Proj::from_proj_string(&definition)
                    .map_err(|e| Error::Crs(format!("{definition}: {e}")))?;
                let to = proj4rs::Proj::from_proj_string("+proj=longlat +ellps=GRS80 +no_defs")
                    .map_err(|e| Error::Crs(e.to_string()))?;
                Ok(ToWgs84(Some((Box::new(from), Box::new(to)))))
            }
        }
    }

    /// The central meridian of a projected CRS.
    #[must_use]
    pub fn central_meridian(&self) -> Option<f64> {
        match self {
            Self::GaussKruger {
                central_meridian, ..
            } => Some(*central_meridian),
            Self::Geographic { .. } => None,
        }
    }
}

/// Takes coordinates of a CRS to WGS-84 longitude and latitude ([`Crs::to_wgs84`]).
pub struct ToWgs84(Option<(Box<proj4rs::Proj>, Box<proj4rs::Proj>)>);

impl fmt::Debug for ToWgs84 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "ToWgs84(projected)"
        } else {
            "ToWgs84(geographic)"
        })
    }
}

impl ToWgs84 {
    /// (lon, lat) in degrees for (x, y) of the source CRS; `None` when the projection
    /// cannot take the point back (far outside its zone).
    #[must_use]
    pub fn point(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        let Some((from, to)) = &self.0 else {
            return Some((x, y));
        };
        let mut p = (x, y, 0.0);
        proj4rs::transform::transform(from, to, &mut p).ok()?;
        let (lon, lat) = (p.0.to_degrees(), p.1.to_degrees());
        (lon.is_finite() && lat.is_finite()).then_some((lon, lat))
    }
}

/// The EPSG code of `AUTHORITY["EPSG","4526"]` (WKT1) or `ID["EPSG",4526]` (WKT2) closing
/// the outermost element, not one of an inner element (a datum's, a unit's).
fn top_authority(text: &str) -> Option<u32> {
    let body = text.strip_suffix(']')?.trim_end();
    let (at, key) = ["AUTHORITY[", "ID["]
        .into_iter()
        .filter_map(|k| body.rfind(k).map(|at| (at, k)))
        .max()?;
    let tail = &body[at + key.len()..];
    // The outermost element's own: nothing closes after it but itself.
    if tail.matches(']').count() != 1 || !tail.ends_with(']') {
        return None;
    }
    let (authority, code) = tail.trim_end_matches(']').split_once(',')?;
    if !authority
        .trim()
        .trim_matches('"')
        .eq_ignore_ascii_case("EPSG")
    {
        return None;
    }
    code.trim().trim_matches('"').parse().ok()
}

/// The refusal of a WKT text on a datum the importer does not take (Beijing 1954, Xi'an
/// 1980, the Krasovsky ellipsoid), whatever code it is labelled with.
#[must_use]
pub fn foreign_datum(text: &str) -> Option<Error> {
    let upper = text.to_ascii_uppercase();
    let other = ["BEIJING", "XIAN", "XI'AN", "XI_AN", "KRASOVSK"]
        .iter()
        .find(|w| upper.contains(*w))?;
    let named = quoted_after(text, "DATUM[").unwrap_or(other);
    Some(Error::Crs(format!(
        "the file's datum is \"{named}\", not WGS-84 or CGCS2000; the importer does not shift \
         datums: export the file in CGCS2000 or WGS-84"
    )))
}

/// The name of the last `UNIT[` in the text: a projected CRS's own (its axes') comes after
/// its geographic CRS's angle unit.
fn last_unit(text: &str) -> Option<String> {
    let upper = text.to_ascii_uppercase();
    let at = upper
        .rfind("LENGTHUNIT[")
        .map(|i| i + "LENGTHUNIT[".len())
        .or_else(|| upper.rfind("UNIT[").map(|i| i + "UNIT[".len()))?;
    let rest = text[at..].trim_start().strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

/// The first quoted string after `key` (e.g. the name in `DATUM["D_China_2000",…`).
fn quoted_after<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let at = text.to_ascii_uppercase().find(&key.to_ascii_uppercase())? + key.len();
    let rest = text[at..].trim_start().strip_prefix('"')?;
    Some(&rest[..rest.find('"')?])
}

/// The number of `PARAMETER["name", value]` (WKT1) or `PARAMETER["Name", value, …]` (WKT2),
/// the name compared without case.
fn parameter(text: &str, name: &str) -> Option<f64> {
    let lower = text.to_ascii_lowercase();
    let key = format!("parameter[\"{}\"", name.to_ascii_lowercase());
    let at = lower.find(&key)? + key.len();
    let rest = text[at..].trim_start().strip_prefix(',')?;
    let end = rest.find([',', ']'])?;
    rest[..end].trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epsg_codes_of_the_gauss_kruger_zones() {
        let gk = |code| match Crs::from_epsg(code).expect("known") {
            Crs::GaussKruger {
                central_meridian,
                false_easting,
                ..
            } => (central_meridian, false_easting),
            other => panic!("{other:?}"),
        };
        assert_eq!(gk(4513), (75.0, 25_500_000.0));
        assert_eq!(gk(4526), (114.0, 38_500_000.0));
        assert_eq!(gk(4533), (135.0, 45_500_000.0));
        assert_eq!(gk(4534), (75.0, 500_000.0));
        assert_eq!(gk(4547), (114.0, 500_000.0));
        assert_eq!(gk(4554), (135.0, 500_000.0));
        assert_eq!(gk(4491), (75.0, 13_500_000.0));
        assert_eq!(gk(4497), (111.0, 19_500_000.0));
        assert_eq!(gk(4501), (135.0, 23_500_000.0));
        assert_eq!(gk(4502), (75.0, 500_000.0));
        assert_eq!(gk(4508), (111.0, 500_000.0));
        assert_eq!(gk(4512), (135.0, 500_000.0));
        assert_eq!(Crs::from_epsg(4326).expect("wgs84"), Crs::WGS84);
        let refused = Crs::from_epsg(2435).expect_err("Beijing 1954").to_string();
        assert!(refused.contains("Beijing 1954"), "{refused}");
        let unknown = Crs::from_epsg(32650).expect_err("UTM").to_string();
        assert!(unknown.contains("EPSG:32650"), "{unknown}");
    }

    #[test]
    fn names() {
        assert_eq!(
            Crs::from_name("urn:ogc:def:crs:OGC:1.3:CRS84").expect("crs84"),
            Crs::WGS84
        );
        assert_eq!(
            Crs::from_name("urn:ogc:def:crs:EPSG::4526").expect("urn"),
            Crs::from_epsg(4526).expect("4526")
        );
        assert_eq!(
            Crs::from_name("epsg:4547").expect("short"),
            Crs::from_epsg(4547).expect("4547")
        );
        assert!(Crs::from_name("Gauss").is_err());
    }

    #[test]
    fn esri_prj_of_a_zone_with_its_prefix() {
        let prj = r#"PROJCS["CGCS2000_3_Degree_GK_Zone_38",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",38500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        assert_eq!(
            Crs::from_wkt(prj).expect("parsed"),
            Crs::GaussKruger {
                central_meridian: 114.0,
                false_easting: 38_500_000.0,
                false_northing: 0.0,
                scale: 1.0,
                epsg: None,
            }
        );
    }

    #[test]
    fn ogc_wkt_with_its_authority() {
        let wkt = r#"PROJCS["CGCS2000 / 3-degree Gauss-Kruger CM 114E",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",114],PARAMETER["scale_factor",1],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","4547"]]"#;
        assert_eq!(
            Crs::from_wkt(wkt).expect("parsed"),
            Crs::from_epsg(4547).expect("4547")
        );
    }

    #[test]
    fn other_datums_are_refused_in_words() {
        let prj = r#"PROJCS["Beijing_1954_3_Degree_GK_CM_114E",GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",SPHEROID["Krasovsky_1940",6378245.0,298.3]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["Central_Meridian",114.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        let e = Crs::from_wkt(prj).expect_err("refused").to_string();
        assert!(e.contains("D_Beijing_1954"), "{e}");
    }

    #[test]
    fn mislabelled_and_absurd_definitions_are_refused() {
        // Beijing 1954 with a CGCS2000 code at the end.
        let labelled = r#"PROJCS["Beijing_1954_3_Degree_GK_CM_117E",GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",SPHEROID["Krasovsky_1940",6378245.0,298.3]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["Central_Meridian",117.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0],AUTHORITY["EPSG","4527"]]"#;
        let e = Crs::from_wkt(labelled).expect_err("refused").to_string();
        assert!(e.contains("D_Beijing_1954"), "{e}");
        let gk = |cm: &str, unit: &str| {
            format!(
                r#"PROJCS["CGCS2000_GK",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",{cm}],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["{unit}",1.0]]"#
            )
        };
        assert!(Crs::from_wkt(&gk("114.0", "Meter")).is_ok());
        let e = Crs::from_wkt(&gk("-70.0", "Meter"))
            .expect_err("cm")
            .to_string();
        assert!(e.contains("central meridian"), "{e}");
        let e = Crs::from_wkt(&gk("114.0", "Foot_US"))
            .expect_err("feet")
            .to_string();
        assert!(e.contains("Foot_US"), "{e}");
        assert!(Crs::from_name("evil-CRS84").is_err());
        assert_eq!(Crs::from_name("OGC:CRS84").expect("crs84"), Crs::WGS84);
    }

    #[test]
    fn a_point_on_the_central_meridian_comes_back() {
        let to = Crs::from_epsg(4526)
            .expect("4526")
            .to_wgs84()
            .expect("projection");
        let (lon, lat) = to.point(38_500_000.0, 0.0).expect("point");
        assert!(
            (lon - 114.0).abs() < 1e-9 && lat.abs() < 1e-9,
            "{lon} {lat}"
        );
    }
}
