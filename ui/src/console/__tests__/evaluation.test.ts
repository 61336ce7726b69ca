import { describe, expect, it } from "vitest";

import type { GroupBy } from "../../shared/types";
import { en } from "../i18n/en";
import { zh } from "../i18n/zh";
import { GROUPINGS, isPlace, noneKey } from "../pages/evaluation";

describe("the evaluation page", () => {
  it("offers every grouping the server knows, each named in both languages", () => {
    const all: GroupBy[] = ["cell", "community", "street", "team", "inspector", "department", "category", "source"];
    expect(GROUPINGS).toEqual(all);
    for (const g of GROUPINGS) {
      expect(zh[`eval.by.${g}` as keyof typeof zh]).toBeTruthy();
      expect(en[`eval.by.${g}` as keyof typeof en]).toBeTruthy();
    }
  });
  it("names the group without a key instead of leaving it blank", () => {
    expect(noneKey("cell")).toBe("eval.none.place");
    expect(noneKey("street")).toBe("eval.none.place");
    expect(zh["eval.none.place"]).toBe("网格外");
    expect(en["eval.none.place"]).toBe("Outside the grid");
    expect(noneKey("team")).toBe("eval.none.team");
    expect(noneKey("department")).toBe("eval.none.department");
    expect(noneKey("inspector")).toBeNull();
    expect(noneKey("category")).toBeNull();
  });
  it("offers GeoJSON only for groupings with an outline", () => {
    expect(GROUPINGS.filter(isPlace)).toEqual(["cell", "community", "street"]);
  });
});
