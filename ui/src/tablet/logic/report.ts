// Words and decisions about one report: its state, its position's flags, its progress
// through the centre's loop, the defaults of a body-cam clip reference, and its times.
import type { Words } from "../../shared/i18n";
import type { CaseState, ClipRef, LocationFlag } from "../../shared/types";
import type { CellOutline, LocalReport } from "../commands";
import type { Key } from "../i18n";

/** Where the report stands, in one phrase: the centre's word once it has one. */
export function stateLabel(w: Words<Key>, r: Pick<LocalReport, "state" | "central_state">): string {
  if (r.central_state && r.state !== "queued") return w.t(`central.${r.central_state}` as Key);
  return w.t(`state.${r.state}` as Key);
}

/** Names a cell by its code. */
export type CellNamer = (code: string) => string;

/** Names grid cells as inspectors do: street · community · the cell's number in its
 * community (its code's last three digits), from the grid the tablet holds. A code the
 * grid lacks stays a code. */
export function cellNamer(w: Words<Key>, cells: readonly CellOutline[]): CellNamer {
  const byCode = new Map(cells.map((c) => [c.code, c]));
  return (code) => {
    const c = byCode.get(code);
    if (!c || (!c.street_name && !c.community_name)) return code;
    const parts = [c.street_name, c.community_name].filter((p): p is string => !!p);
    return [...parts, w.t("cell.number", { n: code.slice(-3) })].join(" · ");
  };
}

/** One position flag in words, cells named by `cell`. */
export function flagText(w: Words<Key>, f: LocationFlag, cell: CellNamer = (c) => c): string {
  switch (f.flag) {
    case "outside_grid":
      return f.nearest_cell
        ? w.t("report.outsideGrid", { cell: cell(f.nearest_cell), m: Math.round(f.distance_m ?? 0) })
        : w.t("report.outsideGridFar");
    case "outside_my_cells":
      return w.t("report.outsideMine", { cell: cell(f.cell) });
    case "poor_accuracy":
      return w.t("report.poorAccuracy", { m: Math.round(f.accuracy_m), limit: Math.round(f.limit_m) });
  }
}

/** The loop as the inspector follows it. Each step is done, current, or still ahead. */
export interface Step {
  key: string;
  label: string;
  status: "done" | "current" | "ahead";
}

const LOOP: CaseState[] = ["pending_review", "registered", "dispatched", "handled", "closed"];
const ENDS: CaseState[] = ["returned", "rejected", "merged"];

export function progress(w: Words<Key>, r: Pick<LocalReport, "state" | "central_state">): Step[] {
  const steps: { key: string; label: string }[] = [
    { key: "captured", label: w.t("detail.step.captured") },
    { key: "queued", label: w.t("detail.step.queued") },
    { key: "received", label: w.t("detail.step.received") },
    ...LOOP.map((s) => ({ key: s, label: w.t(`central.${s}` as Key) })),
  ];
  let reached: number;
  const central = r.central_state;
  if (r.state === "draft") reached = 0;
  else if (r.state === "queued" && !central) reached = 1;
  else if (!central || central === "awaiting_photos") reached = 2;
  else if (ENDS.includes(central)) {
    // A decision off the main line: shown after "received", in place of the loop.
    return [
      ...steps.slice(0, 3).map((s) => ({ ...s, status: "done" as const })),
      { key: central, label: w.t(`central.${central}` as Key), status: "current" },
    ];
  } else reached = 3 + LOOP.indexOf(central);
  return steps.map((s, i) => ({ ...s, status: i < reached ? "done" : i === reached ? "current" : "ahead" }));
}

/** Whether the inspector may change a submitted report (the engine has the last word). */
export function editable(r: Pick<LocalReport, "state" | "central_state">): boolean {
  if (r.state === "draft") return true;
  return r.central_state === "returned" || r.central_state === "pending_review" || r.central_state === "awaiting_photos";
}

/** `YYYY-MM-DDTHH:MM` in local time, for a datetime-local input. */
export function localInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A datetime-local value as RFC 3339 with the device's offset. */
export function rfc3339(local: string): string {
  const d = new Date(local);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const p = (n: number) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  return `${local.length === 16 ? `${local}:00` : local}${sign}${p(off / 60)}:${p(off % 60)}`;
}

/** A new clip reference's defaults: the remembered camera, the inspector's badge, and the
 * last five minutes (a clip is usually recorded while the problem is found). */
export function clipDefaults(now: Date, camera: string | null, badge: string | null) {
  return {
    camera_serial: camera ?? "",
    officer_badge: badge ?? "",
    start: localInput(new Date(now.getTime() - 5 * 60_000)),
    end: localInput(now),
    file_name: "",
  };
}

/** The clip form's values as the engine takes them. */
export function clipFrom(form: ReturnType<typeof clipDefaults>): ClipRef {
  return {
    camera_serial: form.camera_serial.trim().toUpperCase(),
    officer_badge: form.officer_badge.trim(),
    start: rfc3339(form.start),
    end: rfc3339(form.end),
    file_name: form.file_name.trim() || null,
    md5: null,
    sha256: null,
  };
}

/** A moment as the inspector reads it, in their language and the device's time zone. */
export function when(w: Words, iso: string): string {
  return new Date(iso).toLocaleString(w.locale, { dateStyle: "medium", timeStyle: "short" });
}
