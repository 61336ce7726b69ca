//! The commands the UI invokes: each one line over the engine.
//!
//! They are declared `async` so none runs on the main thread (a photo takes a tenth of a
//! second to process; the UI must not stall for it); work that blocks runs on the blocking
//! pool through [`blocking`]. The TypeScript side of every command is generated from
//! the table at the end of this file ([`signatures`]), which also builds the handler.

use std::sync::Arc;

use gridwalk_field::grid::CellOutline;
use gridwalk_field::sync::{SyncOutcome, SyncStatus};
use gridwalk_field::{
    DeviceSettings, DraftPatch, Engine, Inspector, LocalReport, QueueSummary, SettingsPatch,
};
use gridwalk_protocol::{
    Category, ClipRef, Location, PhotoId, PhotoStage, ReportId, TaskChange, TaskId,
};
use serde::Serialize;
use tauri::State;
use tauri::ipc::{InvokeBody, Request, Response};

use crate::bindings::{Declarations, Signature};
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
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct AppInfo {
    pub version: String,
    /// The ID a team leader enrolls this device under.
    pub device_id: String,
    pub inspector: Option<Inspector>,
    /// The server this device syncs with, if set up.
    pub server_url: Option<String>,
    pub settings: DeviceSettings,
}

/// The category code table the engine captures against, as the picker lists it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CodeTableView {
    pub version: String,
    /// Every 小类, in the table's order (部件 first, then 事件; by 大类).
    pub categories: Vec<Category>,
}

#[tauri::command]
pub async fn app_info(app: State<'_, AppState>) -> Answer<AppInfo> {
    blocking(&app.engine, |e| {
        Ok(AppInfo {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            device_id: e.device_id().to_string(),
            inspector: e.inspector()?,
            server_url: e.sync_settings()?.map(|s| s.server_url),
            settings: e.settings()?,
        })
    })
    .await
}

#[tauri::command]
pub async fn code_table(app: State<'_, AppState>) -> Answer<CodeTableView> {
    let codes = &app.engine.reference().codes;
    Ok(CodeTableView {
        version: codes.version().to_owned(),
        categories: codes.iter().cloned().collect(),
    })
}

/// Sets the device up against a server with the token the team leader handed out.
#[tauri::command]
pub async fn enroll(
    app: State<'_, AppState>,
    server_url: String,
    token: String,
) -> Answer<Inspector> {
    let inspector = app.engine.enroll(&server_url, &token).await?;
    app.sync.wake();
    Ok(inspector)
}

#[tauri::command]
pub async fn update_settings(
    app: State<'_, AppState>,
    patch: SettingsPatch,
) -> Answer<DeviceSettings> {
    blocking(&app.engine, move |e| e.update_settings(&patch)).await
}

#[tauri::command]
pub async fn my_grid(app: State<'_, AppState>) -> Answer<Vec<CellOutline>> {
    blocking(&app.engine, Engine::my_grid).await
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
pub async fn reports(app: State<'_, AppState>) -> Answer<Vec<LocalReport>> {
    blocking(&app.engine, Engine::all_reports).await
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
    let bytes = match request.body() {
        InvokeBody::Raw(bytes) => bytes.clone(),
        // Where the WebView cannot use the raw IPC channel, Tauri falls back to a message
        // carrying the bytes as a JSON array of numbers: slower, same photo.
        InvokeBody::Json(v @ serde_json::Value::Array(_)) => serde_json::from_value(v.clone())
            .map_err(|_| CommandError::new("invalid", "the photo must be a list of bytes"))?,
        InvokeBody::Json(_) => {
            return Err(CommandError::new(
                "invalid",
                "the photo must be sent as raw bytes",
            ));
        }
    };
    blocking(&app.engine, move |e| e.add_photo_bytes(id, &bytes, stage)).await
}

/// A verification done in the field: the task, the verdict (`passed`: `true`/`false`) and
/// the note (percent-encoded) in headers, and a photo's JPEG bytes as the raw body (empty
/// for none). Queued for the centre; the sync worker is woken to send it.
#[tauri::command]
pub async fn complete_task(app: State<'_, AppState>, request: Request<'_>) -> Answer<()> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let task: TaskId = header("task")
        .ok_or_else(|| CommandError::new("invalid", "the task header is missing"))?
        .parse()
        .map_err(|e: gridwalk_protocol::Error| CommandError::new("invalid", e.to_string()))?;
    let passed = match header("passed").as_deref() {
        Some("true") => true,
        Some("false") => false,
        _ => return Err(CommandError::new("invalid", "passed must be true or false")),
    };
    // UTF-8 text travels percent-encoded in a header.
    let note = header("note")
        .map(|n| {
            percent_encoding::percent_decode_str(&n)
                .decode_utf8()
                .map(|c| c.into_owned())
        })
        .transpose()
        .map_err(|_| CommandError::new("invalid", "the note is not percent-encoded UTF-8"))?;
    let bytes: Vec<u8> = match request.body() {
        InvokeBody::Raw(bytes) => bytes.clone(),
        InvokeBody::Json(v @ serde_json::Value::Array(_)) => serde_json::from_value(v.clone())
            .map_err(|_| CommandError::new("invalid", "the photo must be a list of bytes"))?,
        InvokeBody::Json(_) => Vec::new(),
    };
    blocking(&app.engine, move |e| {
        let photo = (!bytes.is_empty()).then_some(bytes.as_slice());
        e.complete_task_bytes(task, passed, note.as_deref(), photo)
    })
    .await?;
    app.sync.wake();
    Ok(())
}

