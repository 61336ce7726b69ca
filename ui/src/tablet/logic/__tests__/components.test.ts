import { describe, expect, it } from "vitest";

import { words } from "../../../shared/i18n";
import type { Category, ComponentInfo } from "../../../shared/types";
import type { LocalReport, NearComponent, TakenComponent } from "../../commands";
import { catalogues } from "../../i18n";
import { draftReport } from "../../testing";
import { componentName, distance, nearQuery, replaced, spots } from "../components";

const zh = words(catalogues, "zh");

const categories: Category[] = [
  { kind: "component", code: "0102", major_name: "公用设施", name: "污水井盖", name_en: "Sewage manhole cover" },
  { kind: "component", code: "0118", major_name: "公用设施", name: "路灯", name_en: "Street light" },
  { kind: "event", code: "0102", major_name: "市容环境", name: "暴露垃圾", name_en: "Exposed rubbish" },
];

const cover: ComponentInfo = { id: "4407030102000010", category: "0102", cell: "440703001001003", lon: 113.0631, lat: 22.5982 };

const report = (over: Partial<LocalReport>): LocalReport => draftReport(over);

const fix = { lon: 113.0631, lat: 22.5983, crs: "WGS84", accuracy_m: 5, fix_time: "2026-11-21T01:00:00Z", provider: "gps" } as const;

describe("components on a report", () => {
  it("asks for nearby components only for a 部件 report with a 小类 and a position", () => {
    expect(nearQuery(report({ kind: "component", category: "0102", location: fix }))).toEqual({ category: "0102", lon: 113.0631, lat: 22.5983 });
    expect(nearQuery(report({ kind: "event", category: "0102", location: fix }))).toBeNull();
    expect(nearQuery(report({ kind: "component", category: null, location: fix }))).toBeNull();
    expect(nearQuery(report({ kind: "component", category: "0102", location: null }))).toBeNull();
  });

  it("says distances in whole metres, then kilometres", () => {
    const say = (m: number) => {
      const d = distance(m);
      return zh.t(d.key, d);
    };
    expect(say(11.6)).toBe("12 米");
    expect(say(0.2)).toBe("0 米");
    expect(say(999.4)).toBe("999 米");
    expect(say(1260)).toBe("1.3 公里");
  });

  it("names a component by the city's name, else its 小类, else its ID", () => {
    expect(componentName({ ...cover, name: "建设路 3 号井盖" }, categories, "zh")).toBe("建设路 3 号井盖");
    expect(componentName({ ...cover, name: "  " }, categories, "zh")).toBe("污水井盖");
    expect(componentName(cover, categories, "en")).toBe("Sewage manhole cover");
    expect(componentName({ ...cover, category: "0999" }, categories, "zh")).toBe("4407030102000010");
  });

  it("tells what taking a component replaced, by name and type", () => {
    const taken = (over: Partial<TakenComponent>): TakenComponent => ({
      report: report({ kind: "component", category: "0102", component_id: cover.id }),
      component: cover,
      replaced_kind: null,
      replaced_category: null,
      ...over,
    });
    expect(replaced(taken({}), categories, "zh")).toBeNull();
    expect(replaced(taken({ replaced_kind: "component", replaced_category: "0118" }), categories, "zh")).toEqual({ from: "路灯", to: "污水井盖" });
    // An 事件 of the same code is another category: named as the event it was.
    expect(replaced(taken({ replaced_kind: "event", replaced_category: "0102" }), categories, "zh")).toEqual({ from: "暴露垃圾", to: "污水井盖" });
    const said = replaced(taken({ replaced_kind: "component", replaced_category: "0118" }), categories, "zh")!;
    expect(zh.t("component.replaced", said)).toBe("已按所选部件将类别由「路灯」改为「污水井盖」");
  });

  it("marks the nearby components on the map, the chosen one filled", () => {
    const near: NearComponent[] = [
      { component: cover, distance_m: 11 },
      { component: { ...cover, id: "4407030102000030", lat: 22.5986 }, distance_m: 33 },
    ];
    expect(spots(near, "4407030102000030")).toEqual([
      { id: "4407030102000010", at: [113.0631, 22.5982], chosen: false },
      { id: "4407030102000030", at: [113.0631, 22.5986], chosen: true },
    ]);
  });
});
