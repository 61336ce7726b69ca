// The console's pure logic: category names from the code tables as loaded, deadline
// status, rates, periods, moments, how a conflict's values read, and a report's place as
// the centre decided it against what the device claimed. Tested in __tests__.
import type { Lang, Words } from "../shared/i18n";
import { sayNote, storedNote, type Names } from "../shared/say";
import type { CaseAction, CaseState, CellName, ConsoleReport, FieldConflict, LocationFlag, Report, Role, VersionInfo } from "../shared/types";
import type { Key } from "./i18n/zh";

/** `event:0507` → names, from the raw code table files (kinds → majors → minors). */
export interface CategoryName {
  name: string;
  name_en: string;
  major: string;
  major_en: string;
}

interface RawTable {
  kinds?: { kind: string; majors?: { code: string; name: string; name_en?: string; minors?: { code: string; name: string; name_en?: string }[] }[] }[];
}

export function categoryNames(tables: unknown[]): Map<string, CategoryName> {
  const out = new Map<string, CategoryName>();
  for (const t of tables as RawTable[]) {
    for (const k of t.kinds ?? []) {
      for (const m of k.majors ?? []) {
        for (const n of m.minors ?? []) {
          out.set(`${k.kind}:${m.code}${n.code}`, {
            name: n.name,
            name_en: n.name_en ?? n.name,
            major: m.name,
            major_en: m.name_en ?? m.name,
          });
        }
      }
    }
  }
  return out;
}

/** A report's category in the console's language, with its code. */
export function categoryLabel(names: Map<string, CategoryName>, kind: string, code: string, lang: Lang): string {
  const n = names.get(`${kind}:${code}`);
  if (!n) return code;
  return lang === "zh" ? `${n.major} · ${n.name} (${code})` : `${n.major_en} · ${n.name_en} (${code})`;
}

export type DueStatus = "none" | "ok" | "soon" | "overdue" | "met" | "late";

/** Where a report stands against the deadline of the step it waits on at `now` (受理, 派遣,
 * 处置, …): fine, due within two working hours, overdue; or, once handled or closed,
 * whether the handling deadline was met. The centre counts the working time left when it
 * answers (`step_left_minutes`); a page left open past the deadline itself says overdue. */
export function dueStatus(
  r: Pick<ConsoleReport, "state" | "state_at" | "case"> & Partial<Pick<ConsoleReport, "step_due_at" | "step_left_minutes">>,
  now: Date,
): DueStatus {
  if (r.state === "handled" || r.state === "closed") {
    const due = r.case?.due_at;
    if (!due) return "none";
    const done = r.case?.handled_at ?? r.state_at;
    return new Date(done) <= new Date(due) ? "met" : "late";
  }
  const stepDue = r.step_due_at ?? (r.state === "dispatched" || r.state === "in_progress" ? r.case?.due_at : null);
  if (!stepDue) return "none";
  const wall = new Date(stepDue).getTime() - now.getTime();
  if (wall < 0) return "overdue";
  const left = r.step_left_minutes ?? Math.floor(wall / 60_000);
  if (left < 0) return "overdue";
  return left <= 120 ? "soon" : "ok";
}

/** The working time left on a step as a countdown (`剩 2 工时 5 分`), or by how much it is
 * overdue (`超期 1 工时 20 分`). */
export function countdown(w: Words<Key>, minutes: number): string {
  const m = Math.abs(minutes);
  const h = Math.floor(m / 60);
  // Past a day's worth the minutes say nothing more.
  const span =
    h >= 24 || (h > 0 && m % 60 === 0) ? w.t("countdown.h", { h }) : h > 0 ? w.t("countdown.hm", { h, m: m % 60 }) : w.t("countdown.m", { m });
  return w.t(minutes < 0 ? "countdown.over" : "countdown.left", { span });
}

/** What a button on a report's page does: a case action, or one of the two the console
 * words differently (更正并立案 is an approval with a correction, 改派 a dispatch of a case
 * that has a department). */
export type ActionName = CaseAction["action"] | "correct" | "redispatch";

/** The actions a person in `role` may take on a report now, as the centre's rules allow
 * them (sync-server's domain/cases.rs for the state, domain/access.rs for the role): the
 * buttons its page shows. The centre decides again on every action. */
