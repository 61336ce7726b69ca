// Generated from the Rust wire types (crates/protocol/src/typescript.rs) by
// `GRIDWALK_WRITE_BINDINGS=1 cargo test -p gridwalk-protocol --features ts shared_types`.
// Do not edit by hand.

/**
 * A person as an administrator sees them: who, and whether they are disabled.
 */
export type Account = { person: Person, 
/**
 * When they were disabled; `None` while they may work.
 */
disabled_at: string | null, };

/**
 * The answer to a console action: where the report stands now.
 */
export type ActionAnswer = { state: CaseState, case_no: string | null, };

/**
 * `POST /v1/console/reports/{id}/actions`: the action, and the state the person saw (so
 * two people acting on one report at once do not both succeed).
 */
export type ActionRequest = { seen_state: CaseState, } & ({ "action": "approve", 
/**
 * What the team leader corrects as they register it: a new version of the report,
 * made by them, which reaches the inspector's tablet with a note of what changed.
 */
correct?: Correction | null, 
/**
 * The person saw that the report is likely a duplicate of another one still open
 * and registers it anyway. Without it such a report is refused
 * (`case.likely_duplicate`), naming the other report.
 */
despite_duplicate?: boolean, } | { "action": "return", comment: string, } | { "action": "reject", reason: string, } | { "action": "merge", into: ReportId, } | { "action": "dispatch", department: string, } | { "action": "handled", note: string | null, 
/**
 * After-photos (处置后) the department took: declared here, their bytes uploaded
 * over tus afterwards (with the clerk's console session), as a tablet's are.
 */
photos?: Array<PhotoRef>, } | { "action": "accept" } | { "action": "bounce", reason: string, } | { "action": "request_extension", hours: number, reason: string, } | { "action": "decide_extension", approve: boolean, comment: string | null, } | { "action": "suspend", reason: string, until: string, } | { "action": "resume" } | { "action": "void", reason: string, } | { "action": "close_special", reason: string, } | { "action": "verify", passed: boolean, note: string | null, });

/**
 * The body of every error answer.
 */
export type ApiError = { 
/**
 * A stable machine-readable kind, e.g. `gap`, `unauthorized`, `bad_request`: what a
 * client does about it.
 */
error: string, 
/**
 * What is wrong, in English (for logs and people reading the API).
 */
message: string, 
/**
 * What is wrong as a code of the message catalogue ([`crate::message`]), for a front
 * end to say in its user's language; empty from older centres.
 */
code?: string, 
/**
 * The values the code's sentence names.
 */
params?: { [key in string]: string }, 
/**
 * For a refused form or record: each field's problem as a code, to be said in the
 * user's language (the sentence's `{problems}` in `params` says them in English).
 */
fields?: Array<FieldMessage>, 
/**
 * The message the code's sentence passes on as `{reason}` ("nothing was merged:
 * <why>").
 */
cause?: Message, 
/**
 * For `gap` and `number_reused`: the mutation number the centre expects next.
 */
expected?: number | null, 
/**
 * For `number_reused`: the first number of the push that the centre already applied
 * with other content. The device renumbers its queue from there to `expected` and
 * sends again ([`NUMBER_REUSED`]).
 */
reused?: number | null, };

/**
 * One administrative act in the audit trail: who did what to whom, and when.
 */
export type AuditEntry = { id: string, at: string, 
/**
 * The login of the person who acted, or `cli` for the server's command line.
 */
actor: string, 
/**
 * What was done: `create_user`, `set_password`, `enroll_device`, `revoke_device`,
 * `disable_user`, `enable_user`, `load_reference`.
 */
action: string, 
/**
 * Whom or what it was done to (a login, a device ID, a directory).
 */
subject: string, detail: string | null, };

/**
 * What a team leader or the centre does to a report (the body of
 * `POST /v1/console/reports/{id}/actions`).
 */
export type CaseAction = { "action": "approve", 
/**
 * What the team leader corrects as they register it: a new version of the report,
 * made by them, which reaches the inspector's tablet with a note of what changed.
 */
correct?: Correction | null, 
/**
 * The person saw that the report is likely a duplicate of another one still open
 * and registers it anyway. Without it such a report is refused
 * (`case.likely_duplicate`), naming the other report.
 */
despite_duplicate?: boolean, } | { "action": "return", comment: string, } | { "action": "reject", reason: string, } | { "action": "merge", into: ReportId, } | { "action": "dispatch", department: string, } | { "action": "handled", note: string | null, 
/**
 * After-photos (处置后) the department took: declared here, their bytes uploaded
 * over tus afterwards (with the clerk's console session), as a tablet's are.
 */
photos?: Array<PhotoRef>, } | { "action": "accept" } | { "action": "bounce", reason: string, } | { "action": "request_extension", hours: number, reason: string, } | { "action": "decide_extension", approve: boolean, comment: string | null, } | { "action": "suspend", reason: string, until: string, } | { "action": "resume" } | { "action": "void", reason: string, } | { "action": "close_special", reason: string, } | { "action": "verify", passed: boolean, note: string | null, };

