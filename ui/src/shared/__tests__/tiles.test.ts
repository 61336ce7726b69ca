import { describe, expect, it } from "vitest";

import { fitView, project, viewBounds, type Bounds, type LonLat } from "../geo";
import { MAX_TILES, covering, tilesForView, toLonLat, toTileXY, zoomFor } from "../tiles";

const PENGJIANG: Bounds = { west: 113.0606, south: 22.5763, east: 113.0994, north: 22.5988 };

describe("tile arithmetic", () => {
  it("puts a position in the tile computed by hand (the engine's test, the same numbers)", () => {
    const [x, y] = toTileXY([113.08, 22.58], 16);
    expect(Math.floor(x)).toBe(53_353);
    expect(Math.floor(y)).toBe(28_546);
    expect(toTileXY([0, 0], 1)).toEqual([1, 1]);
  });

  it("goes back to the same position", () => {
    for (const p of [[113.0606, 22.5763], [-73.98, 40.75], [151.2, -33.87]] as LonLat[]) {
      for (const z of [0, 8, 17, 22]) {
        const [x, y] = toTileXY(p, z);
        const [lon, lat] = toLonLat(x, y, z);
        expect(lon).toBeCloseTo(p[0], 9);
        expect(lat).toBeCloseTo(p[1], 9);
      }
    }
  });

  it("chooses the level whose pixels match the scale, held to the package's levels", () => {
    // A zoom-17 pixel is 1.103 m at 22.58° N.
    expect(zoomFor(1.1, 22.58, 0, 24)).toBe(17);
    expect(zoomFor(0.5, 22.58, 0, 24)).toBe(18);
    expect(zoomFor(0.5, 22.58, 14, 17)).toBe(17);
    expect(zoomFor(500, 22.58, 14, 17)).toBe(14);
  });

  it("covers the part of the view inside the package, and nothing outside it", () => {
    const tiles = covering(PENGJIANG, PENGJIANG, 16);
    const [x0, y0] = toTileXY([PENGJIANG.west, PENGJIANG.north], 16).map(Math.floor);
    const [x1, y1] = toTileXY([PENGJIANG.east, PENGJIANG.south], 16).map(Math.floor);
    expect(tiles).toHaveLength((x1 - x0 + 1) * (y1 - y0 + 1));
    expect(tiles[0]).toEqual({ z: 16, x: x0, y: y0 });
    const elsewhere = { west: 120, south: 30, east: 120.1, north: 30.1 };
    expect(covering(elsewhere, PENGJIANG, 16)).toEqual([]);
  });
});

describe("the tiles a map view draws", () => {
  const source = { min_zoom: 14, max_zoom: 17, bounds: [PENGJIANG.west, PENGJIANG.south, PENGJIANG.east, PENGJIANG.north] };

  it("draws a tablet view of the whole grid at the level of its scale", () => {
    const view = fitView(PENGJIANG, 760, 900);
    const tiles = tilesForView(source, viewBounds(view, 760, 900), view.mpp);
    expect(tiles.length).toBeGreaterThan(0);
    expect(tiles.length).toBeLessThanOrEqual(MAX_TILES);
    expect(new Set(tiles.map((t) => t.z))).toEqual(new Set([zoomFor(view.mpp, 22.587, 14, 17)]));
  });

  it("places each tile between its corners in the map's own projection, edge to edge", () => {
    const proj = project(PENGJIANG, 760, 900);
    const tiles = tilesForView(source, PENGJIANG, proj.metresPerUnit);
    const [a, b] = tiles;
    const right = proj.toXY(toLonLat(a.x + 1, a.y, a.z))[0];
    expect(b.x).toBe(a.x + 1);
    expect(proj.toXY(toLonLat(b.x, b.y, b.z))[0]).toBeCloseTo(right, 9);
    // A Web Mercator tile is square on the ground; the map's local projection keeps it
    // square within a percent at city scale (so the streets in it are not stretched).
    const [x0, y0] = proj.toXY(toLonLat(a.x, a.y, a.z));
    const [x1, y1] = proj.toXY(toLonLat(a.x + 1, a.y + 1, a.z));
    expect((y1 - y0) / (x1 - x0)).toBeGreaterThan(0.99);
    expect((y1 - y0) / (x1 - x0)).toBeLessThan(1.01);
  });

  it("draws nothing for a view far coarser than the package", () => {
    const china = { west: 73, south: 18, east: 135, north: 53 };
    const wide = { ...source, bounds: [73, 18, 135, 53] };
    expect(tilesForView(wide, china, 5000)).toEqual([]);
  });
});
