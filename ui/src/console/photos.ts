// A department's after-photos (处置后) from the clerk's phone: each picture is made into an
// upload derivative here, as the tablet's photo pipeline does (at most 1600 pixels on its
// long side, re-encoded as JPEG, so no EXIF — no position or phone model — leaves the
// phone), declared with 处置完成 by its SHA-256, size and dimensions, then uploaded over
// tus (tus-js-client) with the clerk's console session: resumable, and checked by the
// centre like a tablet's.
import { Upload } from "tus-js-client";

import type { PhotoRef } from "../shared/types";

/** The long side of an after-photo, in pixels. */
export const MAX_EDGE = 1600;

/** A picture made ready to declare and upload. */
export type Prepared = { ref: PhotoRef; blob: Blob };

/** The size a picture is scaled to: its long side at most `max`, never enlarged. */
export function fitted(width: number, height: number, max = MAX_EDGE): { width: number; height: number } {
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Lower-case hex of bytes. */
export function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A UUIDv7 (the centre names photos by time-ordered IDs): 48 bits of milliseconds, then
 * random bits, with the version and variant set. */
export function uuidv7(now = Date.now(), random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n))): string {
  const b = random(16);
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A picture from the phone's camera or gallery as an after-photo derivative. */
export async function prepare(file: Blob): Promise<Prepared> {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  const { width, height } = fitted(bitmap.width, bitmap.height);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext("2d");
  if (!g) throw new Error("no canvas");
  g.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const blob = await new Promise<Blob>((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("the picture could not be encoded"))), "image/jpeg", 0.85),
  );
  const sha256 = hex(await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()));
  return {
    blob,
    ref: { id: uuidv7(), sha256, bytes: blob.size, width, height, taken_at: null, stage: "after" },
  };
}

/** Uploads a declared after-photo of `report` over tus; resumes where a broken connection
 * left it. `onProgress` gets the bytes sent and the total. */
export function upload(report: string, p: Prepared, onProgress?: (sent: number, total: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const u = new Upload(p.blob, {
      endpoint: "/v1/uploads/",
      metadata: { report, photo: p.ref.id },
      chunkSize: 256 * 1024,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onProgress,
      onError: reject,
      onSuccess: () => resolve(),
    });
    void u.findPreviousUploads().then((previous) => {
      if (previous.length > 0) u.resumeFromPreviousUpload(previous[0]);
      u.start();
    });
  });
}
