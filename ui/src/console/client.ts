// Generated from the console's route table (sync-server/src/api/typescript.rs) by
// `GRIDWALK_WRITE_BINDINGS=1 cargo test -p gridwalk-sync --lib console_client`. Do not edit by hand.

import type { Account, ActionAnswer, ActionRequest, AuditEntry, CaseMap, CodeRequest, ComponentInfo, Department, DeviceId, DeviceRow, EnrolledDevice, EnrollmentCode, Evaluation, GridCells, GroupBy, IntakeHealth, JsonValue, MergeAnswer, MergeRequest, NewPassword, OpenConflict, Overview, Person, QueueSort, ReportDetail, ReportId, ReportPage, Resolve, Session, SignIn, Team } from "../shared/types";
import { call, link } from "./http";

/** The console's JSON routes, typed; each rejects with a `Failure`. */
export const client = {
  /** Sign in with a login and password. */
  signIn: (body: SignIn) => call<Session>("POST", "/v1/console/session", {}, body),
  /** Sign out: the session ends. */
  signOut: () => call<null>("DELETE", "/v1/console/session"),
  /** Who is signed in. */
  me: () => call<Person>("GET", "/v1/console/me"),
  /** The departments cases are dispatched to. */
  departments: () => call<Array<Department>>("GET", "/v1/console/departments"),
  /** The teams the signed-in person may name and filter by, each named after its leaders
with its people: a leader's own, every team for an operator or an administrator. */
  teams: () => call<Array<Team>>("GET", "/v1/console/teams"),
  /** The code tables the centre holds, as loaded (category names for the pages). */
  codeTables: () => call<Array<JsonValue>>("GET", "/v1/console/code-tables"),
  /** A city component (部件) as the centre holds it; its reports are the work queue's with
`component=ID`. */
  component: (id: string) => call<ComponentInfo>("GET", `/v1/console/components/${encodeURIComponent(id)}`),
  /** A work queue, a page at a time: a leader sees their team's reports, a department its
cases, an operator all. */
  reports: (query: { state?: string; street?: string; community?: string; cell?: string; kind?: string; category?: string; component?: string; inspector?: string; team?: string; department?: string; urgency?: string; source?: string; flags?: string; due?: string; from?: string; to?: string; q?: string; sort?: QueueSort; after?: string; limit?: number } = {}) => call<ReportPage>("GET", "/v1/console/reports", query),
  /** One report's whole story. */
  report: (id: ReportId) => call<ReportDetail>("GET", `/v1/console/reports/${encodeURIComponent(id)}`),
  /** One step of the case loop: review (approve, return, reject, merge), dispatch and
re-dispatch, the department's accept, handled, send back and ask for more time, the
operator's decision on it, suspend and resume, void, special closure, and the leader's
check of a case fixed on the spot; each as the person's role and the case's state allow. */
  act: (id: ReportId, body: ActionRequest) => call<ActionAnswer>("POST", `/v1/console/reports/${encodeURIComponent(id)}/actions`, {}, body),
  /** Merge a cluster of reports of one problem into one, all or none. */
  merge: (body: MergeRequest) => call<MergeAnswer>("POST", "/v1/console/reports/merge", {}, body),
  /** Every device, its owner, when it was last heard from and what it still holds. */
  devices: () => call<Array<DeviceRow>>("GET", "/v1/console/devices"),
  /** A one-time enrollment code for an inspector's tablet, as text and as a QR code (an
administrator for anyone, a team leader for their own team's inspectors). */
  enrollmentCode: (body: CodeRequest) => call<EnrollmentCode>("POST", "/v1/console/enrollment-codes", {}, body),
  /** How intake is going. */
  health: () => call<IntakeHealth>("GET", "/v1/console/health"),
  /** Conflicts waiting for an operator. */
  conflicts: () => call<Array<OpenConflict>>("GET", "/v1/console/conflicts"),
  /** Resolve a conflict: the report's next version takes the chosen values. */
  resolve: (id: string, body: Resolve) => call<JsonValue>("POST", `/v1/console/conflicts/${encodeURIComponent(id)}/resolve`, {}, body),
  /** The evaluation indicators per group over a period. */
  evaluation: (query: { by: GroupBy; from: string; to: string }) => call<Evaluation>("GET", "/v1/console/evaluation", query),
  /** The city map's reports: every report with a position a work queue's filter matches, as
a point (at most 20,000, in the filter's order): a leader's team's, a department's cases,
all for an operator. */
  map: (query: { state?: string; street?: string; community?: string; cell?: string; kind?: string; category?: string; inspector?: string; team?: string; department?: string; urgency?: string; source?: string; flags?: string; due?: string; from?: string; to?: string; q?: string; sort?: QueueSort } = {}) => call<CaseMap>("GET", "/v1/console/map", query),
  /** The centre's grid cells as GeoJSON, each with its street's and community's names. */
  grid: () => call<GridCells>("GET", "/v1/console/grid"),
  /** The centre's overview screen (大屏): today's intake and steps, open reports by state and
cases by department, what is overdue, and this week's most reported problems, over a
leader's team or, for an operator, everything. */
  overview: () => call<Overview>("GET", "/v1/console/overview"),
  /** Everyone: what they may do, and whether they are disabled (administrators). */
  adminUsers: () => call<Array<Account>>("GET", "/v1/console/admin/users"),
  /** Every enrolled device, with its inspector, and whether it is revoked (administrators). */
  adminDevices: () => call<Array<EnrolledDevice>>("GET", "/v1/console/admin/devices"),
  /** Revoke a device: its token stops working at once (a lost or retired tablet). */
  revokeDevice: (id: DeviceId) => call<null>("POST", `/v1/console/admin/devices/${encodeURIComponent(id)}/revoke`),
  /** Disable a person: their devices and console sessions stop working at once. */
  disableUser: (login: string) => call<null>("POST", `/v1/console/admin/users/${encodeURIComponent(login)}/disable`),
  /** Enable a disabled person again. */
  enableUser: (login: string) => call<null>("POST", `/v1/console/admin/users/${encodeURIComponent(login)}/enable`),
  /** Set a person's console password; their sessions end. */
  setPassword: (login: string, body: NewPassword) => call<null>("POST", `/v1/console/admin/users/${encodeURIComponent(login)}/password`, {}, body),
  /** The administrative audit trail, newest first. */
  audit: (query: { limit?: number } = {}) => call<Array<AuditEntry>>("GET", "/v1/console/admin/audit", query),
};

/** Addresses of what the browser loads by itself: photos, downloads. */
export const links = {
  /** A photo's bytes, by its SHA-256. */
  photo: (sha256: string) => link(`/v1/console/photos/${encodeURIComponent(sha256)}`),
  /** A photo's thumbnail for the lists: a small JPEG made from the photo and kept. */
  thumb: (sha256: string) => link(`/v1/console/photos/${encodeURIComponent(sha256)}/thumb`),
  /** A stream of server-sent events, `changed` with the centre's change mark whenever
reports, cases or tasks change (the first at once): a console reads its lists again.
Each stream lasts about 25 s and asks the browser to reconnect after a second. */
  events: () => link("/v1/console/events"),
  /** The same, as CSV, named `evaluation-<groups>-<first day>_<last day>.csv`. */
  evaluationCsv: (query: { by: GroupBy; from: string; to: string }) => link("/v1/console/evaluation.csv", query),
  /** By cell, community or street as GeoJSON: each place's outline with its indicators. */
  evaluationGeojson: (query: { by?: GroupBy; from: string; to: string }) => link("/v1/console/evaluation.geojson", query),
};
