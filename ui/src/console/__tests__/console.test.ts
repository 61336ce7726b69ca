import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

import { translate, words } from "../../shared/i18n";
import { say } from "../../shared/say";
import type { ConsoleReport, Report, Role } from "../../shared/types";
import { catalogues } from "../i18n";
import { en } from "../i18n/en";
import { zh } from "../i18n/zh";
import {
  actionsFor,
  afterPhotosBefore,
  age,
  bytes,
  categoryKeyNames,
  categoryLabel,
  categoryNames,
  cellNamer,
  claimText,
  countdown,
  dayStart,
  dueStatus,
  duplicateWhy,
  eventText,
  fieldValue,
  flagText,
  lastDays,
  percent,
  queueHash,
  queueQuery,
  placeDisputed,
  reportName,
  reviews,
  route,
  sectionsFor,
  shortWhen,
  versionAuthor,
  versionChanges,
} from "../logic";

const codes = JSON.parse(readFileSync(resolve(process.cwd(), "../fixtures/codes.json"), "utf8"));

describe("the console's strings", () => {
  it("have every key in both languages", () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
    expect(translate(catalogues, "zh", "devices.queue", { reports: 2, photos: 3, bytes: "1.0 MB" })).toBe("2 份上报、3 张照片（1.0 MB）");
    expect(translate(catalogues, "en", "report.version", { n: 4 })).toBe("Version 4");
  });
});

describe("category names from the code table as loaded", () => {
  it("name a category in either language, and fall back to its code", () => {
    const names = categoryNames([codes]);
    expect(categoryLabel(names, "event", "0507", "zh")).toBe("街面秩序 · 乱堆物堆料 (0507)");
    expect(categoryLabel(names, "component", "0102", "en")).toMatch(/^Public utilities · Sewage manhole cover \(0102\)$/);
    expect(categoryLabel(names, "event", "9999", "zh")).toBe("9999");
  });
});

describe("deadlines", () => {
  const at = (s: string) => new Date(s);
  const item = (state: ConsoleReport["state"], due: string | null, stateAt = "2026-11-23T01:00:00Z") =>
    ({
      state,
      state_at: stateAt,
      case: due
        ? { case_no: "20261123-0001", registered_at: stateAt, department: "HW", due_at: due, reworks: 0, closed_at: null }
        : null,
    }) as Pick<ConsoleReport, "state" | "state_at" | "case">;
  it("say whether an open case is fine, due soon or overdue, and whether a handled one was on time", () => {
    const now = at("2026-11-23T06:00:00Z");
    expect(dueStatus(item("dispatched", "2026-11-23T09:00:00Z"), now)).toBe("ok");
    expect(dueStatus(item("dispatched", "2026-11-23T07:30:00Z"), now)).toBe("soon");
    expect(dueStatus(item("dispatched", "2026-11-23T05:59:00Z"), now)).toBe("overdue");
    expect(dueStatus(item("handled", "2026-11-23T05:00:00Z", "2026-11-23T04:00:00Z"), now)).toBe("met");
    expect(dueStatus(item("closed", "2026-11-23T05:00:00Z", "2026-11-23T05:30:00Z"), now)).toBe("late");
    expect(dueStatus(item("registered", null), now)).toBe("none");
  });
});

