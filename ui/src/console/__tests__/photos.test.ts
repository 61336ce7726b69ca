import { describe, expect, it } from "vitest";

import { fitted, hex, uuidv7 } from "../photos";

describe("a department's after-photos", () => {
  it("are scaled to at most 1600 pixels on the long side, never enlarged", () => {
    expect(fitted(4000, 3000)).toEqual({ width: 1600, height: 1200 });
    expect(fitted(3000, 4000)).toEqual({ width: 1200, height: 1600 });
    expect(fitted(800, 600)).toEqual({ width: 800, height: 600 });
    expect(fitted(5000, 1)).toEqual({ width: 1600, height: 1 });
  });
  it("are named by UUIDv7s that sort by time", () => {
    const zeros = (n: number) => new Uint8Array(n);
    const a = uuidv7(1_764_000_000_000, zeros);
    const b = uuidv7(1_764_000_000_001, zeros);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    expect(a.slice(0, 13).replace("-", "")).toBe((1_764_000_000_000).toString(16).padStart(12, "0"));
    expect(uuidv7()).not.toBe(uuidv7());
  });
  it("are hashed as lower-case hex", () => {
    expect(hex(new Uint8Array([0, 15, 255]).buffer)).toBe("000fff");
  });
});
