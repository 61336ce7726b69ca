// The screens against a mocked IPC (@tauri-apps/api/mocks): what they ask the engine,
// in what order, and what they show for its answers.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

import { clearMocks, mockConvertFileSrc, mockIPC } from "@tauri-apps/api/mocks";
import { render, type ComponentChildren } from "preact";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { I18nProvider, type Lang } from "../../../shared/i18n";
import type { Category, TaskChange } from "../../../shared/types";
import type { AppInfo, BasemapInfo, CellOutline, LocalReport, QueueSummary, SyncStatus } from "../../commands";
import { catalogues } from "../../i18n";
import { draftReport } from "../../testing";
import { SessionContext, type Session } from "../../session";
import { Detail } from "../detail";
import { Grid } from "../grid";
import { NewReport } from "../new-report";
import { Queue } from "../queue";
import { Settings } from "../settings";
import { Tasks } from "../tasks";

const ID = "019a0000-0000-7000-8000-000000000001";
const categories: Category[] = [
  { kind: "component", code: "0101", major_name: "公用设施", name: "上水井盖", name_en: "Water manhole cover" },
  { kind: "event", code: "0507", major_name: "街面秩序", name: "乱堆物堆料", name_en: "Piled materials" },
];

const draft = (over: Partial<LocalReport> = {}): LocalReport => draftReport({ id: ID, ...over });

/** A screen as the app shows it: in `lang`, over the session (who is signed in, the
 * reference data). */
function app(lang: Lang, screen: ComponentChildren, session: Partial<Session> = {}) {
  return (
    <I18nProvider catalogues={catalogues} storageKey="lang" lang={lang}>
      <SessionContext.Provider value={{ info: null, categories, cells: [], reload: () => {}, ...session }}>{screen}</SessionContext.Provider>
    </I18nProvider>
  );
}

let calls: { cmd: string; args: Record<string, unknown> }[] = [];
let root: HTMLElement;

beforeEach(() => {
  calls = [];
  localStorage.clear();
  root = document.createElement("div");
  document.body.append(root);
});
afterEach(() => {
  render(null, root);
  root.remove();
  clearMocks();
});