describe("steps and their deadlines", () => {
  const w = words(catalogues, "zh");
  const base = { state_at: "2026-11-23T01:00:00Z", case: null };
  it("count the step a report waits on in the working minutes the centre counted", () => {
    const now = new Date("2026-11-23T06:00:00Z");
    const step = (state: ConsoleReport["state"], due: string, left: number) =>
      dueStatus({ ...base, state, step_due_at: due, step_left_minutes: left }, now);
    expect(step("pending_review", "2026-11-24T06:00:00Z", 420)).toBe("ok");
    // Two working hours left although a night lies between: due soon.
    expect(step("registered", "2026-11-24T02:00:00Z", 90)).toBe("soon");
    expect(step("in_progress", "2026-11-23T05:00:00Z", -60)).toBe("overdue");
    // A page left open past the deadline says overdue although the count it read did not.
    expect(step("dispatched", "2026-11-23T05:59:00Z", 30)).toBe("overdue");
    expect(countdown(w, 125)).toBe("剩 2 工时 5 分");
    expect(countdown(w, 40)).toBe("剩 40 分");
    expect(countdown(w, 240)).toBe("剩 4 工时");
    expect(countdown(w, -80)).toBe("超期 1 工时 20 分");
    expect(countdown(w, -(30 * 60 + 5))).toBe("超期 30 工时");
    // A card's deadline: the time alone today, the day too otherwise, never seconds.
    const noon = new Date(2026, 11, 2, 12, 0);
    expect(shortWhen(w, new Date(2026, 11, 2, 15, 56, 30).toISOString(), noon)).toBe("15:56");
    expect(shortWhen(w, new Date(2026, 11, 3, 9, 5).toISOString(), noon)).toBe("12/3 09:05");
    expect(shortWhen(w, new Date(2020, 0, 2, 16, 0).toISOString(), noon)).toBe("2020/1/2 16:00");
  });
  it("warn of an after-photo taken before the problem was found", () => {
    const photo = (stage: "before" | "after", taken_at: string | null) =>
      ({ id: "p", sha256: "", bytes: 1, width: 1, height: 1, stage, taken_at }) as Report["photos"][number];
    const observed_at = "2026-12-02T11:54:00+08:00";
    expect(afterPhotosBefore({ observed_at, photos: [photo("before", "2026-11-03T10:42:17+08:00")] })).toEqual([]);
    expect(afterPhotosBefore({ observed_at, photos: [photo("after", "2026-12-02T12:10:00+08:00"), photo("after", null)] })).toEqual([]);
    expect(afterPhotosBefore({ observed_at, photos: [photo("after", "2026-11-03T10:42:17+08:00")] })).toEqual(["2026-11-03T10:42:17+08:00"]);
  });
  it("offer each role the actions the centre's rules allow in each state", () => {
    type Case = NonNullable<ConsoleReport["case"]>;
    const c = (more: Partial<Case> = {}) =>
      ({ case_no: "20261123-0001", registered_at: "", department: "SZ", due_at: null, reworks: 0, closed_at: null, extension: null, ...more }) as Case;
    const on = (state: ConsoleReport["state"], role: Parameters<typeof actionsFor>[1], kase: Case | null = c()) =>
      actionsFor({ state, case: kase }, role);
    expect(on("pending_review", "leader", null)).toEqual(["approve", "correct", "return", "reject", "merge"]);
    expect(on("pending_review", "department", null)).toEqual([]);
    expect(on("awaiting_check", "operator", null)).toEqual(["approve", "reject", "merge"]);
    expect(on("returned", "operator", null)).toEqual(["reject", "merge"]);
    expect(on("registered", "leader", c({ department: null }))).toEqual(["dispatch"]);
    expect(on("registered", "operator", c({ department: null }))).toEqual(["dispatch", "suspend", "void", "close_special"]);
    expect(on("dispatched", "department")).toEqual(["accept", "handled", "bounce", "request_extension"]);
    expect(on("in_progress", "department")).toEqual(["handled", "bounce", "request_extension"]);
    const asked = c({ extension: { hours: 8, reason: "等材料", requested_by: null, requested_at: "" } });
    // One request at a time; the operator decides it.
    expect(on("in_progress", "department", asked)).toEqual(["handled", "bounce"]);
    expect(on("in_progress", "operator", asked)).toEqual(["handled", "decide_extension", "redispatch", "suspend", "void", "close_special"]);
    expect(on("dispatched", "leader")).toEqual(["handled", "redispatch"]);
    // A department's work is checked on site; one fixed on the spot (no department) here.
    expect(on("handled", "leader")).toEqual([]);
    expect(on("handled", "leader", c({ department: null }))).toEqual(["verify"]);
    expect(on("suspended", "operator")).toEqual(["resume", "void", "close_special"]);
    expect(on("suspended", "leader")).toEqual([]);
    expect(on("closed", "operator")).toEqual([]);
  });
});

