// Generated from the Rust types by `GRIDWALK_WRITE_BINDINGS=1 cargo test -p gridwalk-app --lib
// bindings` (src-tauri/src/bindings.rs). Do not edit by hand.

import { invoke } from "@tauri-apps/api/core";

import type { CaseState, Category, CategoryCode, CellCode, ClipRef, ComponentId, ComponentInfo, FieldMessage, Kind, Location, LocationFlag, Message, PhotoId, PhotoStage, ReportId, TaskChange, Urgency, UserId } from "../shared/types";

/**
 * What the settings screen shows about this installation.
 */
export type AppInfo = { version: string, 
/**
 * The ID a team leader enrolls this device under.
 */
device_id: string, 
/**
 * The fingerprint of this device's signing key, to compare with the one an evidence
 * package's checker prints.
 */
key_fingerprint: string, inspector: Inspector | null, 
/**
 * The server this device syncs with, or last synced with (signed out, to sign in
 * there again).
 */
server_url: string | null, settings: DeviceSettings, 
/**
 * The offline basemap installed, if any.
 */
basemap: BasemapInfo | null, };

/**
 * What the settings screen and the map know about the installed package.
 */
export type BasemapInfo = { 
/**
 * The package's `name`, or "离线底图" when it has none.
 */
name: string, 
/**
 * `png`, `jpg` or `webp`.
 */
format: string, min_zoom: number, max_zoom: number, 
/**
 * West, south, east, north in degrees (WGS-84).
 */
bounds: [number, number, number, number], 
/**
 * The map's credit line, shown under it.
 */
attribution: string | null, 
/**
 * The file's size in bytes.
 */
bytes: number, 
/**
 * Changes whenever another package is installed, so the WebView does not show tiles
 * it cached from the previous one.
 */
version: string, };

/**
 * A cell as the map draws it.
 */
export type CellOutline = { code: CellCode, street_name: string | null, community_name: string | null, 
/**
 * Whether the signed-in inspector is responsible for it.
 */
mine: boolean, 
/**
 * The outer boundary, `[lon, lat]` pairs (WGS-84), closed.
 */
ring: Array<[number, number]>, };

/**
 * The category code table the engine captures against, as the picker lists it.
 */
export type CodeTableView = { version: string, 
/**
 * Every 小类, in the table's order (部件 first, then 事件; by 大类).
 */
categories: Array<Category>, };

/**
 * An error as the UI receives it: `kind` to branch on (`invalid`, `not_found`,
 * `not_editable`, `network`, …) and `message` to show.
 */
export type CommandError = { kind: string, message: string, 
/**
 * For `invalid`: each field and what is wrong with it, for the form to highlight.
 */
fields?: Array<[string, string]>, 
/**
 * The same as messages of the catalogue (`ui/src/shared/messages.ts`), for the form
 * to say in the inspector's language.
 */
problems?: Array<FieldMessage>, 
/**
 * The whole error as a message of the catalogue, for the app to say in the
 * inspector's language (`message` is its English).
 */
said?: Message, };

/**
 * The device's settings.
 */
export type DeviceSettings = { 
/**
 * Long edge of the photos sent to the centre, in pixels.
 */
photo_max_edge: number, 
/**
 * The body-worn camera last used (or issued), for the next clip reference.
 */
camera_serial: string | null, 
/**
 * Days the files of photos the centre holds stay on the device.
 */
keep_days: number, };

/**
 * Changes to a draft's own fields; `None` leaves a field as it is.
 */
export type DraftPatch = { kind?: Kind, category?: CategoryCode, 
/**
 * `Some(None)` clears the component ID: in JSON, `null` clears it and a missing field
 * leaves it.
 */
component_id?: ComponentId | null, description?: string, address?: string, urgency?: Urgency, observed_at?: string, handled_on_spot?: boolean, };

/**
 * What EXIF said; every field may be absent.
 */
export type ExifFacts = { gps: ExifGps | null, 
/**
 * DateTimeOriginal with OffsetTimeOriginal, or with the device's offset when the camera
 * wrote none (`offset_assumed` then says so).
 */
taken_at: string | null, offset_assumed: boolean, 
/**
 * EXIF orientation 1-8 (1 = upright); 1 when absent or invalid.
 */
orientation: number, make: string | null, model: string | null, };

/**
 * A GPS position from EXIF, always WGS-84 (EXIF's GPSMapDatum is in practice never else).
 */
export type ExifGps = { lon: number, lat: number, 
/**
 * GPSHPositioningError, when the camera wrote it.
 */
accuracy_m: number | null, 
/**
 * GPSDateStamp + GPSTimeStamp, which are UTC by definition.
 */
fix_time: string | null, };

/**
 * The inspector signed in on this device.
 */