/** Waits until `f` holds (the screens answer asynchronously). */
async function until(f: () => unknown, what: string) {
  for (let i = 0; i < 200; i++) {
    if (f()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}
const $ = (sel: string) => root.querySelector<HTMLElement>(sel);
const commands = () => calls.map((c) => c.cmd).filter((c) => !c.startsWith("plugin:"));

describe("new report", () => {
  it("starts a draft, files the picked category, and submits after the last change lands", async () => {
    let current = draft();
    let onDone: LocalReport | null = null;
    mockIPC((cmd, args) => {
      calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
      switch (cmd) {
        case "create_draft":
          return current;
        case "update_draft": {
          const patch = (args as { patch: Partial<LocalReport> }).patch;
          current = { ...current, ...patch };
          return current;
        }
        case "finalize":
          current = { ...current, state: "queued" };
          return current;
        default:
          return null;
      }
    });
    render(app("zh", <NewReport onDone={(r) => (onDone = r)} />), root);
    await until(() => $("[data-major='event:05']"), "the picker");
    // jsdom has no geolocation: the screen says so and offers the map.
    await until(() => $("#location-status")?.textContent?.includes("无法定位"), "the no-GPS notice");

    $("[data-major='event:05']")!.click();
    await until(() => $("[data-code='event:0507']"), "the 小类");
    $("[data-code='event:0507']")!.click();
    await until(() => $("#category-chosen")?.textContent?.includes("乱堆物堆料"), "the chosen category");
    expect(calls.find((c) => c.cmd === "update_draft")?.args).toMatchObject({ id: ID, patch: { kind: "event", category: "0507" } });
    expect(JSON.parse(localStorage.getItem("recentCategories")!)).toEqual(["event:0507"]);

    const text = $("#description") as HTMLTextAreaElement;
    text.value = "路边堆放建筑垃圾";
    text.dispatchEvent(new Event("change"));
    $("#submit")!.click();
    await until(() => onDone, "the submit to finish");
    expect(commands()).toEqual(["create_draft", "update_draft", "update_draft", "finalize"]);
    expect(onDone!.state).toBe("queued");
    expect(onDone!.description).toBe("路边堆放建筑垃圾");
  });

  it("shows the engine's refusal in words and stays on the form", async () => {
    mockIPC((cmd) => {
      calls.push({ cmd, args: {} });
      if (cmd === "create_draft") return draft();
      if (cmd === "finalize") throw { kind: "incomplete", message: "the report is not ready to submit: missing category, location" };
      return null;
    });
    render(app("en", <NewReport onDone={() => {}} />), root);
    await until(() => $("#submit"), "the form");
    $("#submit")!.click();
    await until(() => $("#report-error"), "the error");
    expect($("#report-error")!.textContent).toContain("missing category, location");
  });

  it("refuses a photo in words when the device is full, and keeps the draft", async () => {
    mockIPC((cmd) => {
      calls.push({ cmd, args: {} });
      if (cmd === "create_draft") return draft({ description: "井盖缺失" });
      if (cmd === "add_photo")
        throw {
          kind: "no_room",
          message: "only 150 MB is free on this device …",
          said: { code: "device.no_room", params: { free: "150 MB", keep: "200 MB" } },
        };
      return null;
    });
    render(app("zh", <NewReport onDone={() => {}} />), root);
    await until(() => $("#photo-before-input"), "the form");
    const input = $("#photo-before-input") as HTMLInputElement;
    Object.defineProperty(input, "files", { configurable: true, value: [new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xd9])])] });
    input.dispatchEvent(new Event("change"));
    await until(() => $("#report-error"), "the refusal");
    expect($("#report-error")!.textContent).toBe(
      "本机只剩 150 MB 空间，须至少留出 200 MB：照片没有保存，其余保持原样。请同步（中心已收到的照片会按保留天数从本机清除），或清理平板空间",
    );
    expect(($("#description") as HTMLTextAreaElement).value).toBe("井盖缺失");
    // (The test before this one may still be removing its own untouched draft.)
    const mine = commands().slice(commands().indexOf("create_draft"));
    expect(mine).toEqual(["create_draft", "add_photo"]);
  });

  it("on a 部件 report lists the nearest components, takes a picked or scanned one, says a changed 小类, and clears it", async () => {
    const fix = { lon: 113.0631, lat: 22.5983, crs: "WGS84", accuracy_m: 5, fix_time: "2026-11-21T01:00:00Z", provider: "gps" } as const;
    const cover = { id: "4407030101000010", category: "0101", cell: "440703001001003", lon: 113.0631, lat: 22.5982, name: "建设路上水井盖" };
    const other = { id: "4407030101000030", category: "0101", cell: "440703001001003", lon: 113.0631, lat: 22.5986 };
    let current = draft({ kind: "component", category: "0101", location: fix });
    mockIPC((cmd, args) => {
      calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
      switch (cmd) {
        case "report":
          return current;
        case "components_near":
          return [
            { component: cover, distance_m: 11.4 },
            { component: other, distance_m: 33.2 },
          ];
        case "take_component":
          current = { ...current, component_id: (args as { component: string }).component };
          return { report: current, component: other, replaced_kind: null, replaced_category: null };
        case "component_scan":
          current = { ...current, component_id: cover.id };
          return { report: current, component: cover, replaced_kind: "event", replaced_category: "0507" };
        case "update_draft": {
          const patch = (args as { patch: Partial<LocalReport> }).patch;
          current = { ...current, ...patch };
          return current;
        }
        default:
          return null;
      }
    });
    render(app("zh", <NewReport draftId={ID} onDone={() => {}} />), root);
    await until(() => $("#component-near button"), "the nearby list");
    expect(calls.find((c) => c.cmd === "components_near")!.args).toEqual({ category: "0101", lon: 113.0631, lat: 22.5983, limit: 8 });
    const lines = [...root.querySelectorAll("#component-near button")].map((b) => b.textContent);
    expect(lines).toEqual(["建设路上水井盖 · 11 米 · 4407030101000010", "上水井盖 · 33 米 · 4407030101000030"]);
    // Also small squares on the map, which pick too.
    expect(root.querySelectorAll(".map .component-spot").length).toBe(2);

    $("#component-near [data-component='4407030101000030']")!.click();
    await until(() => $("#component-id")?.textContent === other.id, "the picked component");
    expect(calls.find((c) => c.cmd === "take_component")!.args).toEqual({ id: ID, component: other.id });
    expect($("#component-chosen")!.textContent).toContain("上水井盖");
    expect($("#component-notice")).toBeNull();

    // Scanned: the picture's bytes go to the engine, and a changed category is said.
    const input = $("#component-scan") as HTMLInputElement;
    expect(input.getAttribute("capture")).toBe("environment");
    Object.defineProperty(input, "files", { configurable: true, value: [new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xd9])])] });
    input.dispatchEvent(new Event("change"));
    await until(() => $("#component-notice"), "the notice");
    expect($("#component-notice")!.textContent).toBe("已按所选部件将类别由「乱堆物堆料」改为「上水井盖」");
    expect($("#component-id")!.textContent).toBe(cover.id);
    expect($("#component-chosen")!.textContent).toContain("建设路上水井盖");
    expect(Array.from(calls.find((c) => c.cmd === "component_scan")!.args as unknown as Uint8Array)).toEqual([0xff, 0xd8, 0xff, 0xd9]);

    $("#component-clear")!.click();
    await until(() => !$("#component-chosen"), "the cleared component");
    expect(calls.filter((c) => c.cmd === "update_draft").at(-1)!.args).toEqual({ id: ID, patch: { component_id: null } });
  });

  it("says why a scanned code names no component of this tablet", async () => {
    const fix = { lon: 113.0631, lat: 22.5983, crs: "WGS84", accuracy_m: 5, fix_time: "2026-11-21T01:00:00Z", provider: "gps" } as const;
    mockIPC((cmd) => {
      calls.push({ cmd, args: {} });
      if (cmd === "report") return draft({ kind: "component", category: "0101", location: fix });
      if (cmd === "components_near") return [];
      if (cmd === "component_scan")
        throw {
          kind: "component",
          message: "component 4419000102000001 is not among this tablet's components: …",
          said: { code: "component.not_here", params: { id: "4419000102000001" } },
        };
      return null;
    });
    render(app("zh", <NewReport draftId={ID} onDone={() => {}} />), root);
    await until(() => $("#component-near-none"), "no component nearby");
    const input = $("#component-scan") as HTMLInputElement;
    Object.defineProperty(input, "files", { configurable: true, value: [new Blob([new Uint8Array([1])])] });
    input.dispatchEvent(new Event("change"));
    await until(() => $("#report-error"), "the refusal");
    expect($("#report-error")!.textContent).toBe(
      "部件 4419000102000001 不在本机的部件中：它不在您负责的网格内，或尚未同步；请同步，或从附近部件中选择",
    );
  });

  it("removes an untouched draft when the inspector leaves", async () => {
    mockIPC((cmd) => {
      calls.push({ cmd, args: {} });
      return cmd === "create_draft" ? draft() : null;
    });
    render(app("zh", <NewReport onDone={() => {}} />), root);
    await until(() => $("#submit"), "the form");
    render(null, root);
    await until(() => commands().includes("delete_draft"), "the delete");
  });
});

