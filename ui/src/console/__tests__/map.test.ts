import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

import { fitView, viewProjection, type View } from "../../shared/geo";
import type { CaseState, GridCells, MapPoint } from "../../shared/types";
import { route, sectionsFor } from "../logic";
import {
  clampMpp,
  clusterIndex,
  expand,
  gridBounds,
  labelLevel,
  mapRequest,
  marksIn,
  MAX_MPP,
  MIN_MPP,
  mppOf,
  OPEN_STATES,
  pan,
  placeLabels,
  reportHref,
  stateCounts,
  zoomAt,
  zoomOf,
} from "../map-logic";

/** The fixture grid as the centre answers `GET /v1/console/grid`. */
function fixtureGrid(): GridCells {
  const raw = JSON.parse(readFileSync(resolve(process.cwd(), "../fixtures/grid/440703-pengjiang.geojson"), "utf8"));
  return {
    type: "FeatureCollection",
    features: raw.features.map((f: { id: string; properties: Record<string, string>; geometry: { coordinates: [number, number][][] } }) => ({
      type: "Feature",
      id: f.id,
      properties: {
        code: f.id,
        street_code: f.id.slice(0, 9),
        street_name: f.properties.street_name ?? null,
        community_code: f.id.slice(0, 12),
        community_name: f.properties.community_name ?? null,
      },
      geometry: { type: "Polygon", coordinates: f.geometry.coordinates },
    })),
  };
}

let n = 0;
function point(lon: number, lat: number, state: CaseState = "pending_review", overdue = false): MapPoint {
  n += 1;
  return { id: `r${n}`, lon, lat, state, urgent: false, overdue, kind: "event", category: "0507", case_no: null };
}

describe("the map's view", () => {
  const v: View = { centre: [113.08, 22.587], mpp: 10 };

  it("zooms about the pointer, which stays where it was on screen", () => {
    const before = viewProjection(v, 800, 600).toLonLat(200, 150);
    const z = zoomAt(v, 2, 200, 150, 800, 600);
    expect(z.mpp).toBeCloseTo(5);
    const [x, y] = viewProjection(z, 800, 600).toXY(before);
    expect(x).toBeCloseTo(200, 6);
    expect(y).toBeCloseTo(150, 6);
    // About the middle, the centre does not move.
    expect(zoomAt(v, 2, 400, 300, 800, 600).centre).toEqual(v.centre);
  });

  it("stays within its closest and farthest zoom", () => {
    expect(zoomAt({ ...v, mpp: MIN_MPP }, 4, 0, 0, 800, 600).mpp).toBe(MIN_MPP);
    expect(zoomAt({ ...v, mpp: MAX_MPP }, 1 / 4, 0, 0, 800, 600).mpp).toBe(MAX_MPP);
    expect(clampMpp(0)).toBe(MIN_MPP);
  });

  it("follows a drag: what was under the pointer moves with it", () => {
    const moved = pan(v, 50, -20);
    const [cx, cy] = viewProjection(moved, 800, 600).toXY(v.centre);
    expect(cx).toBeCloseTo(450, 6);
    expect(cy).toBeCloseTo(280, 6);
    // Elsewhere too, to within a hundredth of a pixel (a longitude's scale follows the
    // centre's latitude).
    const under = viewProjection(v, 800, 600).toLonLat(300, 300);
    const [x, y] = viewProjection(moved, 800, 600).toXY(under);
    expect(Math.abs(x - 350)).toBeLessThan(0.01);
    expect(Math.abs(y - 280)).toBeLessThan(0.01);
  });

  it("speaks the clustering's zoom levels at the map's latitude", () => {
    for (const z of [10, 14.5, 18]) expect(zoomOf(mppOf(z, 22.6), 22.6)).toBeCloseTo(z, 9);
    // Level 18 is about a quarter of a metre a pixel in 江门.
    expect(mppOf(18, 22.6)).toBeGreaterThan(0.2);
    expect(mppOf(18, 22.6)).toBeLessThan(0.35);
  });
});