describe("figures", () => {
  it("show rates with nothing to divide by as a dash, never 0 %", () => {
    expect(percent(null)).toBe("—");
    expect(percent(0)).toBe("0.0%");
    expect(percent(2 / 3)).toBe("66.7%");
    expect(bytes(512)).toBe("512 B");
    expect(bytes(1536)).toBe("1.5 KB");
    expect(bytes(3 * 1024 * 1024)).toBe("3.0 MB");
  });
  it("turn periods into local midnights", () => {
    const { from, to } = lastDays(30, new Date(2026, 10, 21, 15, 0));
    expect(new Date(to).getTime() - new Date(from).getTime()).toBe(30 * 86400_000);
    expect(new Date(to)).toEqual(new Date(2026, 10, 22));
    expect(new Date(dayStart("2026-11-21"))).toEqual(new Date(2026, 10, 21));
  });
  it("show a conflict's sides readably", () => {
    expect(fieldValue("description", "井盖缺失")).toBe("井盖缺失");
    expect(fieldValue("handled_on_spot", true)).toBe("✓");
    expect(
      fieldValue("place", { address: "建设路 12 号", cell: "440703001001003", location: { lon: 113.0631, lat: 22.5983 } }),
    ).toBe("建设路 12 号 · 440703001001003 · 113.063100, 22.598300");
    expect(fieldValue("filing", { kind: "event", category: "0507" })).toBe("event 0507");
  });
});

describe("the page a link opens", () => {
  it("is the section and report it names, the first section for none, and a refusal for a section not one's own", () => {
    const leader = sectionsFor("leader");
    expect(route("#/review/0195", leader)).toEqual({ section: "review", id: "0195", refused: null, query: {} });
    expect(route("", leader)).toEqual({ section: "review", id: null, refused: null, query: {} });
    expect(route("#/nonsense", leader)).toEqual({ section: "review", id: null, refused: null, query: {} });
    expect(route("#/people", leader)).toEqual({ section: null, id: null, refused: "people", query: {} });
    expect(route("#/review/0195", sectionsFor("administrator"))).toEqual({
      section: null,
      id: null,
      refused: "review",
      query: {},
    });
  });

  it("carries a queue's filter after ?, and the filter makes the same address back", () => {
    const leader = sectionsFor("leader");
    const hash = `#/cases?state=dispatched&sort=overdue&q=${encodeURIComponent("井盖")}&nonsense=1&street=`;
    expect(route(hash, leader)).toEqual({
      section: "cases",
      id: null,
      refused: null,
      query: { state: "dispatched", sort: "overdue", q: "井盖" },
    });
    const withId = route("#/cases/0195?due=overdue", leader);
    expect([withId.id, withId.query]).toEqual(["0195", { due: "overdue" }]);
    // Known keys only, in one order: the same filter always reads the same.
    const back = queueHash("cases", "0195", { q: "井盖", state: "dispatched", sort: "overdue" });
    expect(back).toBe("#/cases/0195?state=dispatched&q=%E4%BA%95%E7%9B%96&sort=overdue");
    expect(route(back, leader).query).toEqual({ state: "dispatched", q: "井盖", sort: "overdue" });
    expect(queueHash("review", null, {})).toBe("#/review");
    expect(queueQuery(new URLSearchParams("q=%20&due=due_soon"))).toEqual({ due: "due_soon" });
  });

  it("says how long a report has waited in minutes, hours or days", () => {
    const w = { t: (k: string, p?: Record<string, unknown>) => `${k}:${p?.n}` } as never;
    const now = new Date("2026-11-21T12:00:00Z");
    expect(age(w, "2026-11-21T11:30:00Z", now)).toBe("age.minutes:30");
    expect(age(w, "2026-11-20T12:00:00Z", now)).toBe("age.hours:24");
    expect(age(w, "2026-11-18T12:00:00Z", now)).toBe("age.days:3");
  });
});

describe("sections by role", () => {
  it("follow the role table: departments work cases, administrators people and tablets, inspectors nothing", () => {
    expect(sectionsFor("operator")).toContain("conflicts");
    expect(sectionsFor("leader")).not.toContain("conflicts");
    expect(sectionsFor("department")).toEqual(["handling"]);
    expect(sectionsFor("administrator")).toEqual(["people", "tablets", "import", "audit"]);
    expect(sectionsFor("administrator")).not.toContain("cases");
    expect(sectionsFor("inspector")).toEqual([]);
    expect(reviews("department")).toBe(false);
    expect(reviews("leader")).toBe(true);
  });
});

