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
//! gives the position.

#![forbid(unsafe_code)]

pub mod commands;
pub mod error;

use std::path::PathBuf;
use std::sync::Arc;

use gridwalk_field::{Engine, FieldConfig, Reference};
use tauri::Manager;

pub use error::CommandError;

/// What every command reaches.
#[derive(Debug)]
pub struct AppState {
    pub engine: Arc<Engine>,
    /// The reference data directory (`codes.json`, `grid/`).
    pub reference_dir: PathBuf,
}

/// Where the reference data is: `GRIDWALK_FIXTURES` if set (development, tests), else the
/// copy bundled with the app.
fn reference_dir(app: &tauri::App) -> Result<PathBuf, Box<dyn std::error::Error>> {
    if let Some(dir) = std::env::var_os("GRIDWALK_FIXTURES") {
        return Ok(PathBuf::from(dir));
    }
    Ok(app.path().resource_dir()?.join("fixtures"))
}

/// Where the engine keeps its database and photos: `GRIDWALK_DATA` if set, else the app's
/// data directory.
fn data_dir(app: &tauri::App) -> Result<PathBuf, Box<dyn std::error::Error>> {
    if let Some(dir) = std::env::var_os("GRIDWALK_DATA") {
        return Ok(PathBuf::from(dir));
    }
    Ok(app.path().app_data_dir()?)
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
            let reference_dir = reference_dir(app)?;
            let reference = Reference::load(&reference_dir)?;
            let engine = Engine::open(FieldConfig::new(data_dir(app)?), reference)?;
            app.manage(AppState {
                engine: Arc::new(engine),
                reference_dir,
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::code_table,
            commands::sign_in,
            commands::create_draft,
            commands::report,
            commands::reports,
            commands::update_draft,
            commands::set_location,
            commands::add_photo,
            commands::remove_photo,
            commands::finalize,
            commands::delete_draft,
            commands::edit_report,
            commands::queue_summary,
            commands::configure_sync,
            commands::sync_status,
            commands::sync_now,
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| panic!("the app could not start: {e}"));
}