/**
 * One step of the case loop, as the audit trail shows it.
 */
export type CaseEvent = { 
/**
 * `approve`, `return`, `reject`, `merge`, `dispatch`, `handled`, `verify_pass`,
 * `verify_fail`, `resubmit`, `photos_complete`, `photos_added`.
 */
action: string, from: CaseState, to: CaseState, by_user: UserId | null, by_name: string | null, by_device: DeviceId | null, 
/**
 * The comment, reason, department or merge target.
 */
text: string | null, 
/**
 * The deadline this step set.
 */
due_at: string | null, 
/**
 * The deadline of the step the report waits on after this one (its 受理, 核实, 派遣,
 * 处置 or 核查 time limit); none when it waits on no one at the centre. Recorded since
 * the per-step indicators; older events have none.
 */
step_due_at: string | null, at: string, };

/**
 * A registered case (立案): its number, where it was sent and by when it must be handled.
 */
export type CaseInfo = { 
/**
 * 立案编号, e.g. `20261121-0007`.
 */
case_no: string, registered_at: string, 
/**
 * The department code it is dispatched to.
 */
department: string | null, 
/**
 * The deadline of the current dispatch (处置时限), in working time.
 */
due_at: string | null, 
/**
 * How many times a verification failed and it went back (返工).
 */
reworks: number, closed_at: string | null, 
/**
 * When the department accepted it (处理中).
 */
accepted_at: string | null, 
/**
 * When it was last marked handled (处置完成).
 */
handled_at: string | null, 
/**
 * How it was closed.
 */
closure: Closure | null, 
/**
 * While suspended (缓办): the state it left, since when and the day to resume by.
 */
suspension: Suspension | null, 
/**
 * The department's request for more time (延期) waiting for the centre.
 */
extension: ExtensionRequest | null, 
/**
 * When it was voided after 立案 (作废).
 */
voided_at: string | null, };

/**
 * `GET /v1/console/map`: every report a work-queue filter matches, as points.
 */
export type CaseMap = { 
/**
 * In the filter's order (oldest waiting first unless it says otherwise), so when the
 * points are cut off it is the end of that order that is missing.
 */
points: Array<MapPoint>, 
/**
 * How many reports match in all.
 */
total: number, 
/**
 * More match than the map carries: `points` holds the first of them.
 */
truncated: boolean, };

/**
 * Where a report stands at the centre. The first three are intake; the rest follow the
 * case-handling loop (发现 → 立案 → 派遣 → 处置 → 核查 → 结案) and its branches (回退,
 * 延期, 缓办, 作废 after 立案, 特殊结案).
 */
export type CaseState = "awaiting_check" | "awaiting_photos" | "pending_review" | "returned" | "rejected" | "merged" | "registered" | "dispatched" | "in_progress" | "handled" | "suspended" | "closed";

/**
 * One leaf of the table: what an inspector picks.
 */
export type Category = { kind: Kind, code: CategoryCode, major_name: string, name: string, name_en: string | null, };

/**
 * A category as chosen: its kind and its code (大类 + 小类).
 */
export type CategoryChoice = { kind: Kind, category: CategoryCode, };

/**
 * A category code: 2-digit major class (大类) followed by the minor class (小类) — 2 digits
 * in the GB/T 30428.2 lineage, 3 digits in the newer 城市运行管理服务平台 codes.
 */
export type CategoryCode = string;

/**
 * How often one category of problem was reported.
 */
export type CategoryCount = { kind: Kind, category: CategoryCode, count: number, };

/**
 * A grid cell code (单元网格编码): 6-digit administrative division, 3-digit street,
 * 3-digit community, 3-digit sequence.
 */
export type CellCode = string;

/**
 * A grid cell as people call it: the street (街道) and community (社区) it lies in, by
 * name, and its code (whose last three digits number it within the community).
 */
export type CellName = { code: CellCode, street: string | null, community: string | null, };

/**
 * What a cell is called: its code, and its street's and community's codes (the code's
 * first 9 and 12 digits) and names where the grid has them.
 */
export type CellNames = { code: CellCode, street_code: string, street_name: string | null, community_code: string, community_name: string | null, };

/**
 * A cell's outline: a GeoJSON Polygon, the outer ring first, then any holes.
 */
export type CellPolygon = { type: PolygonType, 
/**
 * Rings of `[longitude, latitude]`, each closed (its last position is its first).
 */
coordinates: Array<Array<[number, number]>>, };

/**
 * A clip's identity: the camera and when the clip starts.
 */
export type ClipKey = { camera_serial: string, start: string, };

/**
 * A reference to a body-worn camera (执法记录仪) clip. Video is far too large to upload from
 * the field; it is copied at a docking station later and matched by these facts.
 */
export type ClipRef = { 
/**
 * The camera's 7-character product serial.
 */
camera_serial: string, 
/**
 * The officer's 6-character badge number (警号).
 */
officer_badge: string, start: string, end: string, file_name: string | null, 
/**
 * MD5 as docking stations commonly record it, lower-case hex.
 */
md5: string | null, sha256: string | null, };