describe("queue", () => {
  const summary: QueueSummary = { drafts: 1, pending_reports: 2, pending_priority: 0, pending_photos: 3, pending_bytes: 2_400_000, oldest_pending_at: null, oldest_pending_age_s: null };
  const failed: SyncStatus = { configured: true, last_attempt_at: "2026-11-21T01:00:00Z", last_success_at: null, last_error: "cannot reach the server (no connection); your reports are safe on this device and will be sent automatically", last_error_kind: "network", last_said: { code: "device.network", cause: { code: "device.no_connection" } }, failures: 2 };

  it("shows what waits, why the last sync failed, and each report's state", async () => {
    let synced = 0;
    mockIPC((cmd) => {
      calls.push({ cmd, args: {} });
      switch (cmd) {
        case "queue_summary":
          return summary;
        case "sync_status":
          return failed;
        case "storage":
          return { free_bytes: 800_000_000, low: true, full: false, photo_bytes: 52_000_000, keep_days: 30 };
        case "reports":
          return [
            draft({ id: "d", description: "draft" }),
            draft({ id: "q", state: "queued", kind: "event", category: "0507" }),
            draft({ id: "r", state: "sent", central_state: "returned", centre_note: { code: "verbatim", params: { text: "照片看不清，请补拍" } } }),
          ];
        case "sync_now":
          synced += 1;
          throw { kind: "network", message: "no connection" };
        default:
          return null;
      }
    });
    render(app("zh", <Queue onOpen={() => {}} />), root);
    await until(() => $("#report-list"), "the list");
    expect($("#queue-summary")!.textContent).toBe("2 份上报、3 张照片（2.4 MB）待上传");
    // In the inspector's language, from the error's code.
    expect($("#queue-error")!.textContent).toBe("无法连接服务器（无网络连接）；上报已安全保存在本机，恢复连接后会自动上传");
    expect($("#queue-last-sync")!.textContent).toBe("尚未同步");
    // Room on the device, and the warning before photos are refused.
    expect($("#queue-storage")!.textContent).toBe("本机剩余空间 800 MB，照片占用 52 MB");
    expect($("#storage-warning")!.textContent).toContain("本机空间快满了");
    const rows = [...root.querySelectorAll("#report-list .report-row")].map((r) => r.querySelector(".report-state")!.textContent);
    expect(rows).toEqual(["待上传", "已退回"]);
    expect($("#report-list")!.textContent).toContain("照片看不清");
    expect($("#draft-list")!.textContent).toContain("未选择类别");
    // After a failure the button offers to try again.
    expect($("#sync-now")!.textContent).toBe("重试");

    $("#sync-now")!.click();
    // A failed sync is not an exception on screen: the status is read again and says it.
    await until(() => synced === 1 && commands().filter((c) => c === "sync_status").length >= 2, "the sync and the re-read");
    await until(() => !($("#sync-now") as HTMLButtonElement).disabled, "the button back");
    expect($("#queue-error")!.textContent).toContain("无法连接服务器");
  });
});

