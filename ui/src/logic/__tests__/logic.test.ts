import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

import { catalogues, translate } from "../../i18n";
import { flatten, recentEntries, remember, search, type CodeTableFile } from "../categories";
import { size, waiting } from "../queue";

const table: CodeTableFile = JSON.parse(
  // Tests run from ui/ (npm test); the fixtures sit beside it.
  readFileSync(resolve(process.cwd(), "../fixtures/codes.json"), "utf8"),
);

describe("catalogues", () => {
  it("have the same keys in Chinese and English, none empty", () => {
    expect(Object.keys(catalogues.en).sort()).toEqual(Object.keys(catalogues.zh).sort());
    for (const lang of ["zh", "en"] as const) {
      for (const [k, v] of Object.entries(catalogues[lang])) expect(v, `${lang} ${k}`).not.toBe("");
    }
  });

  it("fill placeholders and leave unknown ones visible", () => {
    expect(translate("en", "queue.lastSync", { when: "09:00" })).toBe("Last sync: 09:00");
    expect(translate("zh", "queue.lastSync")).toBe("上次同步：{when}");
  });
});

describe("category search", () => {
  const all = flatten(table);

  it("flattens every 小类 with its 大类", () => {
    const rubbish = all.find((c) => c.kind === "event" && c.code === "0507");
    expect(rubbish).toMatchObject({ name: "乱堆物堆料" });
    expect(new Set(all.map((c) => `${c.kind}:${c.code}`)).size).toBe(all.length);
  });

  it("finds by code prefix first, then by name", () => {
    const hits = search(all, "event", "05");
    expect(hits[0].code.startsWith("05")).toBe(true);
    expect(search(all, null, "井盖").every((c) => (c.name + c.major).includes("井盖"))).toBe(true);
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
  });
});

describe("queue words", () => {
  it("say what waits, with sizes a person reads", () => {
    expect(size(0)).toBe("0 B");
    expect(size(1234)).toBe("1.2 KB");
    expect(size(740335)).toBe("740 KB");
    expect(size(37_500_000)).toBe("38 MB");
    const q = { drafts: 0, pending_reports: 3, pending_priority: 1, pending_photos: 5, pending_bytes: 1_200_000, oldest_pending_at: null, oldest_pending_age_s: null };
    expect(waiting("zh", q)).toBe("3 份上报、5 张照片（1.2 MB）待上传");
    expect(waiting("en", { ...q, pending_reports: 0, pending_photos: 0 })).toBe("Everything is sent");
  });
});
