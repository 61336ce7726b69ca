//! The inspector's app: a Tauri 2 shell over the field engine.
//!
//! Everything the app does is a method of [`gridwalk_field::Engine`]; each command here is
//! one line over it, with the engine reached through `tauri::State`. Errors cross to the UI
//! as one serialisable [`CommandError`]: a stable `kind` the UI can branch on, and the
//! engine's message in words an inspector understands.
//!
//! The same code runs on the Android tablet and on the desktop (development, and the
//! end-to-end tests under WebKitWebDriver). The only mobile-only part is the geolocation
//! plugin, registered behind `cfg(mobile)`; on the desktop the WebView's own geolocation
//! gives the position. The offline basemap's tiles reach the WebView through a URI scheme
//! of the app's own ([`tiles`]), the same on both.

#![forbid(unsafe_code)]

pub mod bindings;
pub mod commands;
pub mod error;
pub mod sync;
pub mod tiles;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use gridwalk_field::sync::Transport;
use gridwalk_field::{Engine, FieldConfig, Reference};
use tauri::Manager;

pub use error::CommandError;
use sync::SyncWorker;

/// What every command reaches.
#[derive(Debug)]
pub struct AppState {
    pub engine: Arc<Engine>,
    pub sync: Arc<SyncWorker>,
}

/// Where the reference data is: `GRIDWALK_FIXTURES` if set (development, tests), else the
/// copy embedded in the app (`ui/dist/reference/`), written out under the data directory.
fn reference_dir(app: &tauri::App, data: &Path) -> Result<PathBuf, Box<dyn std::error::Error>> {
    if let Some(dir) = std::env::var_os("GRIDWALK_FIXTURES") {
        return Ok(PathBuf::from(dir));
    }
    let dir = data.join("reference");
    let asset = |name: &str| {
        app.asset_resolver()
            .get(format!("reference/{name}"))
            .map(|a| a.bytes)
            .ok_or_else(|| format!("the app was built without reference/{name}"))
    };
    let index: Vec<String> = serde_json::from_slice(&asset("index.json")?)?;
    for name in &index {
        if name.contains("..") {
            return Err(format!("reference/index.json names {name:?}").into());
        }
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // Checked on every start: an updated app brings updated reference data. Written
        // through a temporary file and a rename, so a crash never leaves half a file.
        let bytes = asset(name)?;
        if std::fs::read(&path).ok().as_deref() != Some(&bytes[..]) {
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, &bytes)?;
            std::fs::rename(&tmp, &path)?;
        }
    }
    Ok(dir)
}

/// Where the engine keeps its database and photos: `GRIDWALK_DATA` if set, else the app's
/// data directory.
fn data_dir(app: &tauri::App) -> Result<PathBuf, Box<dyn std::error::Error>> {
    if let Some(dir) = std::env::var_os("GRIDWALK_DATA") {
        return Ok(PathBuf::from(dir));
    }
    Ok(app.path().app_data_dir()?)
}

/// How the app may reach the centre, as the installer set it: a city's own CA built into
/// the app (`ui/dist/centre-ca.pem`, written out under the data directory) or named by
/// `GRIDWALK_CENTRE_CA`; plain HTTP beyond this machine only with
/// `GRIDWALK_ALLOW_INSECURE_HTTP=1` (a closed test network).
fn transport(app: &tauri::App, data: &Path) -> Result<Transport, Box<dyn std::error::Error>> {
    let extra_ca = match std::env::var_os("GRIDWALK_CENTRE_CA") {
        Some(path) => Some(PathBuf::from(path)),
        // Tauri answers a missing asset with `index.html` (for a single-page app's routes),
        // so only a file that holds a certificate counts as the built-in CA.
        None => match app
            .asset_resolver()
            .get("centre-ca.pem".into())
            .filter(|asset| is_pem_certificate(&asset.bytes))
        {
            Some(asset) => {
                std::fs::create_dir_all(data)?;
                let path = data.join("centre-ca.pem");
                std::fs::write(&path, &asset.bytes)?;
                Some(path)
            }
            None => None,
        },
    };
    Ok(Transport {
        allow_insecure_http: std::env::var("GRIDWALK_ALLOW_INSECURE_HTTP").is_ok_and(|v| v == "1"),
        extra_ca,
    })
}

/// Whether `bytes` hold a PEM certificate (and not, say, the page Tauri falls back to).
fn is_pem_certificate(bytes: &[u8]) -> bool {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    bytes.windows(BEGIN.len()).any(|w| w == BEGIN)
}

/// The app's entry point, on the desktop (`main.rs`) and on the tablet.
///
/// # Panics
/// If the window system cannot start (nothing can be shown then).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let builder = tauri::Builder::default();
    #[cfg(mobile)]
    let builder = builder.plugin(tauri_plugin_geolocation::init());
    builder
        .setup(|app| {
            let data = data_dir(app)?;
            let reference = Reference::load(&reference_dir(app, &data)?)?;
            let transport = transport(app, &data)?;
            let config = FieldConfig {
                transport,
                ..FieldConfig::new(data)
            };
            let engine = Arc::new(Engine::open(config, reference)?);
            let sync = Arc::new(SyncWorker::new(app.handle().clone()));
            let (worker, worker_engine) = (Arc::clone(&sync), Arc::clone(&engine));
            tauri::async_runtime::spawn(async move { worker.run(&worker_engine).await });
            app.manage(AppState { engine, sync });
            Ok(())
        })
        .register_asynchronous_uri_scheme_protocol(tiles::SCHEME, tiles::serve)
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| panic!("the app could not start: {e}"));
}

#[cfg(test)]
mod tests {
    use super::is_pem_certificate;

    #[test]
    fn only_a_certificate_counts_as_the_built_in_ca() {
        assert!(is_pem_certificate(
            b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
        ));
        assert!(!is_pem_certificate(b"<!doctype html><html></html>"));
        assert!(!is_pem_certificate(b""));
    }
}
