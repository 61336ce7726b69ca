import { describe, expect, it } from "vitest";

import type { PublicAnswer, PublicCategory, PublicReport } from "../../shared/types";
import { en, zh } from "../i18n";
import { body, lacks, location, majors, mine, remember } from "../logic";

const cat = (kind: "event" | "component", code: string, major_name: string, name: string): PublicCategory => ({
  kind,
  code,
  major_name,
  name,
});

describe("the 随手拍 page", () => {
  it("has the same words in both languages", () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
    for (const [k, v] of Object.entries(en)) expect(v, k).not.toBe("");
  });

  it("offers each kind's 大类 in the table's order, each with its 小类", () => {
    const list = [
      cat("component", "0101", "公用设施", "上水井盖"),
      cat("event", "0101", "市容环境", "私搭乱建"),
      cat("event", "0102", "市容环境", "暴露垃圾"),
      cat("event", "0201", "宣传广告", "非法小广告"),
    ];
    const events = majors(list, "event");
    expect(events.map((g) => g.name)).toEqual(["市容环境", "宣传广告"]);
    expect(events[0].minors.map((c) => c.name)).toEqual(["私搭乱建", "暴露垃圾"]);
    expect(majors(list, "component").map((g) => g.minors.length)).toEqual([1]);
  });

  it("says what a draft lacks, in the form's order", () => {
    const place = location({ coords: { longitude: 113.08, latitude: 22.58, accuracy: 12 }, timestamp: 0 });
    expect(lacks({ category: null, photos: 0, words: "  ", place: null })).toEqual([
      "need.category",
      "need.photo",
      "need.words",
      "need.place",
    ]);
    expect(lacks({ category: "0102", photos: 1, words: "垃圾", place })).toEqual([]);
  });

  it("takes a tight fix as satellites' and a loose one as the network's", () => {
    const tight = location({ coords: { longitude: 113.08, latitude: 22.58, accuracy: 12.34 }, timestamp: 1_764_000_000_000 });
    expect(tight).toEqual({
      lon: 113.08,
      lat: 22.58,
      crs: "WGS84",
      accuracy_m: 12.3,
      fix_time: new Date(1_764_000_000_000).toISOString(),
      provider: "gps",
    });
    expect(location({ coords: { longitude: 0, latitude: 0, accuracy: 150 }, timestamp: 0 }).provider).toBe("network");
  });

  it("sends the report as JSON, then the photos in order", async () => {
    const report = { key: "k", photo_ids: ["a", "b"] } as unknown as PublicReport;
    const form = body(report, [new Blob(["one"]), new Blob(["two"])]);
    const parts = [...form.entries()];
    expect(parts.map(([name]) => name)).toEqual(["report", "photo", "photo"]);
    expect(JSON.parse(await (parts[0][1] as Blob).text())).toEqual(report);
    expect(await (parts[2][1] as Blob).text()).toBe("two");
  });

  it("keeps the reports sent from this phone, newest first, each once", () => {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
    } as unknown as Storage;
    const a = (report: string, state: string): PublicAnswer =>
      ({ report, state, case_no: null, received_at: "2026-12-02T08:00:00Z" }) as PublicAnswer;
    expect(mine(storage)).toEqual([]);
    remember(a("r1", "awaiting_check"), storage);
    remember(a("r2", "awaiting_check"), storage);
    const list = remember(a("r1", "registered"), storage);
    expect(list.map((m) => [m.report, m.state])).toEqual([
      ["r1", "registered"],
      ["r2", "awaiting_check"],
    ]);
    store.set("public.mine", "not json");
    expect(mine(storage)).toEqual([]);
  });
});