/**
 * How a case was closed (结案类型), as the deployed platforms count them.
 */
export type Closure = "normal" | "overdue" | "on_spot" | "special";

/**
 * The console asks for a one-time code for an inspector.
 */
export type CodeRequest = { 
/**
 * The inspector's login.
 */
login: string, 
/**
 * The centre's address as the tablet reaches it (put in the QR code).
 */
server: string, 
/**
 * How long the code lasts, in minutes (15 unless given).
 */
minutes?: number, };

/**
 * A component's own ID (部件编码): 6-digit administrative division, 2-digit 大类,
 * 2-digit 小类, 6-digit sequence.
 */
export type ComponentId = string;

/**
 * A component as the centre holds it, positioned in WGS-84.
 */
export type ComponentInfo = { id: ComponentId, 
/**
 * Its 小类 code, digits 7-10 of its ID.
 */
category: CategoryCode, 
/**
 * The grid cell it stands in.
 */
cell: CellCode, lon: number, lat: number, 
/**
 * Its name in the city's books (e.g. 污水井盖), when the layer gives one.
 */
name?: string | null, 
/**
 * Who owns or keeps it (权属单位 / 养护单位), when the layer gives one.
 */
owner?: string | null, 
/**
 * Where it stands in words (位置描述), when the layer gives one.
 */
address?: string | null, };

/**
 * A conflict: fields a device and the centre changed differently.
 */
export type Conflict = { id: string, report: ReportId, device: DeviceId, mutation: number, base_version: number, central_version: number, fields: Array<FieldConflict>, opened_at: string, resolved_at: string | null, 
/**
 * The values chosen, by field.
 */
resolution: Array<FieldChoice> | null, resolved_by: UserId | null, };

/**
 * A report with what the console shows around it.
 */
export type ConsoleReport = { report: Report, state: CaseState, version: number, received_at: string, 
/**
 * When it entered its state.
 */
state_at: string, 
/**
 * The centre's word to the inspector: a return comment or a reject reason.
 */
note: string | null, 
/**
 * The earlier report this one likely duplicates (marked on arrival).
 */
duplicate_of: ReportId | null, merged_into: ReportId | null, deleted_at: string | null, reporter: Person, 
/**
 * The photos whose bytes the centre holds.
 */
photos_arrived: Array<PhotoId>, case: CaseInfo | null, 
/**
 * What the device said of the place, when it differs from the centre's answer (the
 * report's `cell` and `location_flags`).
 */
claim: PlaceClaim | null, 
/**
 * The deadline of the step it waits on now (受理, 核实, 派遣, 处置 or 核查), in working
 * time; none while it waits on no one at the centre.
 */
step_due_at: string | null, 
/**
 * The working minutes left on that step when the centre answered (the countdown a
 * department's queue shows); negative once it is overdue, by as many working minutes.
 */
step_left_minutes: number | null, 
/**
 * Where it came from (an inspector's tablet, a hotline, the public …).
 */
source: Source, 
/**
 * The port's own reference (its 工单号), for a report from another port.
 */
caller_ref: string | null, };

/**
 * What a team leader corrects at 立案: the category (小类), the description and the
 * address, each only if given. `version` is the version the leader looked at: if the
 * inspector changed the report since, the correction is refused (`case.version`) and
 * nothing is registered.
 */
export type Correction = { version: number, 
/**
 * The category, with its kind (部件/事件), from the report's own code table version.
 */
category?: CategoryChoice | null, description?: string | null, address?: string | null, };

/**
 * The coordinate reference system a position is expressed in. Devices store WGS-84 (or
 * CGCS2000, equal within ~10 m for this work) and convert only for display.
 */
export type Crs = "WGS84" | "CGCS2000";

/**
 * A department cases are dispatched to.
 */
export type Department = { code: string, name: string, name_en: string, };

/**
 * What one department has on its desk.
 */
export type DepartmentLoad = { 
/**
 * The department's code in the case rules.
 */
department: string, 
/**
 * Cases dispatched to it and not yet handled (在办).
 */
open: number, 
/**
 * Of those, past their deadline (超期).
 */
overdue: number, };

/**
 * One installation of the field app (one local database).
 */
export type DeviceId = string;

/**
 * A device, as the board shows it: whose it is, when it was last heard from, and what it
 * still holds.
 */
export type DeviceRow = { id: DeviceId, user: Person, enrolled_at: string, last_seen: string | null, app_version: string | null, 
/**
 * Its maker and model, as it last said ("HUAWEI BAH3-W09").
 */
model: string | null, 
/**
 * What the device said it still held when last seen.
 */
queue: QueueStats, reports_received: number, last_received_at: string | null, };

/**
 * An enrolled device as an administrator sees it.
 */
