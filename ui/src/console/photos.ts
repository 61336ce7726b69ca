// A department's after-photos (处置后) from the clerk's phone: each picture is made into an
// upload derivative here, as the tablet's photo pipeline does (at most 1600 pixels on its
// long side, re-encoded as JPEG, so no EXIF — no position or phone model — leaves the
// phone), declared with 处置完成 by its SHA-256, size and dimensions, then uploaded over
// tus (tus-js-client) with the clerk's console session: resumable, and checked by the
// centre like a tablet's.
import { Upload } from "tus-js-client";

import { hex, shrink, uuidv7 } from "../shared/pictures";
import type { PhotoRef } from "../shared/types";

export { MAX_EDGE, fitted, hex, uuidv7 } from "../shared/pictures";

/** A picture made ready to declare and upload. */
export type Prepared = { ref: PhotoRef; blob: Blob };

/** A picture from the phone's camera or gallery as an after-photo derivative. */
export async function prepare(file: Blob): Promise<Prepared> {
  const { blob, width, height } = await shrink(file);
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
