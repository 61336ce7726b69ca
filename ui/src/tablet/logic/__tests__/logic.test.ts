import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

import { Failure, failureText, failureWords } from "../../../shared/error";
import { translate, words } from "../../../shared/i18n";
import type { Category } from "../../../shared/types";
import { catalogues } from "../../i18n";
import { keyOf, majors, recentEntries, remember, search } from "../categories";
import { manual } from "../position";
import { cellNamer, clipDefaults, clipFrom, editable, flagText, progress, rfc3339, stateLabel } from "../report";
import { size, storageWords, waiting } from "../queue";

const zh = words(catalogues, "zh");
const en = words(catalogues, "en");

// The engine sends the table as `code_table` does: every 小类, by kind then code. Built
// here from the same fixture the engine loads.
interface TableFile {
  kinds: { kind: "component" | "event"; majors: { code: string; name: string; minors: { code: string; name: string; name_en?: string }[] }[] }[];
}
const file: TableFile = JSON.parse(readFileSync(resolve(process.cwd(), "../fixtures/codes.json"), "utf8"));
const all: Category[] = file.kinds
  .flatMap((k) =>
    k.majors.flatMap((m) =>
      m.minors.map((n) => ({ kind: k.kind, code: m.code + n.code, major_name: m.name, name: n.name, name_en: n.name_en ?? null })),
    ),
  )
  .sort((a, b) => a.kind.localeCompare(b.kind) || a.code.localeCompare(b.code));

describe("catalogues", () => {
  it("have the same keys in Chinese and English, none empty", () => {
    expect(Object.keys(catalogues.en).sort()).toEqual(Object.keys(catalogues.zh).sort());
    for (const lang of ["zh", "en"] as const) {
      for (const [k, v] of Object.entries(catalogues[lang])) expect(v, `${lang} ${k}`).not.toBe("");
    }
  });

  it("fill placeholders and leave unknown ones visible", () => {
    expect(translate(catalogues, "en", "queue.lastSync", { when: "09:00" })).toBe("Last sync: 09:00");
    expect(translate(catalogues, "zh", "queue.lastSync")).toBe("上次同步：{when}");
  });

  it("name every state the centre can give", () => {
    for (const s of ["awaiting_photos", "pending_review", "returned", "rejected", "merged", "registered", "dispatched", "handled", "closed"] as const) {
      expect(stateLabel(zh, { state: "sent", central_state: s })).not.toMatch(/^central\./);
    }
  });
});

describe("category picker", () => {
  it("groups 小类 under their 大类, kinds apart", () => {
    const groups = majors(all);
    expect(groups.reduce((n, g) => n + g.minors.length, 0)).toBe(all.length);
    const streets = groups.find((g) => g.kind === "event" && g.code === "05");
    expect(streets?.minors.map((c) => c.code)).toContain("0507");
    expect(new Set(groups.map((g) => `${g.kind}:${g.code}`)).size).toBe(groups.length);
    expect(groups.every((g) => g.minors.every((c) => c.kind === g.kind && c.code.startsWith(g.code)))).toBe(true);
  });

  it("finds by code prefix first, then by name, in either language", () => {
    const hits = search(all, "event", "05");
    expect(hits[0].code.startsWith("05")).toBe(true);
    expect(search(all, null, "井盖").every((c) => (c.name + c.major_name).includes("井盖"))).toBe(true);
    expect(search(all, null, "井盖").length).toBeGreaterThan(2);
    expect(search(all, "event", "manhole")).toEqual([]);
    expect(search(all, "component", "MANHOLE").length).toBeGreaterThan(0);
    expect(search(all, "event", "   ").length).toBe(all.filter((c) => c.kind === "event").length);
  });

  it("keeps recent picks most recent first, once each", () => {
    let recent: string[] = [];
    for (const k of ["event:0507", "component:0102", "event:0507"]) recent = remember(recent, k);
    expect(recent).toEqual(["event:0507", "component:0102"]);
    expect(remember(["a", "b", "c"], "d", 3)).toEqual(["d", "a", "b"]);
    expect(recentEntries(all, ["event:0507", "event:9999"]).map((c) => c.name)).toEqual(["乱堆物堆料"]);
    expect(keyOf({ kind: "event", code: "0507" })).toBe("event:0507");
  });
});

describe("positions placed by hand", () => {
  it("gives a hand-placed position an honest accuracy", () => {
    expect(manual(113, 22, 0.1, new Date(0)).accuracy_m).toBe(3);
    expect(manual(113, 22, 2, new Date(0))).toMatchObject({ accuracy_m: 20, provider: "manual", crs: "WGS84" });
  });
});