describe("report detail", () => {
  it("says what the team leader corrected at 立案, categories by name, and shows the new values", async () => {
    const corrected = draft({
      state: "sent",
      kind: "event",
      category: "0507",
      description: "店外占道堆放杂物",
      central_state: "registered",
      central_version: 2,
      centre_note: {
        code: "note.corrected",
        params: { problems: "category: component:0101 → event:0507; description: 井盖 → 店外占道堆放杂物" },
        fields: [
          { field: "category", code: "note.corrected_value", params: { from: "component:0101", to: "event:0507" } },
          { field: "description", code: "note.corrected_value", params: { from: "井盖", to: "店外占道堆放杂物" } },
        ],
      },
    });
    mockIPC((cmd) => {
      calls.push({ cmd, args: {} });
      return cmd === "report" ? corrected : null;
    });
    render(app("zh", <Detail id={ID} onBack={() => {}} onContinue={() => {}} />), root);
    await until(() => $("#detail-note"), "the note");
    expect($("#detail-note")!.textContent).toBe("中心意见：网格长立案时已更正：小类：上水井盖 → 乱堆物堆料；问题描述：井盖 → 店外占道堆放杂物");
    expect($("#detail h1")!.textContent).toBe("乱堆物堆料");
    expect($("#detail")!.textContent).toContain("店外占道堆放杂物");
  });
});