export type EnrolledDevice = { id: DeviceId, 
/**
 * The login of the inspector it is enrolled for.
 */
login: string, enrolled_at: string, last_seen: string | null, 
/**
 * When its token was revoked; `None` while it works.
 */
revoked_at: string | null, 
/**
 * Its maker and model, as it last said.
 */
model: string | null, };

/**
 * A one-time code, shown once: as text to type, and as a QR code to scan.
 */
export type EnrollmentCode = { 
/**
 * The code, in groups of four.
 */
code: string, login: string, name: string, expires_at: string, 
/**
 * What the QR code says ([`payload`]).
 */
payload: string, 
/**
 * The QR code as an SVG document.
 */
svg: string, };

/**
 * `GET /v1/console/evaluation`: the indicators per group over a period.
 */
export type Evaluation = { by: GroupBy, from: string, to: string, rows: Array<Indicators>, total: Indicators, };

/**
 * A department's request for more working hours (延期申请) waiting for the centre.
 */
export type ExtensionRequest = { hours: number, reason: string, requested_by: UserId | null, requested_at: string, };

/**
 * The `type` of a GeoJSON FeatureCollection.
 */
export type FeatureCollectionType = "FeatureCollection";

/**
 * The `type` of a GeoJSON Feature.
 */
export type FeatureType = "Feature";

/**
 * The value an operator chose for one field of a conflict.
 */
export type FieldChoice = { field: string, value: JsonValue, };

/**
 * One field group both sides changed differently.
 */
export type FieldConflict = { 
/**
 * `filing`, `place`, `description`, `urgency` or `handled_on_spot`.
 */
field: string, base: JsonValue, central: JsonValue, device: JsonValue, };

/**
 * What is wrong with one field: the field's path (`photos[1].sha256`) and a message.
 */
export type FieldMessage = { field: string, code: string, params?: { [key in string]: string }, };

/**
 * The category a report is filed under: changed together or not at all.
 */
export type Filing = { kind: Kind, category: CategoryCode, code_table_version: string, component_id: ComponentId | null, };

/**
 * One grid cell (单元网格) as a GeoJSON Feature, its code as the feature's `id`.
 */
export type GridCell = { type: FeatureType, id: CellCode, properties: CellNames, geometry: CellPolygon, };

/**
 * `GET /v1/console/grid`: the centre's grid cells as a GeoJSON FeatureCollection
 * (RFC 7946: WGS-84 longitude, latitude), each with its names.
 */
export type GridCells = { type: FeatureCollectionType, features: Array<GridCell>, };

/**
 * What the evaluation's (考核评价) rows are per. How each indicator is counted is in the
 * sync server's `evaluation` module and the README's section on evaluation indicators.
 */
export type GroupBy = "cell" | "community" | "street" | "team" | "inspector" | "department" | "category" | "source";

/**
 * What an import did, or would do (a check): `stored` only when the file had no problem
 * and was not only checked; `summary` in words, as the command line says it.
 */
export type ImportAnswer = { stored: boolean, summary: string, problems: Array<ImportProblem>, };

/**
 * What an administrator imports from the console: a city's grid or its component layer
 * (GeoJSON, GeoPackage, or a Shapefile with its parts in one `.zip`), its code table, or
 * its list of people.
 */
export type ImportKind = "grid" | "components" | "codes" | "people";

/**
 * One problem an import found: its row in the file (0 for the whole file or a gap between
 * cells), the cell code when there is one, what is wrong, and where (lon, lat in WGS-84).
 */
export type ImportProblem = { row: number, code: string | null, message: string, at: [number, number] | null, };

/**
 * The indicators of one group (or of all of them: the total). Every rate is its
 * numerator over its denominator, both given; `None` (shown as "—") when the denominator
 * is 0.
 */
