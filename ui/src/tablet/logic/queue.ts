// Words for the queue screen: what waits for the centre, and how much room is left.
import type { Words } from "../../shared/i18n";
import type { QueueSummary, StorageStatus } from "../commands";
import type { Key } from "../i18n";

/** Bytes the way a person reads them: 0 B, 980 B, 1.2 KB, 3.4 MB. */
export function size(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let v = bytes / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u += 1;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** The one-line summary of what waits. */
export function waiting(w: Words<Key>, q: QueueSummary): string {
  if (q.pending_reports === 0 && q.pending_photos === 0) return w.t("queue.empty");
  return w.t("queue.waiting", {
    reports: q.pending_reports,
    photos: q.pending_photos,
    size: size(q.pending_bytes),
  });
}

/** How the device's storage stands: the free space in words, and a warning when photos
 * will soon be refused (`low`) or are refused now (`full`). */
export function storageWords(w: Words<Key>, s: StorageStatus): { text: string; warning: string | null; level: "ok" | "low" | "full" } {
  const text =
    s.free_bytes === null ? w.t("storage.unknown") : w.t("storage.free", { free: size(s.free_bytes), photos: size(s.photo_bytes) });
  if (s.full) return { text, warning: w.t("storage.full"), level: "full" };
  if (s.low) return { text, warning: w.t("storage.low", { days: s.keep_days }), level: "low" };
  return { text, warning: null, level: "ok" };
}