describe("settings", () => {
  const info: AppInfo = {
    version: "0.1.0",
    device_id: "019a0000-0000-7000-8000-0000000000dd",
    key_fingerprint: "3f2a 9c01 77be 5d40",
    inspector: null,
    server_url: null,
    settings: { photo_max_edge: 2048, camera_serial: null, keep_days: 30 },
    basemap: null,
  };

  it("enrolls with the address and token, then reloads who is signed in", async () => {
    let changed = 0;
    mockIPC((cmd, args) => {
      calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
      if (cmd === "enroll") return { id: "u", cells: [], login: "lixiaoming", name: "李晓明", team: null, badge: null };
      return null;
    });
    render(app("zh", <Settings />, { info, reload: () => void (changed += 1) }), root);
    expect($("#device-id")!.textContent).toBe(info.device_id);
    expect($("#key-fingerprint")!.textContent).toBe(info.key_fingerprint);
    const type = (sel: string, v: string) => {
      const el = $(sel) as HTMLInputElement;
      el.value = v;
      el.dispatchEvent(new Event("input"));
    };
    type("#server-url", "https://centre.example");
    type("#token", "secret");
    await until(() => ($("#server-url") as HTMLInputElement).value === "https://centre.example", "the typing to render");
    await new Promise((r) => setTimeout(r, 20));
    $("#enroll")!.click();
    await until(() => changed === 1, "the reload");
    expect(calls.find((c) => c.cmd === "enroll")!.args).toEqual({ serverUrl: "https://centre.example", token: "secret" });
  });

  const signedIn: AppInfo = {
    ...info,
    inspector: { id: "u", cells: ["440703001001001", "440703001001002"], login: "lixiaoming", name: "李晓明", team: "T440703001-01", badge: "440102" },
    server_url: "https://centre.example",
    settings: { photo_max_edge: 2048, camera_serial: "JMC0001", keep_days: 30 },
  };
  const empty: QueueSummary = { drafts: 2, pending_reports: 0, pending_priority: 0, pending_photos: 0, pending_bytes: 0, oldest_pending_at: null, oldest_pending_age_s: null };

  it("signed in, says which centre, who and which device, and asks for no token", async () => {
    mockIPC(() => null);
    render(app("zh", <Settings />, { info: signedIn }), root);
    expect($("#account")!.textContent).toBe("已登录：李晓明（lixiaoming）");
    expect($("#account-server")!.textContent).toBe("https://centre.example");
    expect($("#account-badge")!.textContent).toBe("440102");
    expect($("#device-id")!.textContent).toBe(info.device_id);
    expect($("#token")).toBeNull();
    expect($("#enroll")).toBeNull();
    expect($("#sign-out")!.textContent).toBe("退出登录");
  });

  it("fills the camera field with the camera the centre issued once signed in", async () => {
    mockIPC(() => null);
    render(app("zh", <Settings />, { info }), root);
    expect(($("#camera-serial") as HTMLInputElement).value).toBe("");
    // Signing in reloads who is signed in; the engine now holds the issued camera.
    render(app("zh", <Settings />, { info: signedIn }), root);
    await until(() => ($("#camera-serial") as HTMLInputElement).value === "JMC0001", "the issued camera");
  });

  it("signs out only once the queue is empty, and keeps the drafts", async () => {
    let queue: QueueSummary = { ...empty, pending_reports: 1, pending_photos: 2, pending_bytes: 3_000_000 };
    let reloaded = 0;
    mockIPC((cmd) => {
      calls.push({ cmd, args: {} });
      if (cmd === "queue_summary") return queue;
      if (cmd === "sync_now") {
        queue = empty;
        return null;
      }
      return null;
    });
    render(app("zh", <Settings />, { info: signedIn, reload: () => void (reloaded += 1) }), root);
    $("#sign-out")!.click();
    await until(() => $("#sign-out-unsent"), "the warning");
    expect($("#sign-out-unsent")!.textContent).toBe(
      "本机还有 1 份上报（或修改、核查结果）和 2 张照片未上传到中心，上传完成后才能退出登录。本机内容不会删除。",
    );
    expect($("#sign-out-yes")).toBeNull();
    $("#sign-out-sync")!.click();
    await until(() => $("#sign-out-yes"), "the confirmation once synced");
    expect($("#sign-out-confirm")!.textContent).toContain("2 份草稿都会保留");
    $("#sign-out-yes")!.click();
    await until(() => reloaded === 1, "the reload");
    expect(commands()).toEqual(["queue_summary", "sync_now", "queue_summary", "sign_out"]);
  });

  it("says the engine's refusal to sign out in words", async () => {
    mockIPC((cmd) => {
      if (cmd === "queue_summary") return empty;
      if (cmd === "sign_out")
        throw {
          kind: "unsent",
          message: "this device still holds 1 reports or changes and 0 photos the centre has not received; …",
          said: { code: "device.unsent_work", params: { reports: "1", photos: "0" } },
        };
      return null;
    });
    render(app("zh", <Settings />, { info: signedIn }), root);
    $("#sign-out")!.click();
    await until(() => $("#sign-out-yes"), "the confirmation");
    $("#sign-out-yes")!.click();
    await until(() => $("#sign-out-error"), "the refusal");
    expect($("#sign-out-error")!.textContent).toBe(
      "本机还有 1 份上报（或修改、核查结果）和 0 张照片未送达中心；请先同步（本机内容都不会删除），再退出登录或换人登录",
    );
    expect($("#account")!.textContent).toContain("李晓明");
  });

  it("says why a setting was refused", async () => {
    mockIPC((cmd) => {
      if (cmd === "update_settings") throw { kind: "invalid", message: 'camera_serial: "JMC" is not a 7-character camera serial', fields: [["camera_serial", "bad"]] };
      return null;
    });
    render(app("en", <Settings />, { info }), root);
    const cam = $("#camera-serial") as HTMLInputElement;
    cam.value = "jmc";
    cam.dispatchEvent(new Event("input"));
    $("#camera-save")!.click();
    await until(() => $("#settings-error"), "the error");
    expect($("#settings-error")!.textContent).toContain("7-character camera serial");
  });
});