describe("a report's place, the centre's against the device's claim", () => {
  const words = (lang: "zh" | "en") => ({
    lang,
    locale: lang === "zh" ? "zh-CN" : "en-GB",
    t: (key: keyof typeof zh, values?: Record<string, string | number>) => translate(catalogues, lang, key, values),
    has: (key: string): key is keyof typeof zh => key in zh,
  });
  const beijing = {
    report: { cell: null } as unknown as ConsoleReport["report"],
    claim: { cell: "440703001001001", location_flags: [], disputes: ["position_outside_grid", "flags_disputed"] },
  } as Pick<ConsoleReport, "claim" | "report">;
  it("shows a disagreement to the leader, in words, and nothing when the device agreed", () => {
    expect(placeDisputed(beijing)).toBe(true);
    expect(claimText(words("zh"), beijing)).toBe(
      "终端上报的网格为 440703001001001，中心按坐标判定为 无（不在任何网格内）（坐标不在任何网格内；位置提示与中心判定不同）",
    );
    expect(claimText(words("en"), beijing)).toBe(
      "The device reported cell 440703001001001; from the position the centre places it in none (in no cell) (the position lies in no cell; the position notes differ from the centre's)",
    );
    expect(placeDisputed({ claim: null })).toBe(false);
    expect(placeDisputed({ claim: { cell: null, location_flags: [], disputes: [] } })).toBe(false);
  });
  it("names cells as street · community · number, and leaves a cell the grid lacks as its code", () => {
    const names = [
      { code: "440703001001007", street: "环市街道", community: "东华社区" },
      { code: "999999999999999", street: null, community: null },
    ];
    const zhCell = cellNamer(words("zh"), names);
    expect(zhCell("440703001001007")).toBe("环市街道 · 东华社区 · 007号网格");
    expect(cellNamer(words("en"), names)("440703001001007")).toBe("环市街道 · 东华社区 · cell 007");
    expect(zhCell("999999999999999")).toBe("999999999999999");
    expect(zhCell("440703001001008")).toBe("440703001001008");
    expect(
      flagText(words("zh"), { flag: "outside_grid", nearest_cell: "440703001001007", distance_m: 86.4 }, zhCell),
    ).toBe("不在任何网格内（最近的网格 环市街道 · 东华社区 · 007号网格，86 米）");
    const disputed = { ...beijing, report: { cell: "440703001001007" } as unknown as ConsoleReport["report"] };
    expect(claimText(words("zh"), disputed, zhCell)).toContain("中心按坐标判定为 环市街道 · 东华社区 · 007号网格");
  });
  it("names the centre's flags", () => {
    expect(flagText(words("zh"), { flag: "outside_grid", nearest_cell: null, distance_m: null })).toBe("不在任何网格内");
    expect(flagText(words("en"), { flag: "poor_accuracy", accuracy_m: 80.4, limit_m: 30 })).toBe("Poor fix (±80 m; ±30 m needed)");
  });
});

describe("reports, duplicates and dispatches named for people", () => {
  const names = categoryNames([codes]);
  const zhWords = words(catalogues, "zh");
  const report = (lon: number, lat: number, observed: string, caseNo: string | null = null) =>
    ({
      report: { kind: "event", category: "0507", location: { lon, lat }, observed_at: observed },
      reporter: { name: "李晓明" },
      case: caseNo ? { case_no: caseNo } : null,
    }) as unknown as ConsoleReport;
  it("name a report by its case number, else by what, who and when; never by its ID", () => {
    expect(reportName(zhWords, names, report(113, 22, "2026-11-02T01:30:00Z", "20261102-0007"))).toBe("20261102-0007");
    const named = reportName(zhWords, names, report(113, 22, "2026-11-02T01:30:00Z"));
    expect(named).toMatch(/^街面秩序 · 乱堆物堆料 \(0507\) · 李晓明 · /);
  });
  it("explain ≈ by distance and time apart", () => {
    const a = report(113.0631, 22.5983, "2026-11-02T01:30:00Z");
    const b = report(113.0632, 22.5983, "2026-11-02T02:05:00Z");
    expect(duplicateWhy(zhWords, a, b)).toMatch(/^相距 10 米，发现时间相差 35 分钟/);
    const later = report(113.0632, 22.5983, "2026-11-02T06:05:00Z");
    expect(duplicateWhy(words(catalogues, "en"), a, later)).toMatch(/^10 m apart, seen 5 h apart/);
  });
  it("name a dispatch's department, a merge's report and the centre's notes in words", () => {
    const departments = [{ code: "SZ", name: "市政设施维护中心" }];
    expect(eventText(zhWords, { action: "dispatch", text: "SZ" }, departments)).toBe("市政设施维护中心");
    expect(eventText(zhWords, { action: "return", text: "请补拍" }, departments)).toBe("请补拍");
    expect(eventText(zhWords, { action: "approve", text: null }, departments)).toBe("");
    const into = "0196f0c8-6a2e-7c4b-9d51-3a8491f2d3ef";
    expect(eventText(zhWords, { action: "merge", text: into }, departments, { [into]: "乱堆物堆料 · 李晓明" })).toBe("乱堆物堆料 · 李晓明");
    expect(eventText(zhWords, { action: "merge", text: into }, departments)).toBe("…91f2d3ef");
    const despite = JSON.stringify({ code: "case.registered_despite_case", params: { case_no: "20261102001", metres: "12", minutes: "35" } });
    expect(eventText(zhWords, { action: "approve", text: despite }, departments)).toBe(
      "已提示疑似重复（与案件 20261102001 相距 12 米、相差 35 分钟），仍立案",
    );
  });
});