describe("clusters", () => {
  const grid = fixtureGrid();
  const whole = fitView(gridBounds(grid)!, 1000, 700);

  it("gather crowded reports when zoomed out and part them when zoomed in", () => {
    // Twenty reports within about 30 m of one another, and one far away.
    const near = Array.from({ length: 20 }, (_, i) => point(113.0631 + (i % 5) * 0.00006, 22.5983 + Math.floor(i / 5) * 0.00006, "dispatched", i < 3));
    const far = point(113.095, 22.58);
    const points = [...near, far];
    const index = clusterIndex(points);
    const byId = new Map(points.map((p) => [p.id, p]));
    const out = marksIn(index, byId, whole, 1000, 700);
    const clusters = out.filter((m) => m.kind === "cluster");
    expect(clusters).toHaveLength(1);
    const c = clusters[0];
    if (c.kind !== "cluster") throw new Error("a cluster");
    expect([c.count, c.overdue]).toEqual([20, 3]);
    expect(out.filter((m) => m.kind === "point").map((m) => (m.kind === "point" ? m.point.id : ""))).toEqual([far.id]);
    // Opening the cluster zooms in on it until it splits.
    const opened = expand(index, c, whole);
    expect(opened.mpp).toBeLessThan(whole.mpp / 2 + 1e-9);
    expect(opened.centre).toEqual(c.at);
    // Up close every report stands alone.
    const close = { centre: c.at, mpp: MIN_MPP };
    const alone = marksIn(index, byId, close, 1000, 700);
    expect(alone.every((m) => m.kind === "point")).toBe(true);
    expect(alone).toHaveLength(20);
  });

  it("leave out what is outside the view", () => {
    const points = [point(113.0631, 22.5983), point(113.095, 22.58)];
    const index = clusterIndex(points);
    const byId = new Map(points.map((p) => [p.id, p]));
    const out = marksIn(index, byId, { centre: [113.0631, 22.5983], mpp: 0.5 }, 800, 600);
    expect(out.map((m) => (m.kind === "point" ? m.point.id : "cluster"))).toEqual([points[0].id]);
  });
});

describe("the grid's names", () => {
  const grid = fixtureGrid();

  it("are the streets' from afar, the communities' nearer, each cell's number up close", () => {
    expect(labelLevel(4)).toBe("street");
    expect(labelLevel(2)).toBe("community");
    expect(labelLevel(0.8)).toBe("cell");
    const streets = placeLabels(grid, "street");
    expect(streets.map((l) => l.name)).toContain("环市街道");
    expect(new Set(streets.map((l) => l.key)).size).toBe(streets.length);
    const communities = placeLabels(grid, "community");
    expect(communities.find((l) => l.key === "440703001001")?.name).toBe("东华社区");
    const cells = placeLabels(grid, "cell");
    expect(cells).toHaveLength(grid.features.length);
    expect(cells.find((l) => l.key === "440703001001001")?.name).toBe("001");
    // Each label lies within the grid.
    const b = gridBounds(grid)!;
    for (const l of [...streets, ...communities]) {
      expect(l.at[0]).toBeGreaterThan(b.west);
      expect(l.at[0]).toBeLessThan(b.east);
    }
  });
});

describe("the map page", () => {
  it("opens undecided reports on the review page and cases on the cases page", () => {
    expect(reportHref({ id: "a", state: "pending_review" })).toBe("#/review/a");
    expect(reportHref({ id: "b", state: "rejected" })).toBe("#/review/b");
    expect(reportHref({ id: "c", state: "dispatched" })).toBe("#/cases/c");
    expect(reportHref({ id: "d", state: "closed" })).toBe("#/cases/d");
  });

  it("asks for the open reports unless the address names states", () => {
    expect(mapRequest({})).toEqual({ state: OPEN_STATES.join(",") });
    expect(mapRequest({ state: "closed", due: "overdue" })).toEqual({ state: "closed", due: "overdue" });
  });

  it("counts the legend's states in the loop's order", () => {
    const pts = [point(1, 1, "dispatched"), point(1, 1, "pending_review"), point(1, 1, "dispatched")];
    expect(stateCounts(pts)).toEqual([
      { state: "pending_review", count: 1 },
      { state: "dispatched", count: 2 },
    ]);
  });

  it("is a section of leaders and operators, with the filter in its address", () => {
    expect(sectionsFor("leader")).toContain("map");
    expect(sectionsFor("operator")).toContain("overview");
    expect(sectionsFor("department")).not.toContain("map");
    expect(route("#/map?due=overdue&state=dispatched", sectionsFor("operator"))).toEqual({
      section: "map",
      id: null,
      refused: null,
      query: { due: "overdue", state: "dispatched" },
    });
  });
});
