// Typed calls into the app's commands (src-tauri/src/commands.rs). Every call goes through
// `call`, so the UI has one place where a command's error becomes something to show.
import { invoke } from "@tauri-apps/api/core";

import type { QueueSummary } from "./logic/queue";

/** The error every command answers with (src-tauri/src/error.rs). */
export interface CommandError {
  kind: string;
  message: string;
  fields?: [string, string][];
}

export interface SyncStatus {
  configured: boolean;
  last_attempt_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  failures: number;
}

export interface AppInfo {
  version: string;
  device_id: string;
  inspector: { id: string; cells: string[] } | null;
}

export async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  return invoke<T>(command, args);
}

export const api = {
  appInfo: () => call<AppInfo>("app_info"),
  queueSummary: () => call<QueueSummary>("queue_summary"),
  syncStatus: () => call<SyncStatus>("sync_status"),
  syncNow: () => call<unknown>("sync_now"),
  configureSync: (serverUrl: string, token: string) => call<void>("configure_sync", { serverUrl, token }),
  codeTable: () => call<unknown>("code_table"),
};