describe("report words", () => {
  it("follow the report round the loop", () => {
    const status = (r: Parameters<typeof progress>[1]) => progress(en, r).map((s) => s.status[0]).join("");
    expect(status({ state: "draft", central_state: null })).toBe("caaaaaaa");
    expect(status({ state: "queued", central_state: null })).toBe("dcaaaaaa");
    expect(status({ state: "sent", central_state: "awaiting_photos" })).toBe("ddcaaaaa");
    expect(status({ state: "sent", central_state: "registered" })).toBe("ddddcaaa");
    expect(status({ state: "sent", central_state: "closed" })).toBe("dddddddc");
    const returned = progress(zh, { state: "sent", central_state: "returned" });
    expect(returned.at(-1)).toMatchObject({ key: "returned", label: "已退回", status: "current" });
    expect(editable({ state: "sent", central_state: "returned" })).toBe(true);
    expect(editable({ state: "sent", central_state: "registered" })).toBe(false);
  });

  it("say what is wrong with a position", () => {
    expect(flagText(en, { flag: "outside_my_cells", cell: "440703001001009" })).toBe("440703001001009 is not one of your cells");
    // Named from the grid the tablet holds; a code it lacks stays a code.
    const cells = [{ code: "440703001001009", street_name: "环市街道", community_name: "东华社区", mine: false, ring: [] }];
    expect(flagText(zh, { flag: "outside_my_cells", cell: "440703001001009" }, cellNamer(zh, cells))).toBe(
      "环市街道 · 东华社区 · 009号网格 不是您负责的网格",
    );
    expect(flagText(zh, { flag: "outside_grid", nearest_cell: "440703001001009", distance_m: 86.4 }, cellNamer(zh, cells))).toBe(
      "不在任何网格内（最近的网格 环市街道 · 东华社区 · 009号网格，86 米）",
    );
    expect(cellNamer(en, cells)("440703001001009")).toBe("环市街道 · 东华社区 · cell 009");
    expect(cellNamer(zh, cells)("440703009009009")).toBe("440703009009009");
    expect(flagText(zh, { flag: "poor_accuracy", accuracy_m: 48.6, limit_m: 30 })).toBe("定位精度差（±49 米，要求 ±30 米以内）");
    expect(flagText(en, { flag: "outside_grid", nearest_cell: null, distance_m: null })).toBe("Outside every cell");
  });

  it("default a clip to the remembered camera and the last five minutes", () => {
    const now = new Date(2026, 10, 21, 9, 30);
    const form = clipDefaults(now, "JMC0042", "440102");
    expect(form).toMatchObject({ camera_serial: "JMC0042", officer_badge: "440102", start: "2026-11-21T09:25", end: "2026-11-21T09:30" });
    const clip = clipFrom({ ...form, camera_serial: " jmc0042 " });
    expect(clip.camera_serial).toBe("JMC0042");
    expect(clip.file_name).toBeNull();
    expect(new Date(clip.end).getTime() - new Date(clip.start).getTime()).toBe(5 * 60_000);
    expect(rfc3339("2026-11-21T09:30")).toMatch(/^2026-11-21T09:30:00[+-]\d\d:\d\d$/);
  });
});

describe("engine errors", () => {
  it("are said in the inspector's language from their code, a refusal with the centre's own", () => {
    const refused = Failure.from({
      kind: "refused",
      message: "the server refused the data: this token belongs to device d1, not d2",
      said: { code: "device.refused", cause: { code: "auth.token_other_device", params: { token_device: "d1", device: "d2" } } },
    });
    expect(failureText(zh, refused)).toBe("服务器拒收：此令牌属于设备 d1，不是 d2");
    const incomplete = Failure.from({
      kind: "incomplete",
      message: "the report is not ready to submit: category: is required",
      said: { code: "device.incomplete", fields: [{ field: "category", code: "valid.required" }] },
    });
    expect(failureText(zh, incomplete)).toBe("上报尚不能提交：小类：必填");
    const offline = Failure.from({ kind: "network", message: "…", said: { code: "device.network", cause: { code: "device.no_connection" } } });
    expect(failureText(zh, offline)).toBe("无法连接服务器（无网络连接）；上报已安全保存在本机，恢复连接后会自动上传");
    expect(failureText(en, offline)).toBe("cannot reach the server (no connection); your reports are safe on this device and will be sent automatically");
  });
  it("recorded by an older version in words are said by kind", () => {
    expect(failureWords(zh, "network", "cannot reach the server (no connection); …")).toBe(
      "无法连接服务器；上报已安全保存在本机，恢复连接后会自动上传",
    );
    // A kind the catalogues do not know keeps the engine's words.
    expect(failureWords(zh, "invalid", "photo_max_edge: 100 pixels is outside 800–4096")).toBe("photo_max_edge: 100 pixels is outside 800–4096");
    expect(failureWords(zh, null, "something")).toBe("something");
  });
});

describe("queue words", () => {
  it("say what waits, with sizes a person reads", () => {
    expect(size(0)).toBe("0 B");
    expect(size(1234)).toBe("1.2 KB");
    expect(size(740335)).toBe("740 KB");
    expect(size(37_500_000)).toBe("38 MB");
    const q = { drafts: 0, pending_reports: 3, pending_priority: 1, pending_photos: 5, pending_bytes: 1_200_000, oldest_pending_at: null, oldest_pending_age_s: null };
    expect(waiting(zh, q)).toBe("3 份上报、5 张照片（1.2 MB）待上传");
    expect(waiting(en, { ...q, pending_reports: 0, pending_photos: 0 })).toBe("Everything is uploaded");
  });
});

describe("storage words", () => {
  const ok = { free_bytes: 12_300_000_000, low: false, full: false, photo_bytes: 48_000_000, keep_days: 30 };
  it("say the free space, and warn before photos are refused", () => {
    expect(storageWords(zh, ok)).toEqual({ text: "本机剩余空间 12 GB，照片占用 48 MB", warning: null, level: "ok" });
    const low = storageWords(zh, { ...ok, free_bytes: 800_000_000, low: true });
    expect(low.level).toBe("low");
    expect(low.warning).toContain("30 天后从本机清除");
    const full = storageWords(en, { ...ok, free_bytes: 150_000_000, low: true, full: true });
    expect(full).toMatchObject({ text: "150 MB free on this device; photos take 48 MB", level: "full" });
    expect(full.warning).toContain("photos are refused now");
    expect(storageWords(zh, { ...ok, free_bytes: null }).text).toBe("无法读取本机剩余空间");
  });
});