export type Inspector = { id: UserId, 
/**
 * The 单元网格 they are responsible for: reports elsewhere are flagged, not refused.
 */
cells: Array<CellCode>, login: string, name: string, team: string | null, 
/**
 * Badge number (警号), the default for body-cam clip references.
 */
badge: string | null, };

/**
 * A photo on the device.
 */
export type LocalPhoto = { thumb_bytes: number, 
/**
 * What the original's EXIF said.
 */
exif: ExifFacts, 
/**
 * Whether the camera original is still kept on the device.
 */
original_kept: boolean, 
/**
 * Whether the upload derivative is still kept on the device (the centre has held it
 * for the kept days once it is not; the thumbnail stays).
 */
derivative_kept: boolean, id: PhotoId, 
/**
 * Lower-case hex SHA-256 of the upload derivative.
 */
sha256: string, bytes: number, width: number, height: number, taken_at: string | null, stage: PhotoStage, };

/**
 * A report on the device, draft or submitted.
 */
export type LocalReport = { id: ReportId, state: ReportState, reporter: UserId, kind: Kind | null, category: CategoryCode | null, code_table_version: string, component_id: ComponentId | null, description: string, address: string, location: Location | null, cell: CellCode | null, location_flags: Array<LocationFlag>, urgency: Urgency, observed_at: string, handled_on_spot: boolean, photos: Array<LocalPhoto>, clips: Array<ClipRef>, version: number, created_at: string, updated_at: string, finalized_at: string | null, 
/**
 * What the centre said when it refused the report (or a change to it).
 */
centre_note: Message | null, 
/**
 * The centre's version of the report, once it has said (edits are based on it).
 */
central_version: number | null, 
/**
 * Where the report stands at the centre, once the feed has said.
 */
central_state: CaseState | null, };

/**
 * A component and how far it is from the position asked about.
 */
export type NearComponent = { component: ComponentInfo, 
/**
 * Great-circle distance, in metres.
 */
distance_m: number, };

/**
 * What one round of photo uploads did.
 */
export type PhotoOutcome = { 
/**
 * Photos whose bytes were sent and confirmed.
 */
uploaded: number, 
/**
 * Photos the centre already held: nothing sent.
 */
already_held: number, 
/**
 * Photos refused (the reason is kept on each); they are tried again next round.
 */
refused: number, 
/**
 * Bytes sent in request bodies, including any sent again after a broken connection.
 */
bytes_sent: number, };

/**
 * The device's backlog.
 */
export type QueueSummary = { 
/**
 * Drafts not yet submitted (they are not in the queue, but an inspector should see them).
 */
drafts: number, 
/**
 * Submitted reports not yet acknowledged by the centre.
 */
pending_reports: number, 
/**
 * Of those, how many are urgent or 突发事件.
 */
pending_priority: number, 
/**
 * Photos of submitted reports whose bytes the centre has not yet confirmed (a report
 * the centre has applied can still be waiting for its photos).
 */
pending_photos: number, 
/**
 * Bytes still to upload: the records plus their photo derivatives.
 */
pending_bytes: number, oldest_pending_at: string | null, oldest_pending_age_s: number | null, };

/**
 * Where a report is in its life on the device.
 */
export type ReportState = "draft" | "queued" | "sent" | "rejected";

/**
 * Changes to the settings; `None` leaves one as it is.
 */
export type SettingsPatch = { photo_max_edge?: number, 
/**
 * `Some(None)` forgets the camera.
 */
camera_serial?: string | null, keep_days?: number, };

/**
 * How the device's storage stands, for the queue screen.
 */
export type StorageStatus = { 
/**
 * Free bytes where the engine keeps its files; `None` where the system cannot say.
 */
free_bytes: number | null, 
/**
 * Below the warning level: photos will soon be refused.
 */
low: boolean, 
/**
 * Below the refusal level: a new photo is refused now.
 */
full: boolean, 
/**
 * Bytes of photo files (originals and upload derivatives) on the device.
 */
photo_bytes: number, 
/**
 * Days photos the centre holds are kept before their files are removed.
 */
keep_days: number, };

/**
 * What one successful sync did.
 */
export type SyncOutcome = { 
/**
 * Reports the centre applied.
 */
sent: number, 
/**
 * Reports the centre refused (each keeps the reason).
 */
rejected: number, 
/**
 * Changes to reports the centre took (as sent or merged with its own).
 */
edited: number, 
/**
 * Changes that met a different change at the centre: an operator decides.
 */
conflicts: number, 
/**
 * Changes the centre refused (the report keeps the centre's version and the reason).
 */
edits_refused: number, 
/**
 * Verification tasks the centre recorded.
 */
tasks: number, 
/**
 * Verification tasks the centre refused (each reopens with the reason).
 */
tasks_refused: number, photos: PhotoOutcome, 
/**
 * Changes pulled from the centre's feed.
 */
pulled: number, };