export function actionsFor(item: Pick<ConsoleReport, "state" | "case">, role: Role): ActionName[] {
  const steers = role === "leader" || role === "operator";
  const supervises = role === "operator";
  const handles = role === "department";
  const c = item.case;
  const out: ActionName[] = [];
  const add = (when: boolean, ...names: ActionName[]) => {
    if (when) out.push(...names);
  };
  switch (item.state) {
    case "pending_review":
      add(steers, "approve", "correct", "return", "reject", "merge");
      break;
    case "awaiting_photos":
      add(steers, "return", "reject", "merge");
      break;
    case "returned":
      add(steers, "reject", "merge");
      break;
    case "awaiting_check":
      // A port's report waiting for the on-site check: the centre may take it without one
      // (no inspector covers its place), or refuse it.
      add(steers, "approve", "reject", "merge");
      break;
    case "registered":
      add(steers, "dispatch");
      add(supervises, "suspend", "void", "close_special");
      break;
    case "dispatched":
    case "in_progress":
      add(handles && item.state === "dispatched", "accept");
      add(steers || handles, "handled");
      add(handles, "bounce");
      add(handles && !c?.extension, "request_extension");
      add(supervises && !!c?.extension, "decide_extension");
      add(steers, "redispatch");
      add(supervises, "suspend", "void", "close_special");
      break;
    case "handled":
      // Only a case fixed on the spot (自处理, no department) is checked from its photos at
      // the console; a department's work is checked on site by the reporting inspector.
      add(steers && !c?.department, "verify");
      add(supervises, "void", "close_special");
      break;
    case "suspended":
      add(supervises, "resume", "void", "close_special");
      break;
    default:
      break;
  }
  return out;
}

/** A rate as a percentage with one decimal, or a dash when there is nothing to divide by. */
export function percent(rate: number | null): string {
  return rate === null ? "—" : `${(rate * 100).toFixed(1)}%`;
}

/** `from`/`to` (RFC 3339, local midnight) for the last `days` days including today. */
export function lastDays(days: number, now: Date): { from: string; to: string } {
  const end = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  const start = new Date(end.getFullYear(), end.getMonth(), end.getDate() - days);
  return { from: start.toISOString(), to: end.toISOString() };
}

/** A moment as the console shows it (local date and 24-hour time), or a dash for none. */
export function when(w: Words, iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString(w.locale, { hour12: false }) : "—";
}

/** A deadline as a card shows it: the time alone today (`15:56`), else the day and time
 * (`12/3 15:56`; another year's with its year), without seconds. */
export function shortWhen(w: Words, iso: string, now: Date): string {
  const d = new Date(iso);
  const time = d.toLocaleTimeString(w.locale, { hour: "2-digit", minute: "2-digit", hour12: false });
  if (d.toDateString() === now.toDateString()) return time;
  const day = `${d.getMonth() + 1}/${d.getDate()}`;
  return d.getFullYear() === now.getFullYear() ? `${day} ${time}` : `${d.getFullYear()}/${day} ${time}`;
}

/** After-photos (处置后) whose camera says they were taken before the problem was found:
 * an old picture offered as proof of a fix. Each is named by when it was taken. A photo
 * without a time says nothing either way. */
export function afterPhotosBefore(report: Pick<Report, "photos" | "observed_at">): string[] {
  const found = new Date(report.observed_at).getTime();
  return report.photos
    .filter((p) => p.stage === "after" && p.taken_at !== null && new Date(p.taken_at).getTime() < found)
    .map((p) => p.taken_at as string);
}

/** A date input's value (`2026-11-21`) as local midnight, in RFC 3339. */
export function dayStart(value: string): string {
  const [y, m, d] = value.split("-").map(Number);
  return new Date(y, m - 1, d).toISOString();
}

/** The states each list shows. */
export const REVIEW_STATES: CaseState[] = ["pending_review", "awaiting_check", "awaiting_photos", "returned"];
export const CASE_STATES: CaseState[] = ["registered", "dispatched", "in_progress", "handled", "suspended", "closed"];

/** How one side of a conflicting field reads: text as itself, the rest as compact JSON. */
export function fieldValue(field: string, v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "✓" : "✗";
  if (field === "place" && v && typeof v === "object") {
    const p = v as { address?: string; cell?: string | null; location?: { lon: number; lat: number } };
    const at = p.location ? `${p.location.lon.toFixed(6)}, ${p.location.lat.toFixed(6)}` : "";
    return [p.address, p.cell, at].filter(Boolean).join(" · ");
  }
  if (field === "filing" && v && typeof v === "object") {
    const f = v as { kind?: string; category?: string };
    return `${f.kind ?? ""} ${f.category ?? ""}`.trim();
  }
  return JSON.stringify(v);
}