export type Indicators = { 
/**
 * The group's code: cell, community or street code, team code, user ID, department
 * code, category (`event:0102`). `""` for the reports outside the grid (by place),
 * without a team, or not dispatched, and for the total.
 */
key: string, 
/**
 * What people call it: street · community · cell, the team, the inspector's name, the
 * department's name, kind · major · minor class of the category.
 */
label: string, 
/**
 * 上报数: reports observed in the period.
 */
reports: number, 
/**
 * Of those, 立案数: registered as cases (valid).
 */
registered: number, 
/**
 * Of those, rejected (作废) or merged into another report (invalid).
 */
invalid: number, 
/**
 * 有效上报率 = registered / (registered + invalid); undecided reports count in neither.
 */
valid_rate: number | null, 
/**
 * 应处置数: cases whose handling fell due in the period.
 */
due: number, 
/**
 * Of those, handled by the department (its latest round).
 */
handled: number, 
/**
 * 处置率 = handled / due.
 */
handled_rate: number | null, 
/**
 * Of those due, handled with every round by its deadline.
 */
handled_on_time: number, 
/**
 * 按期处置率 = handled on time / due.
 */
handled_on_time_rate: number | null, 
/**
 * Of those due, past their deadline and still waiting for the department.
 */
overdue: number, 
/**
 * 超期待处置率 = overdue / due.
 */
overdue_rate: number | null, 
/**
 * 应结案数: cases due to close in the period.
 */
due_to_close: number, 
/**
 * Of those, closed (结案).
 */
closed: number, 
/**
 * 结案率 = closed / due to close.
 */
closed_rate: number | null, 
/**
 * Of those due to close, closed with the last handling and the closing 核查 on time.
 */
closed_on_time: number, 
/**
 * 按期结案率 = closed on time / due to close.
 */
closed_on_time_rate: number | null, 
/**
 * Of those due to close, sent back at least once (返工).
 */
reworked: number, 
/**
 * 返工率 = reworked / due to close.
 */
rework_rate: number | null, 
/**
 * Verification tasks (核查) due in the period.
 */
verifications_due: number, 
/**
 * Of those, done by their deadline.
 */
verified_on_time: number, 
/**
 * 按期核查率 = verified on time / verifications due.
 */
verified_on_time_rate: number | null, 
/**
 * 自处理数: of the registered, fixed on the spot by the inspector (no department).
 */
on_spot: number, 
/**
 * 自处理率 = on the spot / registered.
 */
on_spot_rate: number | null, 
/**
 * 延期数: cases whose handling deadline an approved 延期 moved in the period.
 */
extended: number, 
/**
 * 核实超期数: of the reports observed in the period, on-site checks (核实) done after
 * their time limit, or still waiting past it.
 */
check_late: number, 
/**
 * 受理超期数: of the reports observed in the period, reviews (受理) decided after their
 * time limit, or still waiting past it.
 */
review_late: number, 
/**
 * 派遣超期数: of the reports observed in the period, registered cases dispatched (派遣)
 * after their time limit, or still waiting past it.
 */
dispatch_late: number, 
/**
 * 处置超期数 = due − handled on time: cases whose handling was late or is overdue.
 */
handling_late: number, 
/**
 * 核查超期数 = verifications due − verified on time.
 */
verify_late: number, };

/**
 * `GET /v1/console/health`: how intake is going.
 */
export type IntakeHealth = { states: Array<StateCount>, 
/**
 * The oldest report waiting for review.
 */
oldest_pending: string | null, missing_photos: Array<MissingPhotos>, uploads: Array<UploadProgress>, 
/**
 * The latest refusals, newest first.
 */
refusals: Array<Refusal>, open_conflicts: number, 
/**
 * What devices say they still hold, summed.
 */
devices_queue: QueueStats, };

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

/**
 * Component (部件: a physical thing in the street) or event (事件: something happening).
 */
export type Kind = "component" | "event";

/**
 * A position with the facts needed to judge it.
 */
export type Location = { lon: number, lat: number, crs: Crs, 
/**
 * Horizontal accuracy (one standard deviation) in metres, as the provider states it.
 */
accuracy_m: number, fix_time: string, provider: LocationProvider, };

/**
 * Something about a report's position the team leader should see; never a reason to refuse.
 */
export type LocationFlag = { "flag": "outside_grid", nearest_cell: CellCode | null, distance_m: number | null, } | { "flag": "poor_accuracy", accuracy_m: number, limit_m: number, } | { "flag": "outside_my_cells", cell: CellCode, };

/**
 * Where a position came from.
 */
export type LocationProvider = "gps" | "network" | "photo_exif" | "manual";

/**
 * One report on the map: where it is and what the legend colours it by.
 */
export type MapPoint = { id: ReportId, 
/**
 * WGS-84 / CGCS2000, as the report was located.
 */
lon: number, lat: number, state: CaseState, urgent: boolean, 
/**
 * A dispatched case past its deadline (超期).
 */
overdue: boolean, kind: Kind, category: CategoryCode, 
/**
 * Its case number, once registered (立案).
 */
case_no: string | null, };

/**
 * The answer to a bulk merge: the reports folded in, in the order given.
 */
export type MergeAnswer = { into: ReportId, merged: Array<ReportId>, };

/**
 * `POST /v1/console/reports/merge`: fold a cluster of reports of one problem into one
 * report, all or none. Each report comes with the state the person saw it in; if any has
 * moved on (or cannot be merged), nothing is merged and the answer says which and why.
 */
export type MergeRequest = { 
/**
 * The report the others are folded into (it stays).
 */
into: ReportId, 
/**
 * The reports to fold in, at most [`MAX_MERGE`], each with the state the person saw.
 */
reports: Array<SeenReport>, };

/**
 * A sentence as a code and its parameters.
 */
export type Message = { 
/**
 * One of the catalogue's codes (`case.stale`).
 */
code: string, 
/**
 * The values the sentence names, by name.
 */
params?: { [key in string]: string }, 
/**
 * For a refused form or record: what is wrong with each field, one message each (the
 * sentence's `{problems}` says them all in English).
 */
fields?: Array<FieldMessage>, 
/**
 * The message this one passes on (its sentence says it as `{reason}`): "your change
 * was not accepted: <why the centre refused it>".
 */
cause?: Message | null, };

/**
 * A received report whose photos have not all arrived.
 */
