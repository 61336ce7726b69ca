//! The commands the UI invokes: each one line over the engine.
//!
//! They are declared `async` so none runs on the main thread (a photo takes a tenth of a
//! second to process; the UI must not stall for it); work that blocks runs on the blocking
//! pool through [`blocking`].

use std::sync::Arc;

use gridwalk_field::sync::{SyncClient, SyncOutcome, SyncStatus};
use gridwalk_field::{DraftPatch, Engine, Inspector, LocalReport, QueueSummary, ReportState};
use gridwalk_protocol::{Location, PhotoId, PhotoStage, ReportId};
use serde::Serialize;
use tauri::State;
use tauri::ipc::{InvokeBody, Request};

use crate::{AppState, CommandError};

type Answer<T> = Result<T, CommandError>;

/// Runs engine work on the blocking pool.
async fn blocking<T: Send + 'static>(
    engine: &Arc<Engine>,
    f: impl FnOnce(&Engine) -> gridwalk_field::Result<T> + Send + 'static,
) -> Answer<T> {
    let engine = Arc::clone(engine);
    tauri::async_runtime::spawn_blocking(move || f(&engine))
        .await
        .map_err(|e| CommandError::new("internal", format!("the task failed: {e}")))?
        .map_err(CommandError::from)
}

/// What the settings screen shows about this installation.
#[derive(Debug, Clone, Serialize)]
pub struct AppInfo {
    pub version: &'static str,
    pub device_id: String,
    pub inspector: Option<Inspector>,
}

#[tauri::command]
pub async fn app_info(app: State<'_, AppState>) -> Answer<AppInfo> {
    blocking(&app.engine, |e| {
        Ok(AppInfo {
            version: env!("CARGO_PKG_VERSION"),
            device_id: e.device_id().to_string(),
            inspector: e.inspector()?,
        })
    })
    .await
}

/// The code table file the engine captures against, for the category picker.
#[tauri::command]
pub async fn code_table(app: State<'_, AppState>) -> Answer<serde_json::Value> {
    let path = app.reference_dir.join("codes.json");
    let text = tokio::fs::read_to_string(&path).await?;
    serde_json::from_str(&text)
        .map_err(|e| CommandError::new("internal", format!("{}: {e}", path.display())))
}

#[tauri::command]
pub async fn sign_in(app: State<'_, AppState>, inspector: Inspector) -> Answer<()> {
    blocking(&app.engine, move |e| e.sign_in(&inspector)).await
}

#[tauri::command]
pub async fn create_draft(app: State<'_, AppState>) -> Answer<LocalReport> {
    blocking(&app.engine, Engine::create_draft).await
}

#[tauri::command]
pub async fn report(app: State<'_, AppState>, id: ReportId) -> Answer<LocalReport> {
    blocking(&app.engine, move |e| e.report(id)).await
}

#[tauri::command]
pub async fn reports(app: State<'_, AppState>, state: ReportState) -> Answer<Vec<LocalReport>> {
    blocking(&app.engine, move |e| e.reports(state)).await
}

#[tauri::command]
pub async fn update_draft(
    app: State<'_, AppState>,
    id: ReportId,
    patch: DraftPatch,
) -> Answer<LocalReport> {
    blocking(&app.engine, move |e| e.update_draft(id, &patch)).await
}

#[tauri::command]
pub async fn set_location(
    app: State<'_, AppState>,
    id: ReportId,
    location: Location,
) -> Answer<LocalReport> {
    blocking(&app.engine, move |e| e.set_location(id, location)).await
}

/// A photo from the camera input: the JPEG's bytes as the raw request body, the report and
/// the stage (`before`/`after`) in the `report` and `stage` headers.
#[tauri::command]
pub async fn add_photo(app: State<'_, AppState>, request: Request<'_>) -> Answer<LocalReport> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| CommandError::new("invalid", format!("the {name} header is missing")))
    };
    let id: ReportId = header("report")?
        .parse()
        .map_err(|e: gridwalk_protocol::Error| CommandError::new("invalid", e.to_string()))?;
    let stage: PhotoStage = serde_json::from_value(serde_json::Value::String(header("stage")?))
        .map_err(|_| CommandError::new("invalid", "stage must be before or after"))?;
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(CommandError::new(
            "invalid",
            "the photo must be sent as raw bytes",
        ));
    };
    let bytes = bytes.clone();
    blocking(&app.engine, move |e| e.add_photo_bytes(id, &bytes, stage)).await
}

#[tauri::command]
pub async fn remove_photo(app: State<'_, AppState>, photo: PhotoId) -> Answer<LocalReport> {
    blocking(&app.engine, move |e| e.remove_photo(photo)).await
}

#[tauri::command]
pub async fn finalize(app: State<'_, AppState>, id: ReportId) -> Answer<LocalReport> {
    blocking(&app.engine, move |e| {
        e.finalize(id).and_then(|_| e.report(id))
    })
    .await
}

#[tauri::command]
pub async fn delete_draft(app: State<'_, AppState>, id: ReportId) -> Answer<()> {
    blocking(&app.engine, move |e| e.delete_draft(id)).await
}

#[tauri::command]
pub async fn edit_report(
    app: State<'_, AppState>,
    id: ReportId,
    patch: DraftPatch,
) -> Answer<LocalReport> {
    blocking(&app.engine, move |e| e.edit_report(id, &patch)).await
}

#[tauri::command]
pub async fn queue_summary(app: State<'_, AppState>) -> Answer<QueueSummary> {
    blocking(&app.engine, Engine::queue_summary).await
}

#[tauri::command]
pub async fn configure_sync(
    app: State<'_, AppState>,
    server_url: String,
    token: String,
) -> Answer<()> {
    blocking(&app.engine, move |e| e.configure_sync(&server_url, &token)).await
}

#[tauri::command]
pub async fn sync_status(app: State<'_, AppState>) -> Answer<SyncStatus> {
    blocking(&app.engine, Engine::sync_status).await
}

/// One sync round now: push, photos, pull. Its success or failure is also recorded for the
/// queue screen, in words.
#[tauri::command]
pub async fn sync_now(app: State<'_, AppState>) -> Answer<SyncOutcome> {
    let settings = app
        .engine
        .sync_settings()?
        .ok_or(gridwalk_field::Error::SyncNotConfigured)?;
    let client = SyncClient::new(&settings)?;
    Ok(app
        .engine
        .sync_once(&client, env!("CARGO_PKG_VERSION"))
        .await?)
}
