// A picture from a phone's camera or gallery made into an upload derivative in the browser,
// as the tablet's photo pipeline does: at most 1600 pixels on its long side, re-encoded as
// JPEG (so no EXIF — no position or phone model — leaves the phone). A department's
// after-photos (console) and a citizen's 随手拍 photos (the public page) are made so.

/** The long side of a derivative, in pixels. */
export const MAX_EDGE = 1600;

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

/** A picture scaled to at most [`MAX_EDGE`] on its long side and re-encoded as JPEG. */
export async function shrink(file: Blob): Promise<{ blob: Blob; width: number; height: number }> {
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
  return { blob, width, height };
}
