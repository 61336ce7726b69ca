// The UI's way into the app: the generated typed commands (commands.ts), those that move
// bytes instead of JSON (a camera photo in, a verification's photo in, an offline map
// package in, a picture of an enrollment or a component QR code in, a thumbnail out), the basemap's tile
// addresses, and the sync event. Every command rejects with the engine's `CommandError`,
// which `Failure.from` (../shared/error.ts) reads.
import { convertFileSrc, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";

import type { PhotoStage, ReportId, TaskId } from "../shared/types";
import type { Tile } from "../shared/tiles";
import {
  commands,
  type BasemapInfo,
  type Inspector,
  type LocalReport,
  type SyncOutcome,
  type TakenComponent,
} from "./commands";

/** A camera photo into a draft: its bytes as the raw body, report and stage as headers. */
async function addPhoto(report: ReportId, stage: PhotoStage, file: Blob): Promise<LocalReport> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  return invoke<LocalReport>("add_photo", bytes, { headers: { report, stage } });
}

/** A verification done in the field: the verdict and note as headers (the note
 * percent-encoded: headers carry ASCII), a photo's bytes as the raw body (empty for none). */
async function completeTask(task: TaskId, passed: boolean, note: string, photo: Blob | null): Promise<void> {
  const bytes = photo ? new Uint8Array(await photo.arrayBuffer()) : new Uint8Array();
  await invoke<null>("complete_task", bytes, {
    headers: { task, passed: String(passed), note: encodeURIComponent(note) },
  });
}

/** An offline basemap package (MBTiles) the inspector picked: its bytes as the raw body. */
async function installBasemap(file: Blob): Promise<BasemapInfo> {
  return invoke<BasemapInfo>("install_basemap", new Uint8Array(await file.arrayBuffer()));
}

/** Where the WebView loads a basemap tile from: the app's `tiles` scheme, which Tauri
 * serves as `tiles://localhost/` (Linux, macOS) or `http://tiles.localhost/` (Android,
 * Windows); `convertFileSrc` knows which. The package's version is in the address, so a new
 * package is never drawn from the WebView's cache of the old one. */
function tileUrl(version: string, t: Tile): string {
  return `${convertFileSrc("", "tiles")}${version}/${t.z}/${t.x}/${t.y}`;
}

/** 扫码登记: a camera picture of the console's enrollment QR code, as the raw body. */
async function enrollScan(picture: Blob): Promise<Inspector> {
  const bytes = new Uint8Array(await picture.arrayBuffer());
  return invoke<Inspector>("enroll_scan", bytes);
}

/** 扫码 on a 部件 report: a camera picture of the QR code on a component, as the raw body,
 * the draft as a header. The engine names the component on the draft. */
async function componentScan(report: ReportId, picture: Blob): Promise<TakenComponent> {
  const bytes = new Uint8Array(await picture.arrayBuffer());
  return invoke<TakenComponent>("component_scan", bytes, { headers: { report } });
}

const thumbs = new Map<string, Promise<string | null>>();

/** A photo's thumbnail as an object URL, or null when the device has no file for it (a
 * photo that arrived from the centre). Cached: a photo's bytes never change. */
function thumbnail(photo: string): Promise<string | null> {
  let url = thumbs.get(photo);
  if (!url) {
    // Raw bytes over the IPC channel; where the WebView falls back to messages (WebKitGTK),
    // the same bytes arrive as an array of numbers.
    url = invoke<ArrayBuffer | number[]>("thumbnail", { photo }).then(
      (buf) => URL.createObjectURL(new Blob([buf instanceof ArrayBuffer ? buf : new Uint8Array(buf)], { type: "image/jpeg" })),
      () => null,
    );
    thumbs.set(photo, url);
  }
  return url;
}

export const api = { ...commands, addPhoto, thumbnail, completeTask, installBasemap, tileUrl, enrollScan, componentScan };

/** Calls `f` after every sync round (the worker's or "sync now"); returns the unsubscribe. */
export function onSynced(f: (outcome: SyncOutcome | null) => void): () => void {
  const stop = listen<SyncOutcome | null>("sync", (e) => f(e.payload));
  // Listening fails where there is no app to listen to (the UI's tests); nothing to undo then.
  return () => void stop.then((u) => u()).catch(() => {});
}