#[tauri::command]
pub async fn tasks(app: State<'_, AppState>) -> Answer<Vec<TaskChange>> {
    blocking(&app.engine, Engine::tasks).await
}

#[tauri::command]
pub async fn remove_photo(app: State<'_, AppState>, photo: PhotoId) -> Answer<LocalReport> {
    blocking(&app.engine, move |e| e.remove_photo(photo)).await
}

/// A photo's thumbnail, as JPEG bytes.
#[tauri::command]
pub async fn thumbnail(app: State<'_, AppState>, photo: PhotoId) -> Answer<Response> {
    blocking(&app.engine, move |e| e.thumbnail(photo))
        .await
        .map(Response::new)
}

#[tauri::command]
pub async fn add_clip(
    app: State<'_, AppState>,
    id: ReportId,
    clip: ClipRef,
) -> Answer<LocalReport> {
    blocking(&app.engine, move |e| e.add_clip(id, &clip)).await
}

#[tauri::command]
pub async fn remove_clip(
    app: State<'_, AppState>,
    id: ReportId,
    index: usize,
) -> Answer<LocalReport> {
    blocking(&app.engine, move |e| e.remove_clip(id, index)).await
}

/// Submits a draft to the queue; the sync worker is woken to send it.
#[tauri::command]
pub async fn finalize(app: State<'_, AppState>, id: ReportId) -> Answer<LocalReport> {
    let report = blocking(&app.engine, move |e| {
        e.finalize(id).and_then(|_| e.report(id))
    })
    .await?;
    app.sync.wake();
    Ok(report)
}

#[tauri::command]
pub async fn delete_draft(app: State<'_, AppState>, id: ReportId) -> Answer<()> {
    blocking(&app.engine, move |e| e.delete_draft(id)).await
}

/// Changes a submitted report (returned by the leader, or not yet a case).
#[tauri::command]
pub async fn edit_report(
    app: State<'_, AppState>,
    id: ReportId,
    patch: DraftPatch,
) -> Answer<LocalReport> {
    let report = blocking(&app.engine, move |e| e.edit_report(id, &patch)).await?;
    app.sync.wake();
    Ok(report)
}

#[tauri::command]
pub async fn queue_summary(app: State<'_, AppState>) -> Answer<QueueSummary> {
    blocking(&app.engine, Engine::queue_summary).await
}

#[tauri::command]
pub async fn sync_status(app: State<'_, AppState>) -> Answer<SyncStatus> {
    blocking(&app.engine, Engine::sync_status).await
}

/// One sync round now (push, photos, pull), between the worker's rounds. Its success or
/// failure is also recorded for the queue screen, in words.
#[tauri::command]
pub async fn sync_now(app: State<'_, AppState>) -> Answer<SyncOutcome> {
    Ok(app.sync.round_now(&app.engine).await?)
}

/// Tells the sync worker to try now: the network came back, or the app came to the front.
#[tauri::command]
pub async fn wake_sync(app: State<'_, AppState>) -> Answer<()> {
    app.sync.wake();
    Ok(())
}

/// The command table: the handler Tauri dispatches to, and each JSON command's signature
/// for `ui/src/bindings.ts`. The `raw` commands take or give bytes instead of JSON and are
/// called by hand (`ui/src/api.ts`).
macro_rules! commands {
    (raw: $($raw:ident),*; $($name:ident($($arg:ident: $ty:ty),*) -> $answer:ty;)*) => {
        /// Every command, for `tauri::Builder::invoke_handler`.
        pub fn handler<R: tauri::Runtime>()
        -> impl Fn(tauri::ipc::Invoke<R>) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name,)* $($raw,)*]
        }

        /// The JSON commands' signatures, declaring their types into `d`.
        pub fn signatures(d: &mut Declarations) -> Vec<Signature> {
            d.add::<CommandError>();
            vec![$({
                $(d.add::<$ty>();)*
                d.add::<$answer>();
                Signature {
                    name: stringify!($name),
                    args: vec![$((stringify!($arg), d.name::<$ty>())),*],
                    answer: d.name::<$answer>(),
                }
            }),*]
        }
    };
}

commands! {
    raw: add_photo, thumbnail, complete_task;
    app_info() -> AppInfo;
    code_table() -> CodeTableView;
    enroll(server_url: String, token: String) -> Inspector;
    update_settings(patch: SettingsPatch) -> DeviceSettings;
    my_grid() -> Vec<CellOutline>;
    create_draft() -> LocalReport;
    report(id: ReportId) -> LocalReport;
    reports() -> Vec<LocalReport>;
    update_draft(id: ReportId, patch: DraftPatch) -> LocalReport;
    set_location(id: ReportId, location: Location) -> LocalReport;
    remove_photo(photo: PhotoId) -> LocalReport;
    add_clip(id: ReportId, clip: ClipRef) -> LocalReport;
    remove_clip(id: ReportId, index: usize) -> LocalReport;
    finalize(id: ReportId) -> LocalReport;
    delete_draft(id: ReportId) -> ();
    edit_report(id: ReportId, patch: DraftPatch) -> LocalReport;
    queue_summary() -> QueueSummary;
    tasks() -> Vec<TaskChange>;
    sync_status() -> SyncStatus;
    sync_now() -> SyncOutcome;
    wake_sync() -> ();
}
