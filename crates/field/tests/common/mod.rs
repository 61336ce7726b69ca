//! Shared helpers for the engine's integration tests: the real fixture files, a fresh
//! engine in a temporary data directory, and a signed-in demo inspector.
#![allow(dead_code, clippy::unwrap_used)]

pub mod quality;

use std::path::PathBuf;

use chrono::Utc;
use gridwalk_field::{DraftPatch, Engine, FieldConfig, Inspector, Reference};
use gridwalk_protocol::{Crs, Kind, Location, LocationProvider, ReportId};

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

pub fn photo(name: &str) -> PathBuf {
    fixtures().join("photos").join(name)
}

pub fn bad(name: &str) -> PathBuf {
    fixtures().join("bad").join(name)
}

pub fn reference() -> Reference {
    Reference::load(&fixtures()).unwrap()
}

/// The first inspector in users.json.
pub fn inspector() -> Inspector {
    let users: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("users.json")).unwrap())
            .unwrap();
    let u = users.iter().find(|u| u["role"] == "inspector").unwrap();
    Inspector::new(
        u["id"].as_str().unwrap().parse().unwrap(),
        u["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().parse().unwrap())
            .collect(),
    )
}

pub fn engine_at(dir: &std::path::Path) -> Engine {
    let engine = Engine::open(FieldConfig::new(dir), reference()).unwrap();
    engine.sign_in(&inspector()).unwrap();
    engine
}

/// Every file under `dir`, relative, sorted: to show an operation left the disk unchanged.
pub fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out.sort();
    out
}

/// A GPS fix taken now.
pub fn gps_fix(lon: f64, lat: f64, accuracy_m: f64) -> Location {
    Location {
        lon,
        lat,
        crs: Crs::Wgs84,
        accuracy_m,
        fix_time: Utc::now(),
        provider: LocationProvider::Gps,
    }
}

/// Gives a draft a category (and optionally a description), as the picker would.
pub fn categorise(
    engine: &Engine,
    id: ReportId,
    kind: Kind,
    code: &str,
    description: Option<String>,
) {
    engine
        .update_draft(
            id,
            &DraftPatch {
                kind: Some(kind),
                category: Some(code.parse().unwrap()),
                description,
                ..DraftPatch::default()
            },
        )
        .unwrap();
}

/// A draft in the first demo inspector's first cell, categorised and ready to finalize.
pub fn ready_draft(engine: &Engine, id: ReportId, description: Option<String>) {
    engine
        .set_location(id, gps_fix(113.0631, 22.5983, 5.0))
        .unwrap();
    categorise(engine, id, Kind::Event, "0507", description);
}

/// A small real JPEG from the encoder the pipeline uses, its frame header then patched to
/// declare `width`×`height`.
pub fn declaring(width: u16, height: u16, progressive: bool) -> Vec<u8> {
    let pixels = vec![90u8; 16 * 16 * 3];
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 80);
    enc.set_progressive(progressive);
    enc.encode(&pixels, 16, 16, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    let sof = if progressive { 0xC2 } else { 0xC0 };
    let at = out.windows(2).position(|w| w == [0xFF, sof]).unwrap();
    out[at + 5..at + 7].copy_from_slice(&height.to_be_bytes());
    out[at + 7..at + 9].copy_from_slice(&width.to_be_bytes());
    out
}