/** Whether a conflict's field can take a typed value (free text), rather than a choice. */
export const typeable = (c: FieldConflict) => c.field === "description";

/** Bytes in words. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** The console's sections, in the order the top bar shows them. */
export type Section =
  | "handling"
  | "review"
  | "cases"
  | "map"
  | "components"
  | "overview"
  | "devices"
  | "conflicts"
  | "health"
  | "evaluation"
  | "people"
  | "tablets"
  | "import"
  | "audit";

const SECTIONS: readonly string[] = [
  "handling",
  "review",
  "cases",
  "map",
  "components",
  "overview",
  "devices",
  "conflicts",
  "health",
  "evaluation",
  "people",
  "tablets",
  "import",
  "audit",
] satisfies Section[];

/** What a URL hash (`#/review/<id>`, `#/cases?state=dispatched&sort=overdue`) opens for
 * someone who works in the sections `visible`: that section and report, with the list's
 * filter from the part after `?`; none named (or an unknown name), their first section; a
 * section that is not theirs, nothing but `refused`, so the console says so in words
 * instead of showing another page as if it were the one asked for. */
export function route(
  hash: string,
  visible: Section[],
): { section: Section | null; id: string | null; refused: Section | null; query: QueueQuery } {
  const text = hash.replace(/^#/, "");
  const at = text.indexOf("?");
  const path = at < 0 ? text : text.slice(0, at);
  const query = queueQuery(new URLSearchParams(at < 0 ? "" : text.slice(at + 1)));
  const [, name, id] = path.split("/");
  if (visible.includes(name as Section)) return { section: name as Section, id: id || null, refused: null, query };
  if (SECTIONS.includes(name)) return { section: null, id: null, refused: name as Section, query: {} };
  return { section: visible[0] ?? null, id: null, refused: null, query: {} };
}

/** The filters and order a work queue's address may carry: the names of the list API's
 * query parameters (`GET /v1/console/reports`), so the address and the request agree. */
export const QUEUE_KEYS = [
  "state",
  "street",
  "community",
  "cell",
  "kind",
  "category",
  "component",
  "inspector",
  "team",
  "department",
  "urgency",
  "source",
  "flags",
  "due",
  "from",
  "to",
  "q",
  "sort",
] as const;

export type QueueKey = (typeof QUEUE_KEYS)[number];
export type QueueQuery = Partial<Record<QueueKey, string>>;

/** The queue's filter in `params`: the known names with a value, nothing else. */
export function queueQuery(params: URLSearchParams): QueueQuery {
  const out: QueueQuery = {};
  for (const k of QUEUE_KEYS) {
    const v = params.get(k)?.trim();
    if (v) out[k] = v;
  }
  return out;
}

/** The address of a section (and report) with a queue's filter, in `QUEUE_KEYS` order, so
 * the same filter always reads the same. */
export function queueHash(section: Section, id: string | null, query: QueueQuery): string {
  const params = new URLSearchParams();
  for (const k of QUEUE_KEYS) {
    const v = query[k]?.trim();
    if (v) params.set(k, v);
  }
  const search = params.toString();
  return `#/${section}${id ? `/${id}` : ""}${search ? `?${search}` : ""}`;
}

/** How long ago `iso` was, in whole minutes, hours or days (a queue's "waiting" column). */
export function age(w: Words<Key>, iso: string, now: Date): string {
  const minutes = Math.max(0, Math.floor((now.getTime() - new Date(iso).getTime()) / 60_000));
  if (minutes < 60) return w.t("age.minutes", { n: minutes });
  if (minutes < 48 * 60) return w.t("age.hours", { n: Math.floor(minutes / 60) });
  return w.t("age.days", { n: Math.floor(minutes / 1440) });
}

/** The sections a role works in, as the README's role table says (the server refuses the
 * rest anyway): a leader the team's loop, map, overview and boards, an operator the same
 * with conflicts, a department's clerk its cases, an administrator people, tablets and the
 * admin log. */
export function sectionsFor(role: Role): Section[] {
  switch (role) {
    case "leader":
      return ["review", "cases", "map", "components", "overview", "devices", "health", "evaluation"];
    case "operator":
      return ["review", "cases", "map", "components", "overview", "devices", "conflicts", "health", "evaluation"];
    case "department":
      // The department's own work, made for the phone (and laid out side by side on a desk).
      return ["handling"];
    case "administrator":
      return ["people", "tablets", "import", "audit"];
    case "inspector":
    case "service":
      // A tablet; another port's system: neither signs in to the console.
      return [];
  }
}

/** Whether a role reviews and dispatches (a department's clerk only marks cases handled). */
export function reviews(role: Role): boolean {
  return role === "leader" || role === "operator";
}

/** Whether the device's claim about a report's place disagrees with the centre's grid in a
 * way the team leader should look at (the report's cell and flags are the centre's). */
export function placeDisputed(item: Pick<ConsoleReport, "claim">): boolean {
  return (item.claim?.disputes.length ?? 0) > 0;
}

/** Names a cell by its code. */
export type CellNamer = (code: string) => string;

/** Names grid cells as people do: street · community · the cell's number in its community
 * (its code's last three digits), from the names the centre sent beside the codes. A code
 * the centre's grid lacks (a device's made-up or outdated claim) stays a code. */
export function cellNamer(w: Words<Key>, names: readonly CellName[]): CellNamer {
  const byCode = new Map(names.map((n) => [n.code, n]));
  return (code) => {
    const n = byCode.get(code);
    if (!n || (!n.street && !n.community)) return code;
    const parts = [n.street, n.community].filter((p): p is string => !!p);
    return [...parts, w.t("cell.number", { n: code.slice(-3) })].join(" · ");
  };
}

/** A device named as a team leader tells tablets apart: whose it is and what it is
 * ("张三的 HUAWEI BAH3-W09"); an older app that does not say its model, by its owner and the
 * last characters of its ID. */
export function deviceName(w: Words<Key>, owner: string, model: string | null | undefined, id: string): string {
  return model ? w.t("device.named", { owner, model }) : w.t("device.unnamed", { owner, id: id.slice(-4) });
}

/** What the device claimed against what the centre decided, in one sentence with why. */
export function claimText(w: Words<Key>, item: Pick<ConsoleReport, "claim" | "report">, cell: CellNamer = (c) => c): string {
  const claim = item.claim;
  if (!claim) return "";
  const none = w.t("place.noCell");
  const said = w.t("place.claimed", {
    cell: claim.cell ? cell(claim.cell) : none,
    centre: item.report.cell ? cell(item.report.cell) : none,
  });
  const why = claim.disputes.map((d) => w.t(`dispute.${d}` as Key)).join(w.t("list.sep"));
  return why ? `${said}${w.t("list.open")}${why}${w.t("list.close")}` : said;
}

/** One location flag (the centre's) in words. */
export function flagText(w: Words<Key>, f: LocationFlag, cell: CellNamer = (c) => c): string {
  switch (f.flag) {
    case "outside_grid":
      return f.nearest_cell
        ? w.t("flag.outsideGrid", { cell: cell(f.nearest_cell), m: Math.round(f.distance_m ?? 0) })
        : w.t("flag.outsideGridFar");
    case "outside_my_cells":
      return w.t("flag.outsideTheirs", { cell: cell(f.cell) });
    case "poor_accuracy":
      return w.t("flag.poorAccuracy", { m: Math.round(f.accuracy_m), limit: Math.round(f.limit_m) });
  }
}

/** A report named for people: its case number once it has one, else its category, who
 * reported it and when (never its ID). */
export function reportName(w: Words, names: Map<string, CategoryName>, r: ConsoleReport): string {
  if (r.case?.case_no) return r.case.case_no;
  const when = new Date(r.report.observed_at).toLocaleString(w.locale, { month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit" });
  return `${categoryLabel(names, r.report.kind, r.report.category, w.lang)} · ${r.reporter.name} · ${when}`;
}

/** Metres between two positions on the ground (haversine; plenty for tens of metres). */
export function metresApart(a: { lon: number; lat: number }, b: { lon: number; lat: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(h));
}

/** Why a report is marked a likely duplicate (≈) of `other`: how far apart and how long
 * apart the two were seen; `brief` leaves out what ≈ means (a list says it once). */
export function duplicateWhy(w: Words, r: ConsoleReport, other: ConsoleReport, brief = false): string {
  const metres = Math.round(metresApart(r.report.location, other.report.location));
  const minutes = Math.round(Math.abs(Date.parse(r.report.observed_at) - Date.parse(other.report.observed_at)) / 60_000);
  const apart = minutes < 120 ? w.t("duplicate.minutes", { n: minutes }) : w.t("duplicate.hours", { n: Math.round(minutes / 60) });
  return w.t(brief ? "duplicate.apart" : "duplicate.why", { metres, apart });
}

/** A team by its name ("陈建国组"), or by its code when the session does not know it. */
export function teamName(code: string, teams: { code: string; name: string }[]): string {
  return teams.find((t) => t.code === code)?.name ?? code;
}

/** A case event's text for people: a dispatch names its department by name, a merge the
 * report it went into (by `names`, the reports on the page, else the end of its ID), and a
 * note the centre wrote as a message (a registration despite a duplicate warning) is said
 * in words; a person's own words stay as written. */
export function eventText(
  w: Words,
  e: { action: string; text?: string | null },
  departments: { code: string; name: string }[],
  names: Names = {},
): string {
  if (!e.text) return "";
  if (e.action === "dispatch") return departments.find((d) => d.code === e.text)?.name ?? e.text;
  if (e.action === "merge") return names[e.text] ?? `…${e.text.slice(-8)}`;
  return sayNote(w.lang, storedNote(e.text), names) ?? "";
}

/** Categories named for people by their `kind:code` (how the centre's notes name one), for
 * saying a note. */
export function categoryKeyNames(names: Map<string, CategoryName>, lang: Lang): Record<string, string> {
  // An empty value (an address the inspector left blank) reads as a dash.
  const out: Record<string, string> = { "": "—" };
  for (const [key, n] of names) out[key] = lang === "zh" ? `${n.major} · ${n.name}` : `${n.major_en} · ${n.name_en}`;
  return out;
}

/** One field a version changed, old → new, in words. */
export interface FieldChange {
  field: "category" | "description" | "address" | "location" | "urgency" | "handled_on_spot" | "photos" | "clips";
  from: string;
  to: string;
}

/** What a version changed against the one before, field by field, in words: a category by
 * its name (not its code), the address, the description, the position, urgency, photos and
 * clips (counted). */
export function versionChanges(w: Words<Key>, names: Map<string, CategoryName>, prev: Report, next: Report): FieldChange[] {
  const out: FieldChange[] = [];
  const category = (r: Report) => {
    const n = names.get(`${r.kind}:${r.category}`);
    if (!n) return r.category;
    return w.lang === "zh" ? `${n.major} · ${n.name}` : `${n.major_en} · ${n.name_en}`;
  };
  const blank = (s: string) => s || "—";
  if (prev.kind !== next.kind || prev.category !== next.category) out.push({ field: "category", from: category(prev), to: category(next) });
  if (prev.description !== next.description) out.push({ field: "description", from: blank(prev.description), to: blank(next.description) });
  if (prev.address !== next.address) out.push({ field: "address", from: blank(prev.address), to: blank(next.address) });
  const at = (r: Report) => `${r.location.lon.toFixed(6)}, ${r.location.lat.toFixed(6)}`;
  if (at(prev) !== at(next)) {
    const metres = Math.round(metresApart(prev.location, next.location));
    out.push({ field: "location", from: at(prev), to: `${at(next)} (${w.t("change.moved", { m: metres })})` });
  }
  const urgency = (r: Report) => w.t(r.urgency === "urgent" ? "report.urgent" : "queue.normal");
  if (prev.urgency !== next.urgency) out.push({ field: "urgency", from: urgency(prev), to: urgency(next) });
  const yes = (b: boolean) => w.t(b ? "change.yes" : "change.no");
  if (prev.handled_on_spot !== next.handled_on_spot) out.push({ field: "handled_on_spot", from: yes(prev.handled_on_spot), to: yes(next.handled_on_spot) });
  const ids = (r: Report) => new Set(r.photos.map((p) => p.id));
  const [before, after] = [ids(prev), ids(next)];
  if (before.size !== after.size || [...after].some((id) => !before.has(id))) {
    out.push({ field: "photos", from: w.t("change.count", { n: before.size }), to: w.t("change.count", { n: after.size }) });
  }
  if (prev.clips.length !== next.clips.length || JSON.stringify(prev.clips) !== JSON.stringify(next.clips)) {
    out.push({ field: "clips", from: w.t("change.count", { n: prev.clips.length }), to: w.t("change.count", { n: next.clips.length }) });
  }
  return out;
}

/** Who made a version, in words: their role and name (a version from a tablet is the
 * inspector's). */
export function versionAuthor(w: Words<Key>, v: Pick<VersionInfo, "by_role" | "by_name" | "by_device">): string {
  const role = v.by_role ?? (v.by_device ? "inspector" : null);
  return [role ? w.t(`role.${role}` as Key) : "", v.by_name ?? ""].filter(Boolean).join(" ");
}
