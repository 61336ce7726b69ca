// The enrollment panel's pure parts: whom a code may be made for, the address put in the
// QR code, and which replaced tablets still hold work.
import type { DeviceRow, Person, Team } from "../shared/types";

/** The inspectors of the teams this person sees (a leader's own, every team for an
 * administrator), by name. */
export function inspectorsOf(teams: Team[]): Person[] {
  return teams
    .flatMap((t) => t.members)
    .filter((p) => p.role === "inspector")
    .sort((a, b) => a.name.localeCompare(b.name, "zh-CN"));
}

/** The address a tablet reaches the centre at, unless the person types another: the
 * console's own (the tablet and the browser usually reach the same centre). */
export function defaultServer(origin: string): string {
  return origin.replace(/\/+$/, "");
}

/** A tablet an inspector was enrolled away from while it still held reports. */
export interface Replaced {
  old: DeviceRow;
  newer: DeviceRow;
}

/** Every tablet that still held reports when last seen while its inspector has since been
 * enrolled on a newer one: the leader must get that work off the old tablet. */
export function replacedWithWork(rows: DeviceRow[]): Replaced[] {
  const out: Replaced[] = [];
  for (const old of rows) {
    if (old.queue.reports === 0) continue;
    const newer = rows
      .filter((d) => d.user.id === old.user.id && d.id !== old.id && d.enrolled_at > old.enrolled_at)
      .sort((a, b) => b.enrolled_at.localeCompare(a.enrolled_at))[0];
    if (newer) out.push({ old, newer });
  }
  return out;
}