export type MissingPhotos = { report: ReportId, reporter: string, device: DeviceId, missing: number, photos: number, received_at: string, };

/**
 * `POST /v1/console/admin/users/{login}/password`: a new console password.
 */
export type NewPassword = { password: string, };

/**
 * A conflict waiting for an operator, with what the list names it by: the report (its
 * case number, or category, reporter and time) and the device's model.
 */
export type OpenConflict = { 
/**
 * The report it is about.
 */
subject: ConsoleReport, 
/**
 * The maker and model of the device whose change conflicts, as it last said.
 */
device_model: string | null, id: string, report: ReportId, device: DeviceId, mutation: number, base_version: number, central_version: number, fields: Array<FieldConflict>, opened_at: string, resolved_at: string | null, 
/**
 * The values chosen, by field.
 */
resolution: Array<FieldChoice> | null, resolved_by: UserId | null, };

/**
 * What is late, or nearly.
 */
export type OverdueCounts = { 
/**
 * Dispatched cases past their handling deadline (处置超期).
 */
cases: number, 
/**
 * Dispatched cases due within two hours (即将到期).
 */
due_soon: number, 
/**
 * Verification tasks (核查) past their deadline and not done.
 */
verifications: number, };

/**
 * `GET /v1/console/overview`: the centre's wall screen (大屏), over what the viewer may
 * oversee (a team leader's team; everything for an operator).
 */
export type Overview = { 
/**
 * The moment the figures are counted at.
 */
at: string, 
/**
 * The centre's local day "today" is (its working calendar's UTC offset).
 */
day: string, today: TodayCounts, 
/**
 * Reports not yet settled, by state in the loop's order (every open state, zeros
 * included): awaiting photos, 待受理, returned, 立案, 派遣, 待核查.
 */
open: Array<StateCount>, 
/**
 * Every department of the case rules (and any other a case went to), most open first.
 */
departments: Array<DepartmentLoad>, overdue: OverdueCounts, 
/**
 * The categories reported most over `week_from..week_to` (高发问题), most first; reports
 * rejected or merged into another are not counted.
 */
top_categories: Array<CategoryCount>, 
/**
 * The last seven local days, today included, by when problems were observed.
 */
week_from: string, week_to: string, };

/**
 * A person, as the console names them.
 */
export type Person = { id: UserId, login: string, name: string, role: Role, team: string | null, 
/**
 * The department code of a department's clerk.
 */
department: string | null, };

/**
 * One photo attached to a report.
 */
export type PhotoId = string;

/**
 * A photo as the record knows it: the upload derivative's identity and shape. The bytes
 * travel separately and must hash to `sha256`.
 */
export type PhotoRef = { id: PhotoId, 
/**
 * Lower-case hex SHA-256 of the upload derivative.
 */
sha256: string, bytes: number, width: number, height: number, taken_at: string | null, stage: PhotoStage, };

/**
 * Whether a photo shows the problem (处置前) or the fix (处置后).
 */
export type PhotoStage = "before" | "after";

/**
 * Where the problem is: the position and what follows from it, changed together.
 */
export type Place = { location: Location, cell: CellCode | null, location_flags: Array<LocationFlag>, address: string, };

/**
 * What a device said of a report's place, kept beside the centre's answer when the two
 * differ. The centre places every report it receives (and every edit that moves one) in
 * its own grid from the position, with the same lookup the device uses; the report's
 * `cell` and `location_flags` are the centre's, and only they count (lists, scopes, the
 * evaluation per cell).
 */
export type PlaceClaim = { 
/**
 * The cell the device named.
 */
cell: CellCode | null, 
/**
 * The location flags the device raised.
 */
location_flags: Array<LocationFlag>, 
/**
 * How the claim disagrees with the centre, for the team leader; empty when it differs
 * only in detail (a distance rounded otherwise).
 */
disputes: Array<PlaceDispute>, };

/**
 * One way a device's claim about a report's place disagrees with the centre's grid.
 */
export type PlaceDispute = "unknown_cell" | "position_outside_grid" | "cell_disputed" | "flags_disputed";

/**
 * The `type` of a GeoJSON Polygon.
 */
export type PolygonType = "Polygon";

/**
 * The answer to a 随手拍 submission, and to asking how it stands.
 */
export type PublicAnswer = { 
/**
 * The report: the citizen asks how it stands by this ID.
 */
report: ReportId, 
/**
 * `awaiting_check` until an inspector has seen it, then the case's state.
 */
state: CaseState, 
/**
 * The case number (立案编号), once the centre has taken it.
 */
case_no: string | null, received_at: string, };

/**
 * One problem a citizen may pick on the 随手拍 page (a 小类 of the newest code table).
 */
export type PublicCategory = { kind: Kind, code: CategoryCode, 
/**
 * The 大类's name.
 */
major_name: string, name: string, };

/**
 * `GET /v1/public/form`: what the 随手拍 page offers.
 */
