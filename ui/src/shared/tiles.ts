// The tiles of an offline basemap a view needs: the Web Mercator tile arithmetic (the same
// as the engine's, crates/field/src/basemap/tiles.rs) and the choice of zoom level and
// tiles for a view. The map draws each tile between its corners' positions projected with
// its own projection (geo.ts), so streets stay on the cells whatever the projection; within
// a tile of a city-scale view the two projections differ by far less than a pixel.

import type { Bounds, LonLat } from "./geo";

/** Where Web Mercator's square ends, in degrees of latitude. */
export const MAX_LAT = 85.0511287798066;
/** Ground metres per pixel of a 256-pixel tile at zoom 0 on the equator. */
export const EQUATOR_M_PER_PX_Z0 = 156_543.033928041;

export interface Tile {
  z: number;
  x: number;
  y: number;
}

/** Where a position falls at zoom `z`, in (fractional) tiles from the north-west. */
export function toTileXY([lon, lat]: LonLat, z: number): [number, number] {
  const n = 2 ** z;
  const phi = (Math.max(-MAX_LAT, Math.min(MAX_LAT, lat)) * Math.PI) / 180;
  return [((lon + 180) / 360) * n, ((1 - Math.asinh(Math.tan(phi)) / Math.PI) / 2) * n];
}

/** The position of a point in (fractional) tiles: a tile's north-west corner for whole numbers. */
export function toLonLat(x: number, y: number, z: number): LonLat {
  const n = 2 ** z;
  return [(x / n) * 360 - 180, (Math.atan(Math.sinh(Math.PI * (1 - (2 * y) / n))) * 180) / Math.PI];
}

/** The zoom level whose pixels are nearest `mpp` ground metres at latitude `lat`, held to
 * the package's levels (beyond its deepest, its tiles are drawn larger). */
export function zoomFor(mpp: number, lat: number, min: number, max: number): number {
  const exact = Math.log2((EQUATOR_M_PER_PX_Z0 * Math.cos((lat * Math.PI) / 180)) / mpp);
  if (!Number.isFinite(exact)) return max;
  return Math.max(min, Math.min(max, Math.round(exact)));
}

/** The tiles at zoom `z` covering the part of `view` inside `within` (the package's bounds),
 * or none when they do not meet or would be more than `limit`. */
export function covering(view: Bounds, within: Bounds, z: number, limit = Infinity): Tile[] {
  const west = Math.max(view.west, within.west);
  const east = Math.min(view.east, within.east);
  const south = Math.max(view.south, within.south);
  const north = Math.min(view.north, within.north);
  if (west >= east || south >= north) return [];
  const last = 2 ** z - 1;
  const clamp = (v: number) => Math.max(0, Math.min(last, Math.floor(v)));
  const [x0, y0] = toTileXY([west, north], z).map(clamp);
  const [x1, y1] = toTileXY([east, south], z).map(clamp);
  if ((x1 - x0 + 1) * (y1 - y0 + 1) > limit) return [];
  const tiles: Tile[] = [];
  for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) tiles.push({ z, x, y });
  return tiles;
}

/** What a package offers the map: its levels and its box (the engine's `BasemapInfo`). */
export interface TileSource {
  min_zoom: number;
  max_zoom: number;
  /** West, south, east, north. */
  bounds: number[];
}

/** Most tiles drawn at once: a tablet-sized view needs some 20; more means the view is far
 * coarser than the package (the whole city at a street package's levels), where the map
 * shows the cells alone rather than load hundreds of pictures. */
export const MAX_TILES = 64;

/** The tiles to draw for a view of `view` at `mpp` metres per view unit. */
export function tilesForView(source: TileSource, view: Bounds, mpp: number): Tile[] {
  const [west, south, east, north] = source.bounds;
  const within = { west, south, east, north };
  const z = zoomFor(mpp, (view.south + view.north) / 2, source.min_zoom, source.max_zoom);
  return covering(view, within, z, MAX_TILES);
}
