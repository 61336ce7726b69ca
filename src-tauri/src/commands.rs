//! The commands the UI invokes: each one line over the engine.
//!
//! Every JSON command is one line of the `commands!` table at the end of this file: its
//! name, its arguments and answer, and its body. The table yields the `#[tauri::command]`
//! function, the handler Tauri dispatches to, and the command's TypeScript signature for
//! `ui/src/tablet/commands.ts` ([`signatures`], rendered by [`crate::bindings`]), so the
//! two sides cannot disagree. The commands that move bytes instead of JSON (a camera photo
//! in, a verification's photo in, an offline map package in, a picture of an enrollment or
//! a component QR code in, a thumbnail out) are written out below and called by hand from
//! `ui/src/tablet/api.ts`; those that take bytes read their arguments through one parser,
//! [`RawCall`].
//!
//! Commands are `async` so none runs on the main thread (a photo takes a tenth of a second
//! to process; the UI must not stall for it); engine work that blocks runs on the blocking
//! pool through [`AppState::blocking`].

use std::sync::Arc;

use gridwalk_field::basemap::BasemapInfo;
use gridwalk_field::grid::CellOutline;
use gridwalk_field::sync::{SyncOutcome, SyncStatus};
use gridwalk_field::{
    DeviceSettings, DraftPatch, Engine, Inspector, LocalReport, NearComponent, QueueSummary,
    SettingsPatch, StorageStatus, TakenComponent,
};
use gridwalk_protocol::component::ComponentInfo;
use gridwalk_protocol::{
    Category, CategoryCode, ClipRef, ComponentId, Location, PhotoId, PhotoStage, ReportId,
    TaskChange, TaskId,
};
use serde::Serialize;
use tauri::State;
use tauri::http::HeaderMap;
use tauri::ipc::{InvokeBody, Request, Response};

use crate::bindings::{Declarations, Signature};
use crate::{AppState, CommandError};

type Answer<T> = Result<T, CommandError>;

impl AppState {
    /// Runs engine work on the blocking pool.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Engine) -> gridwalk_field::Result<T> + Send + 'static,
    ) -> Answer<T> {
        let engine = Arc::clone(&self.engine);
        tauri::async_runtime::spawn_blocking(move || f(&engine))
            .await
            .map_err(|e| CommandError::new("internal", format!("the task failed: {e}")))?
            .map_err(CommandError::from)
    }
}

/// What the settings screen shows about this installation.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct AppInfo {
    pub version: String,
    /// The ID a team leader enrolls this device under.
    pub device_id: String,
    /// The fingerprint of this device's signing key, to compare with the one an evidence
    /// package's checker prints.
    pub key_fingerprint: String,
    pub inspector: Option<Inspector>,
    /// The server this device syncs with, or last synced with (signed out, to sign in
    /// there again).
    pub server_url: Option<String>,
    pub settings: DeviceSettings,
    /// The offline basemap installed, if any.
    pub basemap: Option<BasemapInfo>,
}

impl AppInfo {
    fn of(e: &Engine) -> gridwalk_field::Result<Self> {
        Ok(Self {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            device_id: e.device_id().to_string(),
            key_fingerprint: gridwalk_protocol::signing::fingerprint(&e.public_key()?),
            inspector: e.inspector()?,
            server_url: e.server_url()?,
            settings: e.settings()?,
            basemap: e.basemap()?,
        })
    }
}

/// The category code table the engine captures against, as the picker lists it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CodeTableView {
    pub version: String,
    /// Every 小类, in the table's order (部件 first, then 事件; by 大类).
    pub categories: Vec<Category>,
}

impl CodeTableView {
    fn of(e: &Engine) -> Self {
        let codes = &e.reference().codes;
        Self {
            version: codes.version().to_owned(),
            categories: codes.iter().cloned().collect(),
        }
    }
}

/// The arguments of a command that takes bytes, parsed once for every such command: named
/// values travel as headers (text), the bytes as the raw body. Where the WebView cannot use
/// the raw IPC channel, Tauri falls back to a message carrying the bytes as a JSON array
/// of numbers: slower, same bytes.
struct RawCall<'r> {
    headers: &'r HeaderMap,
    /// The body's bytes; `None` when a JSON body that is not bytes came instead.
    bytes: Option<Vec<u8>>,
}

impl<'r> RawCall<'r> {
    fn parse(request: &'r Request<'_>) -> Answer<Self> {
        let bytes = match request.body() {
            InvokeBody::Raw(bytes) => Some(bytes.clone()),
            InvokeBody::Json(v @ serde_json::Value::Array(_)) => {
                Some(serde_json::from_value(v.clone()).map_err(|_| {
                    CommandError::new("invalid", "the body must be a list of bytes")
                })?)
            }
            InvokeBody::Json(_) => None,
        };
        Ok(Self {
            headers: request.headers(),
            bytes,
        })
    }