export type PublicForm = { 
/**
 * Whether this centre takes 随手拍 (it has a service account for the public).
 */
open: boolean, categories: Array<PublicCategory>, max_photos: number, max_words: number, 
/**
 * Submissions one address may make an hour.
 */
per_hour: number, };

/**
 * The `report` part of a 随手拍 submission (`POST /v1/public/reports`, `multipart/form-data`):
 * what a citizen says, beside one `photo` part per photo (JPEG), in the order of
 * `photo_ids`. No account: the centre files it as its public port's service account.
 */
export type PublicReport = { 
/**
 * A UUID the page makes once per report and sends again on every retry of it: a retry
 * gets the first submission's answer, never a second report.
 */
key: string, kind: Kind, 
/**
 * The 小类 the citizen picked, from the newest code table.
 */
category: CategoryCode, 
/**
 * What the citizen saw, in their words (1 to 500 characters).
 */
description: string, 
/**
 * Where, in the citizen's words (may be empty: the position says it).
 */
address: string, 
/**
 * The phone's position (provider `gps` or `network`, as the browser gave it).
 */
location: Location, 
/**
 * One ID (UUIDv7, made by the page) per `photo` part, in order; 1 to 3.
 */
photo_ids: Array<PhotoId>, };

/**
 * How a work queue is ordered (`sort=` of `GET /v1/console/reports`). Ties go to the
 * report that entered its state first, then to the report's ID, so the order is total and
 * a page's cursor names exactly where the next page starts.
 */
export type QueueSort = "waiting" | "overdue" | "urgent" | "newest";

/**
 * What is still waiting on the device, reported on every sync so team leaders can see
 * whose work has not arrived.
 */
export type QueueStats = { reports: number, photos: number, bytes: number, };

/**
 * A mutation the centre refused.
 */
export type Refusal = { device: DeviceId, user: string, mutation: number, 
/**
 * Why, in English.
 */
reason: string, 
/**
 * Why, as a message of the catalogue (absent for refusals recorded before messages).
 */
message?: Message | null, at: string, };

/**
 * A submitted problem report.
 */
export type Report = { id: ReportId, kind: Kind, category: CategoryCode, 
/**
 * The version of the code table `category` was chosen from.
 */
code_table_version: string, 
/**
 * For 部件 reports about one identified component (e.g. from its QR code).
 */
component_id: ComponentId | null, description: string, address: string, location: Location, 
/**
 * The cell the location fell in at capture time; absent when it fell in none.
 */
cell: CellCode | null, location_flags: Array<LocationFlag>, urgency: Urgency, observed_at: string, reporter: UserId, device: DeviceId, photos: Array<PhotoRef>, clips: Array<ClipRef>, 
/**
 * The inspector fixed it on the spot (自处理).
 */
handled_on_spot: boolean, };

/**
 * Everything about one report: the audit trail and the case around it.
 */
export type ReportDetail = { item: ConsoleReport, events: Array<CaseEvent>, tasks: Array<Task>, versions: Array<VersionInfo>, conflicts: Array<Conflict>, 
/**
 * Other reports of likely the same problem: the one it duplicates, those that
 * duplicate it or the same one, and those merged into it.
 */
related: Array<ConsoleReport>, 
/**
 * The report's grid cell (a GeoJSON Feature), for the map.
 */
cell: JsonValue | null, 
/**
 * For a report outside the grid, the nearest cell (a GeoJSON Feature), so the map
 * shows where the point lies against the grid.
 */
nearest_cell: JsonValue | null, 
/**
 * The names of every cell this answer mentions (the report's, its location flags',
 * the device's claim's, the related reports'), so none is shown as a bare code.
 */
cell_names: Array<CellName>, 
/**
 * Whether the report's records are intact.
 */
seal: Seal, 
/**
 * After-photos the department declared with its 处置完成 (those whose bytes arrived
 * are in `item.photos_arrived`).
 */
handling_photos: Array<PhotoRef>, };

/**
 * A problem report, from draft on the device to case at the centre.
 */
export type ReportId = string;

/**
 * One page of a work queue (`GET /v1/console/reports`).
 */
export type ReportPage = { items: Array<ConsoleReport>, 
/**
 * Where the next page starts (pass it back as `after`); none when this page is the
 * last.
 */
next: string | null, 
/**
 * How many reports match the filter in all (every page together), counted up to a
 * bound (see `total_capped`) when the first page was read; the pages after it repeat
 * that count.
 */
total: number, 
/**
 * Counting stopped at the bound: at least `total` match.
 */
total_capped: boolean, };

/**
 * The changes of one edit; `None` leaves a group as it was.
 */
export type ReportPatch = { filing?: Filing | null, place?: Place | null, description?: string | null, urgency?: Urgency | null, handled_on_spot?: boolean | null, photos_added?: Array<PhotoRef>, photos_removed?: Array<PhotoId>, clips_added?: Array<ClipRef>, clips_removed?: Array<ClipKey>, };

/**
 * `POST /v1/console/conflicts/{id}/resolve`.
 */