describe("versions as old → new values per field", () => {
  const names = categoryNames([codes]);
  const zhWords = words(catalogues, "zh");
  const v1 = {
    kind: "event",
    category: "0507",
    description: "路边堆放建筑垃圾",
    address: "建设路12号",
    location: { lon: 113.0631, lat: 22.5983 },
    urgency: "normal",
    handled_on_spot: false,
    photos: [{ id: "p1" }],
    clips: [],
  } as unknown as Report;
  it("says each changed field in words: category names, address, description, who made it", () => {
    const v2 = { ...v1, kind: "event", category: "0504", description: "店外占道经营", address: "建设路 14 号" } as Report;
    expect(versionChanges(zhWords, names, v1, v2)).toEqual([
      { field: "category", from: "街面秩序 · 乱堆物堆料", to: "街面秩序 · 店外经营" },
      { field: "description", from: "路边堆放建筑垃圾", to: "店外占道经营" },
      { field: "address", from: "建设路12号", to: "建设路 14 号" },
    ]);
    const v3 = { ...v2, urgency: "urgent", location: { lon: 113.0632, lat: 22.5983 }, photos: [{ id: "p1" }, { id: "p2" }] } as Report;
    expect(versionChanges(zhWords, names, v2, v3)).toEqual([
      { field: "location", from: "113.063100, 22.598300", to: "113.063200, 22.598300 (移动 10 米)" },
      { field: "urgency", from: "一般", to: "紧急" },
      { field: "photos", from: "1 个", to: "2 个" },
    ]);
    expect(versionChanges(zhWords, names, v3, v3)).toEqual([]);
    expect(versionAuthor(zhWords, { by_role: "leader", by_name: "陈建国", by_device: null })).toBe("网格长 陈建国");
    expect(versionAuthor(zhWords, { by_role: undefined, by_name: "李晓明", by_device: "d" })).toBe("网格员 李晓明");
  });
  it("says a leader's correction note to the inspector with category names", () => {
    const note = {
      code: "note.corrected",
      params: { problems: "category: event:0507 → event:0504" },
      fields: [{ field: "category", code: "note.corrected_value", params: { from: "event:0507", to: "event:0504" } }],
    };
    expect(say("zh", note, undefined, categoryKeyNames(names, "zh"))).toBe("网格长立案时已更正：小类：街面秩序 · 乱堆物堆料 → 街面秩序 · 店外经营");
    // An address left blank reads as a dash.
    const address = { code: "note.corrected", fields: [{ field: "address", code: "note.corrected_value", params: { from: "", to: "建设路 14 号" } }] };
    expect(say("zh", address, undefined, categoryKeyNames(names, "zh"))).toBe("网格长立案时已更正：地址：— → 建设路 14 号");
  });
});

describe("every role has a name", () => {
  it("in both languages, the service accounts of other ports too (a report's versions name its maker's role)", () => {
    const roles: Role[] = ["inspector", "leader", "operator", "department", "administrator", "service"];
    for (const r of roles) {
      expect(zh[`role.${r}` as keyof typeof zh], r).toBeTruthy();
      expect(en[`role.${r}` as keyof typeof en], r).toBeTruthy();
    }
  });
});