    /// A header's text, if it was sent.
    fn optional(&self, name: &str) -> Option<&'r str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A header's text; a missing one is refused.
    fn text(&self, name: &str) -> Answer<&'r str> {
        self.optional(name)
            .ok_or_else(|| CommandError::new("invalid", format!("the {name} header is missing")))
    }

    /// A header parsed as the protocol parses it (an ID, say).
    fn parse_header<T>(&self, name: &str) -> Answer<T>
    where
        T: std::str::FromStr,
        T::Err: std::fmt::Display,
    {
        self.text(name)?
            .parse()
            .map_err(|e: T::Err| CommandError::new("invalid", format!("{name}: {e}")))
    }
}

/// A photo from the camera input: the JPEG's bytes as the raw request body, the report and
/// the stage (`before`/`after`) in the `report` and `stage` headers.
#[tauri::command]
pub async fn add_photo(app: State<'_, AppState>, request: Request<'_>) -> Answer<LocalReport> {
    let call = RawCall::parse(&request)?;
    let id: ReportId = call.parse_header("report")?;
    let stage: PhotoStage =
        serde_json::from_value(serde_json::Value::String(call.text("stage")?.to_owned()))
            .map_err(|_| CommandError::new("invalid", "stage must be before or after"))?;
    let bytes = call
        .bytes
        .ok_or_else(|| CommandError::new("invalid", "the photo must be sent as raw bytes"))?;
    app.blocking(move |e| e.add_photo_bytes(id, &bytes, stage))
        .await
}

/// 扫码登记: a camera picture (JPEG, the raw request body) of the console's enrollment QR
/// code; the engine reads it and enrolls with the one-time code it carries.
#[tauri::command]
pub async fn enroll_scan(app: State<'_, AppState>, request: Request<'_>) -> Answer<Inspector> {
    let bytes = RawCall::parse(&request)?
        .bytes
        .ok_or_else(|| CommandError::new("invalid", "the picture must be sent as raw bytes"))?;
    let inspector = app.engine.enroll_with_picture(&bytes).await?;
    app.sync.wake();
    Ok(inspector)
}

/// 扫码 on a 部件 report: a camera picture (JPEG, the raw request body) of the QR code on a
/// component, the draft in the `report` header; the engine reads the component's ID and
/// names it on the draft.
#[tauri::command]
pub async fn component_scan(
    app: State<'_, AppState>,
    request: Request<'_>,
) -> Answer<TakenComponent> {
    let call = RawCall::parse(&request)?;
    let id: ReportId = call.parse_header("report")?;
    let bytes = call
        .bytes
        .ok_or_else(|| CommandError::new("invalid", "the picture must be sent as raw bytes"))?;
    app.blocking(move |e| e.scan_component_for(id, &bytes))
        .await
}

/// A verification done in the field: the task, the verdict (`passed`: `true`/`false`) and
/// the note (percent-encoded: headers carry ASCII) in headers, and a photo's JPEG bytes as
/// the raw body (empty for none). Queued for the centre; the sync worker is woken to send it.
#[tauri::command]
pub async fn complete_task(app: State<'_, AppState>, request: Request<'_>) -> Answer<()> {
    let call = RawCall::parse(&request)?;
    let task: TaskId = call.parse_header("task")?;
    let passed = match call.text("passed")? {
        "true" => true,
        "false" => false,
        _ => return Err(CommandError::new("invalid", "passed must be true or false")),
    };
    let note = call
        .optional("note")
        .map(|n| percent_encoding::percent_decode_str(n).decode_utf8())
        .transpose()
        .map_err(|_| CommandError::new("invalid", "the note is not percent-encoded UTF-8"))?
        .map(|n| n.into_owned());
    let photo = call.bytes.filter(|b| !b.is_empty());
    app.blocking(move |e| e.complete_task_bytes(task, passed, note.as_deref(), photo.as_deref()))
        .await
        .inspect(|()| app.sync.wake())
}

/// An offline basemap package (MBTiles) the inspector picked: its bytes as the raw body.
/// Checked and installed by the engine; a file it cannot read changes nothing.
#[tauri::command]
pub async fn install_basemap(
    app: State<'_, AppState>,
    request: Request<'_>,
) -> Answer<BasemapInfo> {
    let bytes = RawCall::parse(&request)?
        .bytes
        .ok_or_else(|| CommandError::new("invalid", "the package must be sent as raw bytes"))?;
    app.blocking(move |e| e.install_basemap_bytes(&bytes)).await
}

/// A photo's thumbnail, as JPEG bytes.
#[tauri::command]
pub async fn thumbnail(app: State<'_, AppState>, photo: PhotoId) -> Answer<Response> {
    app.blocking(move |e| e.thumbnail(photo))
        .await
        .map(Response::new)
}

/// The command table. Each JSON command is one line, `name(arguments) -> answer = |app|
/// body`, with its doc comment above it: the body runs in an `async` command with `app`
/// the [`AppState`]. The line becomes the `#[tauri::command]` function and the command's
/// signature for `ui/src/tablet/commands.ts`. The `raw` commands, written out above, are
/// only added to the handler.
macro_rules! commands {
    (
        raw: $($raw:ident),*;
        $($(#[doc = $doc:literal])* $name:ident($($arg:ident: $ty:ty),*) -> $answer:ty = |$app:ident| $body:expr;)*
    ) => {
        $(
            $(#[doc = $doc])*
            #[tauri::command]
            pub async fn $name(state: State<'_, AppState>, $($arg: $ty),*) -> Answer<$answer> {
                let $app: &AppState = &state;
                $body
            }
        )*

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
                    docs: &[$($doc),*],
                    args: vec![$((stringify!($arg), d.name::<$ty>())),*],
                    answer: d.name::<$answer>(),
                }
            }),*]
        }
    };
}

