// The map's projection, which the tablet's map and the console's cell map share.
import { describe, expect, it } from "vitest";

import { boundsOf, pad, project } from "../geo";

describe("map projection", () => {
  const b = pad(boundsOf([[113.08, 22.58], [113.09, 22.59]])!, 10);

  it("round-trips a point and keeps north up", () => {
    const p = project(b, 800, 600);
    const [x, y] = p.toXY([113.085, 22.585]);
    const [lon, lat] = p.toLonLat(x, y);
    expect(lon).toBeCloseTo(113.085, 9);
    expect(lat).toBeCloseTo(22.585, 9);
    expect(p.toXY([113.085, 22.589])[1]).toBeLessThan(y);
  });

  it("fits the box with one scale on both axes", () => {
    const p = project(b, 800, 600);
    const [x0, y0] = p.toXY([b.west, b.north]);
    const [x1, y1] = p.toXY([b.east, b.south]);
    expect(Math.min(x0, y0)).toBeGreaterThanOrEqual(-1e-6);
    expect(x1).toBeLessThanOrEqual(800 + 1e-6);
    expect(y1).toBeLessThanOrEqual(600 + 1e-6);
    // ~1 km across 600 units: a bit under 2 m per unit.
    expect(p.metresPerUnit).toBeGreaterThan(1);
    expect(p.metresPerUnit).toBeLessThan(2.5);
    expect(boundsOf([])).toBeNull();
  });
});