export type Resolve = { 
/**
 * A value for every conflicting field.
 */
fields: Array<FieldChoice>, };

/**
 * What a person does in the system (who may do what: the README's role table).
 */
export type Role = "inspector" | "leader" | "operator" | "department" | "administrator" | "service";

/**
 * Whether a report's records are as written: its versions and case events hash chains
 * unbroken up to its present state, and its photos' bytes matching their SHA-256.
 */
export type Seal = { verified: boolean, 
/**
 * Versions checked on their chain.
 */
versions: number, 
/**
 * Case events checked on their chain.
 */
events: number, 
/**
 * Photos re-hashed (those whose bytes the centre holds).
 */
photos: number, 
/**
 * Where the records are broken: the table, the entry and what does not match
 * (`report_versions: version 2: its content no longer matches its hash`).
 */
broken: string | null, 
/**
 * The report row's seal (SHA-256 over its state and its chains' heads), when verified.
 */
head: string | null, };

/**
 * A report and the state the person saw it in.
 */
export type SeenReport = { id: ReportId, seen_state: CaseState, };

/**
 * A console session: send `token` as `Authorization: Bearer …` until `expires_at`.
 */
export type Session = { token: string, user: Person, expires_at: string, };

/**
 * `POST /v1/console/session`: sign in.
 */
export type SignIn = { login: string, password: string, };

/**
 * Where a report came from (案件来源).
 */
export type Source = "inspector" | "hotline_12345" | "hotline_12319" | "police_110" | "fire_119" | "wechat" | "public" | "leader" | "video";

/**
 * How many reports are in one state.
 */
export type StateCount = { state: CaseState, count: number, };

/**
 * A case suspended by the centre (缓办).
 */
export type Suspension = { 
/**
 * The state it goes back to when resumed.
 */
from: CaseState, at: string, 
/**
 * The local day it is to be resumed by.
 */
resume_on: string, };

/**
 * A task for an inspector. The device receives it in the change feed with the case it is
 * about, works it offline and answers with a `CompleteTask` mutation.
 */
export type Task = { id: TaskId, kind: TaskKind, report: ReportId, 
/**
 * The case number; none for an on-site check (核实), which comes before 立案.
 */
case_no: string | null, assignee: UserId, created_at: string, due_at: string, done_at: string | null, passed: boolean | null, note: string | null, 
/**
 * Photos taken at the verification (处置后).
 */
photos: Array<PhotoRef>, by_device: DeviceId | null, };

/**
 * A task and the case it is about, as a device receives them.
 */
export type TaskChange = { task: Task, 
/**
 * The case's report: what to look at, and where.
 */
report: Report, 
/**
 * The department that handled it.
 */
department: string | null, 
/**
 * Where the report came from (a check's report is from another port: a hotline, the
 * public …).
 */
source: Source | null, 
/**
 * For a verification: what the department said it did (its 处置说明), to check on site.
 */
handling_note: string | null, 
/**
 * For a verification: the department's after-photos (处置后), their bytes fetched by
 * the device from `GET /v1/photos/{sha256}` once they reached the centre.
 */
handling_photos: Array<PhotoRef>, };

/**
 * A task the centre gives an inspector (a verification, 核查).
 */
export type TaskId = string;

/**
 * What a task asks for.
 */
export type TaskKind = "verify" | "check";

/**
 * A team (班组) of inspectors under its leaders (网格长), named the way the centre says
 * it: after its leaders ("陈建国组"), or by its code while it has none.
 */
export type Team = { 
/**
 * Its code (`T440703001-01`), as people's records name it.
 */
code: string, name: string, 
/**
 * Its people who are not disabled: leaders first, then by name.
 */
members: Array<Person>, };

/**
 * Today's intake and the loop's steps taken today (the centre's local day).
 */
export type TodayCounts = { 
/**
 * Reports that reached the centre today (今日上报).
 */
received: number, 
/**
 * Of those, the urgent ones.
 */
urgent: number, 
/**
 * Reports registered as cases today (今日立案).
 */
registered: number, 
/**
 * Cases dispatched today (今日派遣), each once however often it went out.
 */
dispatched: number, 
/**
 * Cases closed today (今日结案).
 */
closed: number, };

/**
 * A photo upload not yet finished.
 */
export type UploadProgress = { id: string, report: ReportId, device: DeviceId, received: number, length: number, created_at: string, expires_at: string, };

/**
 * How urgent the inspector judges the problem (紧急程度).
 */
export type Urgency = "normal" | "urgent";

/**
 * A person: inspector, team leader or operator.
 */
export type UserId = string;

/**
 * One version of a report, for the audit trail.
 */
export type VersionInfo = { version: number, record: Report, 
/**
 * The change that made it (none for version 1).
 */
patch: ReportPatch | null, by_user: UserId | null, by_name: string | null, 
/**
 * What the person who made it does (an inspector's device, a team leader's
 * correction at 立案, an operator's resolution of a conflict).
 */
by_role?: Role | null, by_device: DeviceId | null, mutation: number | null, at: string, };