describe("offline basemap in settings", () => {
  const info: AppInfo = {
    version: "0.1.0",
    device_id: "019a0000-0000-7000-8000-0000000000dd",
    key_fingerprint: "3f2a 9c01 77be 5d40",
    inspector: null,
    server_url: null,
    settings: { photo_max_edge: 2048, camera_serial: null, keep_days: 30 },
    basemap: null,
  };
  const installed: BasemapInfo = {
    name: "蓬江区街道",
    format: "png",
    min_zoom: 14,
    max_zoom: 18,
    bounds: [113.06, 22.57, 113.1, 22.6],
    attribution: "江门市自然资源局",
    bytes: 48_300_000,
    version: "18a2",
  };
  const pick = (bytes: number[]) => {
    const input = $("#basemap-input") as HTMLInputElement;
    Object.defineProperty(input, "files", { configurable: true, value: [new File([new Uint8Array(bytes)], "city.mbtiles")] });
    input.dispatchEvent(new Event("change"));
  };

  it("says none is installed, installs the picked file's bytes, then reloads", async () => {
    let changed = 0;
    let sent: unknown = null;
    mockIPC((cmd, args) => {
      calls.push({ cmd, args: (args ?? {}) as Record<string, unknown> });
      if (cmd === "install_basemap") {
        sent = args;
        return installed;
      }
      return null;
    });
    render(app("zh", <Settings />, { info, reload: () => void (changed += 1) }), root);
    expect($("#basemap")!.textContent).toContain("尚未安装离线底图");
    expect($("#basemap-remove")).toBeNull();
    pick([0x53, 0x51, 0x4c]);
    await until(() => changed > 0, "the reload");
    expect(calls.map((c) => c.cmd)).toEqual(["install_basemap"]);
    expect([...(sent as Uint8Array)]).toEqual([0x53, 0x51, 0x4c]);
  });

  it("shows the installed package's name, levels and size, and removes it", async () => {
    let changed = 0;
    mockIPC((cmd) => {
      calls.push({ cmd, args: {} });
      return null;
    });
    render(app("zh", <Settings />, { info: { ...info, basemap: installed }, reload: () => void (changed += 1) }), root);
    expect($("#basemap-name")!.textContent).toBe("蓬江区街道");
    expect($("#basemap-zoom")!.textContent).toBe("14–18 级");
    expect($("#basemap-size")!.textContent).toBe("48 MB（PNG）");
    $("#basemap-remove")!.click();
    await until(() => changed > 0, "the reload");
    expect(calls.map((c) => c.cmd)).toEqual(["remove_basemap"]);
  });

  it("says why a file was refused, in the inspector's language", async () => {
    mockIPC((cmd) => {
      if (cmd === "install_basemap")
        throw {
          kind: "invalid",
          message: "this file is not an offline map package the app reads (it has no tiles table); nothing was installed",
          said: { code: "device.basemap_invalid", params: { detail: "it has no tiles table, so it is not an MBTiles package" } },
        };
      return null;
    });
    render(app("zh", <Settings />, { info }), root);
    pick([1, 2, 3]);
    await until(() => $("#basemap-error"), "the error");
    expect($("#basemap-error")!.textContent).toContain("不是本应用能读取的离线底图包");
    expect($("#basemap-error")!.textContent).toContain("没有安装");
  });
});

