// The 随手拍 page's decisions, apart from the page: the problem list by 大类, what a draft
// still lacks, the position as the centre takes it, the multipart body, and the reports a
// citizen sent from this phone (kept in localStorage).
import type { Location, PublicAnswer, PublicCategory, PublicReport } from "../shared/types";

/** The 大类 of a kind, in the table's order, each with its 小类. */
export function majors(categories: PublicCategory[], kind: string): { name: string; minors: PublicCategory[] }[] {
  const out: { name: string; minors: PublicCategory[] }[] = [];
  for (const c of categories) {
    if (c.kind !== kind) continue;
    const last = out[out.length - 1];
    if (last && last.name === c.major_name) last.minors.push(c);
    else out.push({ name: c.major_name, minors: [c] });
  }
  return out;
}

/** What a draft lacks, as the page's keys, in the order the form asks. */
export type Need = "need.category" | "need.photo" | "need.words" | "need.place";

export function lacks(d: { category: string | null; photos: number; words: string; place: Location | null }): Need[] {
  const out: Need[] = [];
  if (!d.category) out.push("need.category");
  if (d.photos === 0) out.push("need.photo");
  if (!d.words.trim()) out.push("need.words");
  if (!d.place) out.push("need.place");
  return out;
}

/** A browser position as the centre takes it (WGS-84, as the W3C Geolocation API gives).
 * A fix within 20 m is taken as the phone's satellites', a looser one as the network's. */
export function location(p: { coords: { longitude: number; latitude: number; accuracy: number }; timestamp: number }): Location {
  return {
    lon: p.coords.longitude,
    lat: p.coords.latitude,
    crs: "WGS84",
    accuracy_m: Math.round(p.coords.accuracy * 10) / 10,
    fix_time: new Date(p.timestamp).toISOString(),
    provider: p.coords.accuracy <= 20 ? "gps" : "network",
  };
}

/** The submission's body: the report as JSON, then each photo in `photo_ids`' order. */
export function body(report: PublicReport, photos: Blob[]): FormData {
  const form = new FormData();
  form.append("report", new Blob([JSON.stringify(report)], { type: "application/json" }));
  photos.forEach((p, i) => form.append("photo", p, `photo-${i + 1}.jpg`));
  return form;
}

const MINE = "public.mine";

/** A report sent from this phone: the centre's answer, and what it was about in the
 * citizen's own words (so the list tells one report from another). */
export type Mine = PublicAnswer & { what?: string };

/** The reports sent from this phone, newest first. */
export function mine(storage: Storage = localStorage): Mine[] {
  try {
    const list = JSON.parse(storage.getItem(MINE) ?? "[]") as unknown;
    return Array.isArray(list) ? (list as Mine[]) : [];
  } catch {
    return [];
  }
}

/** Remembers a new report at the top of the list; keeps the newest 20. */
export function remember(a: Mine, storage: Storage = localStorage): Mine[] {
  const list = [a, ...mine(storage).filter((m) => m.report !== a.report)].slice(0, 20);
  storage.setItem(MINE, JSON.stringify(list));
  return list;
}

/** Takes a report's newer answer where it stands in the list (its words kept). */
export function refreshed(a: PublicAnswer, storage: Storage = localStorage): Mine[] {
  const list = mine(storage).map((m) => (m.report === a.report ? { ...m, ...a } : m));
  storage.setItem(MINE, JSON.stringify(list));
  return list;
}

/** Forgets a report the centre no longer tells about. */
export function forget(report: string, storage: Storage = localStorage): Mine[] {
  const list = mine(storage).filter((m) => m.report !== report);
  storage.setItem(MINE, JSON.stringify(list));
  return list;
}

/** A short reference to read out on the phone: the ID's last twelve characters. */
export function shortRef(report: string): string {
  return report.replace(/-/g, "").slice(-12).toUpperCase();
}

/** The page's words for a browser's position error (its own message is English). */
export function placeProblem(code: number): "place.denied" | "place.unavailable" | "place.timeout" {
  return code === 1 ? "place.denied" : code === 3 ? "place.timeout" : "place.unavailable";
}
