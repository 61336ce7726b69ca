// Drawing the grid without a tile server: positions are projected to the screen with a
// local equirectangular projection around the area shown (within a district its error is
// far below GPS accuracy), and back again when the inspector places a marker by hand.

export type LonLat = [number, number];

export interface Bounds {
  west: number;
  south: number;
  east: number;
  north: number;
}

/** Metres per degree of latitude, and of longitude at the equator (the projection's scale). */
export const M_PER_DEG_LAT = 110_574;
export const M_PER_DEG_LON_EQUATOR = 111_320;

/** The box around every point given, or null for none. */
export function boundsOf(points: Iterable<LonLat>): Bounds | null {
  let b: Bounds | null = null;
  for (const [lon, lat] of points) {
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) continue;
    b = b
      ? { west: Math.min(b.west, lon), south: Math.min(b.south, lat), east: Math.max(b.east, lon), north: Math.max(b.north, lat) }
      : { west: lon, south: lat, east: lon, north: lat };
  }
  return b;
}

/** `b` grown by `metres` on every side (so a single point still shows its surroundings). */
export function pad(b: Bounds, metres: number): Bounds {
  const dLat = metres / M_PER_DEG_LAT;
  const dLon = metres / (M_PER_DEG_LON_EQUATOR * Math.cos(((b.south + b.north) / 2) * (Math.PI / 180)));
  return { west: b.west - dLon, south: b.south - dLat, east: b.east + dLon, north: b.north + dLat };
}

/** Maps between lon/lat and a `width` × `height` view showing all of `b`, north up, the
 * same scale on both axes. */
export interface Projection {
  toXY(p: LonLat): [number, number];
  toLonLat(x: number, y: number): LonLat;
  /** Metres per view unit. */
  metresPerUnit: number;
}

export function project(b: Bounds, width: number, height: number): Projection {
  const midLat = (b.south + b.north) / 2;
  const mx = M_PER_DEG_LON_EQUATOR * Math.cos(midLat * (Math.PI / 180));
  const spanX = Math.max((b.east - b.west) * mx, 1);
  const spanY = Math.max((b.north - b.south) * M_PER_DEG_LAT, 1);
  const metresPerUnit = Math.max(spanX / width, spanY / height);
  const cx = (b.west + b.east) / 2;
  const cy = midLat;
  return {
    metresPerUnit,
    toXY: ([lon, lat]) => [
      width / 2 + ((lon - cx) * mx) / metresPerUnit,
      height / 2 - ((lat - cy) * M_PER_DEG_LAT) / metresPerUnit,
    ],
    toLonLat: (x, y) => [
      cx + ((x - width / 2) * metresPerUnit) / mx,
      cy - ((y - height / 2) * metresPerUnit) / M_PER_DEG_LAT,
    ],
  };
}

/** What a zoomable map shows: the position at its centre and its scale. */
export interface View {
  /** The centre, lon/lat. */
  centre: LonLat;
  /** Metres on the ground per view unit (a CSS pixel). */
  mpp: number;
}

/** The same projection as `project`, for a `width` × `height` view of `v`: a view that can
 * be panned and zoomed instead of one fitted to a box. */
export function viewProjection(v: View, width: number, height: number): Projection {
  const [cx, cy] = v.centre;
  const mx = M_PER_DEG_LON_EQUATOR * Math.cos(cy * (Math.PI / 180));
  return {
    metresPerUnit: v.mpp,
    toXY: ([lon, lat]) => [width / 2 + ((lon - cx) * mx) / v.mpp, height / 2 - ((lat - cy) * M_PER_DEG_LAT) / v.mpp],
    toLonLat: (x, y) => [cx + ((x - width / 2) * v.mpp) / mx, cy - ((y - height / 2) * v.mpp) / M_PER_DEG_LAT],
  };
}

/** The view of a `width` × `height` map that shows all of `b`, centred. */
export function fitView(b: Bounds, width: number, height: number): View {
  const p = project(b, width, height);
  return { centre: [(b.west + b.east) / 2, (b.south + b.north) / 2], mpp: p.metresPerUnit };
}

/** The box a view shows. */
export function viewBounds(v: View, width: number, height: number): Bounds {
  const p = viewProjection(v, width, height);
  const [west, north] = p.toLonLat(0, 0);
  const [east, south] = p.toLonLat(width, height);
  return { west, south, east, north };
}