describe("tasks", () => {
  it("lists a verification with its case and sends the verdict once one is chosen", async () => {
    const task = {
      task: {
        id: "019a0000-0000-7000-8000-0000000000aa",
        kind: "verify",
        report: ID,
        case_no: "20261123-0001",
        assignee: "019a0000-0000-7000-8000-0000000000bb",
        created_at: "2026-11-23T01:00:00Z",
        due_at: "2026-11-23T06:30:00Z",
        done_at: null,
        passed: null,
        note: null,
        photos: [],
        by_device: null,
      },
      report: { ...draft(), kind: "event", category: "0507", description: "人行道堆放建材" },
      department: "HW",
      handling_note: null,
      handling_photos: [],
    } as unknown as TaskChange;
    let open = [task];
    mockIPC((cmd) => {
      calls.push({ cmd, args: {} });
      switch (cmd) {
        case "tasks":
          return open;
        case "reports":
          return [];
        case "complete_task":
          open = [];
          return null;
        default:
          return null;
      }
    });
    render(app("zh", <Tasks onOpen={() => {}} />), root);
    await until(() => $("[data-task]"), "the task");
    const card = $("[data-task]")!;
    expect(card.textContent).toContain("案件 20261123-0001");
    expect(card.textContent).toContain("街面秩序 · 乱堆物堆料");
    expect(card.textContent).toContain("处置部门 HW");
    const submit = [...card.querySelectorAll("button")].find((b) => b.textContent === "提交核查结果")!;
    expect(submit.disabled).toBe(true);
    [...card.querySelectorAll("button")].find((b) => b.textContent === "已整改，通过")!.click();
    await until(() => !submit.disabled, "the submit to be enabled");
    submit.click();
    await until(() => $("[role=status]"), "the saved notice");
    expect(commands()).toContain("complete_task");
    expect($("[role=status]")!.textContent).toBe("核查结果已保存，将在有信号时上传");
    await until(() => !$("[data-task]"), "the task to leave the list");
  });

  it("shows the department's words and after-photos on a verification", async () => {
    const photo = {
      id: "019a0000-0000-7000-8000-0000000000cc",
      sha256: "ab".repeat(32),
      bytes: 1000,
      width: 1600,
      height: 1200,
      taken_at: null,
      stage: "after",
    };
    const task = {
      task: {
        id: "019a0000-0000-7000-8000-0000000000ad",
        kind: "verify",
        report: ID,
        case_no: "20261123-0002",
        assignee: "019a0000-0000-7000-8000-0000000000bb",
        created_at: "2026-11-23T01:00:00Z",
        due_at: "2026-11-23T06:30:00Z",
        done_at: null,
        passed: null,
        note: null,
        photos: [],
        by_device: null,
      },
      report: { ...draft(), kind: "event", category: "0507", description: "人行道堆放建材" },
      department: "HW",
      handling_note: "已清运建材",
      handling_photos: [photo],
    } as unknown as TaskChange;
    globalThis.URL.createObjectURL ??= () => "blob:after";
    mockIPC((cmd) => {
      calls.push({ cmd, args: {} });
      switch (cmd) {
        case "tasks":
          return [task];
        case "reports":
          return [];
        case "thumbnail":
          return [0xff, 0xd8, 0xff, 0xd9];
        default:
          return null;
      }
    });
    render(app("zh", <Tasks onOpen={() => {}} />), root);
    await until(() => $(`[data-task] .handling-photos [data-photo="${photo.id}"] img`), "the after-photo");
    const card = $("[data-task]")!;
    expect(card.textContent).toContain("处置说明：已清运建材");
    expect(card.textContent).toContain("处置部门拍的处置后照片");
    expect(commands()).toContain("thumbnail");
  });
});