commands! {
    raw: add_photo, thumbnail, complete_task, install_basemap, enroll_scan, component_scan;

    /// Who this device is and who is signed in on it, with the device's settings.
    app_info() -> AppInfo = |app| app.blocking(AppInfo::of).await;
    /// The code table the engine captures against.
    code_table() -> CodeTableView = |app| Ok(CodeTableView::of(&app.engine));
    /// Sets the device up against a server with the token the team leader handed out.
    enroll(server_url: String, token: String) -> Inspector = |app| app.engine.enroll(&server_url, &token).await.map_err(CommandError::from).inspect(|_| app.sync.wake());
    /// Sets the device up with a one-time enrollment code typed from the console's screen.
    enroll_with_code(server_url: String, code: String) -> Inspector = |app| app.engine.enroll_with_code(&server_url, &code).await.map_err(CommandError::from).inspect(|_| app.sync.wake());
    /// Signs the inspector out, keeping everything on the device; refused while anything waits for the centre.
    sign_out() -> () = |app| app.blocking(Engine::sign_out).await;
    update_settings(patch: SettingsPatch) -> DeviceSettings = |app| app.blocking(move |e| e.update_settings(&patch)).await;
    /// Removes the offline basemap; the maps show the cells alone again.
    remove_basemap() -> () = |app| app.blocking(Engine::remove_basemap).await;
    /// The grid's cells, the inspector's own marked.
    my_grid() -> Vec<CellOutline> = |app| app.blocking(Engine::my_grid).await;
    create_draft() -> LocalReport = |app| app.blocking(Engine::create_draft).await;
    report(id: ReportId) -> LocalReport = |app| app.blocking(move |e| e.report(id)).await;
    reports() -> Vec<LocalReport> = |app| app.blocking(Engine::all_reports).await;
    update_draft(id: ReportId, patch: DraftPatch) -> LocalReport = |app| app.blocking(move |e| e.update_draft(id, &patch)).await;
    set_location(id: ReportId, location: Location) -> LocalReport = |app| app.blocking(move |e| e.set_location(id, location)).await;
    /// The city component (部件) with this ID, if this tablet holds it (it stands in the inspector's cells).
    component(id: ComponentId) -> Option<ComponentInfo> = |app| app.blocking(move |e| e.component(&id)).await;
    /// The components of a 小类 nearest to a position, nearest first.
    components_near(category: CategoryCode, lon: f64, lat: f64, limit: usize) -> Vec<NearComponent> = |app| app.blocking(move |e| e.components_near(&category, lon, lat, limit)).await;
    /// Names a component this tablet holds on a draft, which becomes a 部件 report of its 小类.
    take_component(id: ReportId, component: ComponentId) -> TakenComponent = |app| app.blocking(move |e| e.take_component(id, &component)).await;
    remove_photo(photo: PhotoId) -> LocalReport = |app| app.blocking(move |e| e.remove_photo(photo)).await;
    add_clip(id: ReportId, clip: ClipRef) -> LocalReport = |app| app.blocking(move |e| e.add_clip(id, &clip)).await;
    remove_clip(id: ReportId, index: usize) -> LocalReport = |app| app.blocking(move |e| e.remove_clip(id, index)).await;
    /// Submits a draft to the queue; the sync worker is woken to send it.
    finalize(id: ReportId) -> LocalReport = |app| app.blocking(move |e| e.finalize(id).and_then(|_| e.report(id))).await.inspect(|_| app.sync.wake());
    delete_draft(id: ReportId) -> () = |app| app.blocking(move |e| e.delete_draft(id)).await;
    /// Changes a submitted report (returned by the leader, or not yet a case); the sync worker is woken to send it.
    edit_report(id: ReportId, patch: DraftPatch) -> LocalReport = |app| app.blocking(move |e| e.edit_report(id, &patch)).await.inspect(|_| app.sync.wake());
    queue_summary() -> QueueSummary = |app| app.blocking(Engine::queue_summary).await;
    /// How much room the device has left, and how long photos the centre holds stay.
    storage() -> StorageStatus = |app| app.blocking(Engine::storage_status).await;
    /// The verification tasks the centre gave this inspector, with their reports.
    tasks() -> Vec<TaskChange> = |app| app.blocking(Engine::tasks).await;
    sync_status() -> SyncStatus = |app| app.blocking(Engine::sync_status).await;
    /// One sync round now (push, photos, pull), between the worker's rounds. Its success or failure is also recorded for the queue screen, in words.
    sync_now() -> SyncOutcome = |app| Ok(app.sync.round_now(&app.engine).await?);
    /// Tells the sync worker to try now: the network came back, or the app came to the front.
    wake_sync() -> () = |app| { app.sync.wake(); Ok(()) };
}
