// For the tablet's tests: a draft report as the engine hands it over, with `over` changed.
import type { LocalReport } from "./commands";

export function draftReport(over: Partial<LocalReport> = {}): LocalReport {
  return {
    id: "019a0000-0000-7000-8000-000000000001",
    state: "draft",
    reporter: "019a0000-0000-7000-8000-0000000000aa",
    kind: null,
    category: null,
    code_table_version: "CJT214-2024.1",
    component_id: null,
    description: "",
    address: "",
    location: null,
    cell: null,
    location_flags: [],
    urgency: "normal",
    observed_at: "2026-11-21T09:00:00+08:00",
    handled_on_spot: false,
    photos: [],
    clips: [],
    version: 1,
    created_at: "2026-11-21T01:00:00Z",
    updated_at: "2026-11-21T01:00:00Z",
    finalized_at: null,
    centre_note: null,
    central_version: null,
    central_state: null,
    ...over,
  };
}