describe("my grid", () => {
  const cell: CellOutline = {
    code: "440703001001003",
    street_name: "环市街道",
    community_name: "东华社区",
    mine: true,
    ring: [
      [113.062, 22.597],
      [113.064, 22.597],
      [113.064, 22.599],
      [113.062, 22.599],
      [113.062, 22.597],
    ],
  };
  const sent = draft({
    state: "sent",
    central_state: "pending_review",
    location: { lon: 113.0631, lat: 22.5983, crs: "WGS84", accuracy_m: 5, fix_time: "2026-11-21T01:00:00Z", provider: "gps" },
  });
  const geolocation = Object.getOwnPropertyDescriptor(navigator, "geolocation");
  afterEach(() => {
    // The screen stops watching as it goes: it goes first.
    render(null, root);
    if (geolocation) Object.defineProperty(navigator, "geolocation", geolocation);
    else delete (navigator as { geolocation?: unknown }).geolocation;
  });

  it("without a fix says so and draws no position; a report is a pin, not a dot", async () => {
    mockIPC((cmd) => (cmd === "reports" ? [sent] : null));
    render(app("zh", <Grid onOpen={() => {}} />, { cells: [cell] }), root);
    await until(() => $(".map .pin"), "the report's pin");
    expect($("#grid-position")!.textContent).toBe("暂无定位");
    expect($(".map .position")).toBeNull();
    // Only the position is round: the report's pin is a drop-shaped marker.
    const pin = $(`.map .pin[data-report="${ID}"]`)!;
    expect(pin.tagName).toBe("g");
    expect(pin.classList.contains("pending_review")).toBe(true);
    expect(root.querySelectorAll(".map > circle")).toHaveLength(0);
  });

  it("draws the basemap's tiles under the cells, placed by the map's projection, with its credit", async () => {
    mockConvertFileSrc("linux");
    mockIPC((cmd) => (cmd === "reports" ? [sent] : null));
    const basemap: BasemapInfo = {
      name: "蓬江区街道",
      format: "png",
      min_zoom: 14,
      max_zoom: 18,
      bounds: [113.06, 22.57, 113.1, 22.6],
      attribution: "江门市自然资源局",
      bytes: 1000,
      version: "18a2",
    };
    const info = { version: "0.1.0", device_id: "d", key_fingerprint: "f", inspector: null, server_url: null, settings: { photo_max_edge: 2048, camera_serial: null, keep_days: 30 }, basemap };
    render(app("zh", <Grid onOpen={() => {}} />, { cells: [cell], info }), root);
    await until(() => $(".map .pin"), "the report's pin");
    const tiles = [...root.querySelectorAll(".map .basemap image.tile")];
    expect(tiles.length).toBeGreaterThan(0);
    // Under the cells: the basemap comes first in the drawing.
    const svg = $(".map")!;
    expect(svg.classList.contains("with-basemap")).toBe(true);
    expect([...svg.children].indexOf($(".map .basemap")!)).toBeLessThan([...svg.children].indexOf($(".map .cell")!));
    // A cell of ~200 m on a 760-unit map: zoom 18, from the app's own scheme.
    for (const t of tiles) expect(t.getAttribute("href")).toMatch(/^tiles:\/\/localhost\/18a2\/18\/\d+\/\d+$/);
    expect($(".map .attribution")!.textContent).toBe("江门市自然资源局");
  });

  it("without a basemap draws the cells alone", async () => {
    mockIPC((cmd) => (cmd === "reports" ? [sent] : null));
    render(app("zh", <Grid onOpen={() => {}} />, { cells: [cell] }), root);
    await until(() => $(".map .pin"), "the report's pin");
    expect($(".map .basemap")).toBeNull();
    expect($(".map .attribution")).toBeNull();
    expect($(".map")!.classList.contains("with-basemap")).toBe(false);
  });

  it("with a fix says its accuracy and draws the dot there, labelled", async () => {
    Object.defineProperty(navigator, "geolocation", {
      configurable: true,
      value: {
        watchPosition: (ok: (p: unknown) => void) => {
          ok({ coords: { longitude: 113.063, latitude: 22.598, accuracy: 8.4 }, timestamp: Date.parse("2026-11-21T01:00:00Z") });
          return 1;
        },
        clearWatch: () => {},
      },
    });
    mockIPC((cmd) => (cmd === "reports" ? [sent] : null));
    render(app("zh", <Grid onOpen={() => {}} />, { cells: [cell] }), root);
    await until(() => $(".map .position"), "the position");
    expect($("#grid-position")!.textContent).toBe("我的位置 ±8 米");
    expect($(".map .position .dot")).not.toBeNull();
    expect($(".map .position .label")!.textContent).toBe("我");
  });

  it("keeps the position's blue for the position alone", () => {
    const css = readFileSync(resolve(process.cwd(), "src/tablet/style.css"), "utf8");
    const rules = [...css.matchAll(/([^{}]+)\{([^}]*)\}/g)].map((m) => ({ selector: m[1].trim(), body: m[2] }));
    const dot = rules.find((r) => r.selector === ".map .position .dot")!;
    const blue = /fill:\s*(#[0-9a-f]{3,6})/i.exec(dot.body)![1].toLowerCase();
    const pinRules = rules.filter((r) => r.selector.includes(".pin"));
    expect(pinRules.length).toBeGreaterThan(0);
    for (const r of pinRules) expect(r.body.toLowerCase(), r.selector).not.toContain(blue);
  });
});