/**
 * How syncing has gone, for the queue screen.
 */
export type SyncStatus = { configured: boolean, last_attempt_at: string | null, last_success_at: string | null, 
/**
 * The last failure, in English words; cleared by a success.
 */
last_error: string | null, 
/**
 * Its kind ([`Error::kind`]).
 */
last_error_kind: string | null, 
/**
 * The same failure as a message of the catalogue, for the app to say in the
 * inspector's language (absent for a failure an older version recorded in words).
 */
last_said?: Message, 
/**
 * Failed attempts since the last success.
 */
failures: number, };

/**
 * A draft after a component was taken for it.
 */
export type TakenComponent = { report: LocalReport, component: ComponentInfo, 
/**
 * The type the draft had when the component changed its type or 小类 (to say so).
 */
replaced_kind: Kind | null, 
/**
 * The 小类 the draft had when the component changed its type or 小类.
 */
replaced_category: CategoryCode | null, };

/** Every JSON command, typed; each rejects with a `CommandError`. */
export const commands = {
  /** Who this device is and who is signed in on it, with the device's settings. */
  appInfo: () => invoke<AppInfo>("app_info"),
  /** The code table the engine captures against. */
  codeTable: () => invoke<CodeTableView>("code_table"),
  /** Sets the device up against a server with the token the team leader handed out. */
  enroll: (serverUrl: string, token: string) => invoke<Inspector>("enroll", { serverUrl, token }),
  /** Sets the device up with a one-time enrollment code typed from the console's screen. */
  enrollWithCode: (serverUrl: string, code: string) => invoke<Inspector>("enroll_with_code", { serverUrl, code }),
  /** Signs the inspector out, keeping everything on the device; refused while anything waits for the centre. */
  signOut: () => invoke<null>("sign_out"),
  updateSettings: (patch: SettingsPatch) => invoke<DeviceSettings>("update_settings", { patch }),
  /** Removes the offline basemap; the maps show the cells alone again. */
  removeBasemap: () => invoke<null>("remove_basemap"),
  /** The grid's cells, the inspector's own marked. */
  myGrid: () => invoke<Array<CellOutline>>("my_grid"),
  createDraft: () => invoke<LocalReport>("create_draft"),
  report: (id: ReportId) => invoke<LocalReport>("report", { id }),
  reports: () => invoke<Array<LocalReport>>("reports"),
  updateDraft: (id: ReportId, patch: DraftPatch) => invoke<LocalReport>("update_draft", { id, patch }),
  setLocation: (id: ReportId, location: Location) => invoke<LocalReport>("set_location", { id, location }),
  /** The city component (部件) with this ID, if this tablet holds it (it stands in the inspector's cells). */
  component: (id: ComponentId) => invoke<ComponentInfo | null>("component", { id }),
  /** The components of a 小类 nearest to a position, nearest first. */
  componentsNear: (category: CategoryCode, lon: number, lat: number, limit: number) => invoke<Array<NearComponent>>("components_near", { category, lon, lat, limit }),
  /** Names a component this tablet holds on a draft, which becomes a 部件 report of its 小类. */
  takeComponent: (id: ReportId, component: ComponentId) => invoke<TakenComponent>("take_component", { id, component }),
  removePhoto: (photo: PhotoId) => invoke<LocalReport>("remove_photo", { photo }),
  addClip: (id: ReportId, clip: ClipRef) => invoke<LocalReport>("add_clip", { id, clip }),
  removeClip: (id: ReportId, index: number) => invoke<LocalReport>("remove_clip", { id, index }),
  /** Submits a draft to the queue; the sync worker is woken to send it. */
  finalize: (id: ReportId) => invoke<LocalReport>("finalize", { id }),
  deleteDraft: (id: ReportId) => invoke<null>("delete_draft", { id }),
  /** Changes a submitted report (returned by the leader, or not yet a case); the sync worker is woken to send it. */
  editReport: (id: ReportId, patch: DraftPatch) => invoke<LocalReport>("edit_report", { id, patch }),
  queueSummary: () => invoke<QueueSummary>("queue_summary"),
  /** How much room the device has left, and how long photos the centre holds stay. */
  storage: () => invoke<StorageStatus>("storage"),
  /** The verification tasks the centre gave this inspector, with their reports. */
  tasks: () => invoke<Array<TaskChange>>("tasks"),
  syncStatus: () => invoke<SyncStatus>("sync_status"),
  /** One sync round now (push, photos, pull), between the worker's rounds. Its success or failure is also recorded for the queue screen, in words. */
  syncNow: () => invoke<SyncOutcome>("sync_now"),
  /** Tells the sync worker to try now: the network came back, or the app came to the front. */
  wakeSync: () => invoke<null>("wake_sync"),
};
