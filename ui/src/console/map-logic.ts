// The city map's pure logic (city-map.tsx draws it): the view (pan and zoom around a point
// kept still), what the map's zoom is in the terms of the clustering library, the clusters
// and single reports in view, the names drawn at each zoom, the colours of the legend, and
// which page a report opens in. Tested in __tests__/map.test.ts.
//
// Clustering is supercluster's (npm): it clusters points in Web Mercator "zoom levels",
// where the world is 512 · 2^z pixels wide. The console draws its own local projection
// (../shared/geo.ts) at any scale, so a scale in metres per pixel is turned into the zoom
// level with the same metres per pixel at the map's latitude, and back.
import Supercluster from "supercluster";

import type { Bounds, LonLat, View } from "../shared/geo";
import { M_PER_DEG_LAT, M_PER_DEG_LON_EQUATOR, viewBounds, viewProjection } from "../shared/geo";
import type { CaseState, GridCells, MapPoint } from "../shared/types";
import type { QueueQuery } from "./logic";

/** The reports a map shows when its address names no state: every one not yet settled. */
export const OPEN_STATES: CaseState[] = [
  "awaiting_check",
  "awaiting_photos",
  "pending_review",
  "returned",
  "registered",
  "dispatched",
  "in_progress",
  "handled",
  "suspended",
];
/** Every state the map's filter offers, in the loop's order. */
export const MAP_STATES: CaseState[] = [...OPEN_STATES, "closed", "rejected", "merged"];

/** A colour per state, for the dots and the legend (the badges' hues, darker to read on a
 * map). */
export const STATE_COLOURS: Record<CaseState, string> = {
  awaiting_check: "#a04000",
  awaiting_photos: "#b7950b",
  pending_review: "#e67e22",
  returned: "#d35400",
  rejected: "#7f8c8d",
  merged: "#95a5a6",
  registered: "#2e86c1",
  dispatched: "#1f4e9c",
  in_progress: "#154360",
  handled: "#8e44ad",
  suspended: "#5d6d7e",
  closed: "#1e8449",
};

/** The closest and the farthest a map zooms, in metres per pixel. */
export const MIN_MPP = 0.25;
export const MAX_MPP = 200;

/** Keeps a scale within what the map zooms to. */
export function clampMpp(mpp: number): number {
  return Math.min(MAX_MPP, Math.max(MIN_MPP, mpp));
}

/** `v` zoomed by `factor` (> 1 zooms in) about the view point (`x`, `y`) of a `width` ×
 * `height` map, which stays where it is on screen. */
export function zoomAt(v: View, factor: number, x: number, y: number, width: number, height: number): View {
  const mpp = clampMpp(v.mpp / factor);
  const under = viewProjection(v, width, height).toLonLat(x, y);
  return anchored(under, x - width / 2, y - height / 2, mpp);
}

/** `v` moved by a drag of (`dx`, `dy`) pixels (the map follows the pointer). */
export function pan(v: View, dx: number, dy: number): View {
  return anchored(v.centre, dx, dy, v.mpp);
}

/** The view at scale `mpp` that shows `p` (`ox`, `oy`) pixels off its middle. The latitude
 * first: the scale of longitudes depends on the centre's. */
function anchored(p: LonLat, ox: number, oy: number, mpp: number): View {
  const lat = p[1] + (oy * mpp) / M_PER_DEG_LAT;
  const mx = M_PER_DEG_LON_EQUATOR * Math.cos(lat * (Math.PI / 180));
  return { centre: [p[0] - (ox * mpp) / mx, lat], mpp };
}

const EQUATOR_M = 40_075_016.686;
const TILE = 512;

/** The Web Mercator zoom level whose pixels are `mpp` metres at latitude `lat`. */
export function zoomOf(mpp: number, lat: number): number {
  return Math.log2((EQUATOR_M * Math.cos(lat * (Math.PI / 180))) / (mpp * TILE));
}

/** The metres per pixel of Web Mercator zoom level `z` at latitude `lat`. */
export function mppOf(z: number, lat: number): number {
  return (EQUATOR_M * Math.cos(lat * (Math.PI / 180))) / (TILE * 2 ** z);
}

/** Past this zoom level every report is drawn alone (about half a metre a pixel). */
export const CLUSTER_MAX_ZOOM = 17;
/** How near, in pixels, reports are gathered into one cluster. */
export const CLUSTER_RADIUS = 48;

export interface PointProps {
  id: string;
  overdue: number;
}

/** The clustering index over `points`: a cluster carries how many of its reports are
 * overdue. */
export function clusterIndex(points: MapPoint[]): Supercluster<PointProps, { overdue: number }> {
  const index = new Supercluster<PointProps, { overdue: number }>({
    radius: CLUSTER_RADIUS,
    maxZoom: CLUSTER_MAX_ZOOM,
    map: (p) => ({ overdue: p.overdue }),
    reduce: (acc, p) => {
      acc.overdue += p.overdue;
    },
  });
  index.load(
    points.map((p) => ({
      type: "Feature" as const,
      geometry: { type: "Point" as const, coordinates: [p.lon, p.lat] },
      properties: { id: p.id, overdue: p.overdue ? 1 : 0 },
    })),
  );
  return index;
}

/** What the map draws at a place: a cluster of reports, or one report. */
export type Mark =
  | { kind: "cluster"; id: number; at: LonLat; count: number; overdue: number }
  | { kind: "point"; at: LonLat; point: MapPoint };

/** The clusters and single reports inside the view `v` of a `width` × `height` map. */
export function marksIn(
  index: Supercluster<PointProps, { overdue: number }>,
  byId: Map<string, MapPoint>,
  v: View,
  width: number,
  height: number,
): Mark[] {
  const b = viewBounds(v, width, height);
  // A margin, so a cluster just off the edge still shows its part.
  const mx = (b.east - b.west) * 0.1;
  const my = (b.north - b.south) * 0.1;
  const z = Math.max(0, Math.min(CLUSTER_MAX_ZOOM + 1, Math.floor(zoomOf(v.mpp, v.centre[1]))));
  const out: Mark[] = [];
  for (const f of index.getClusters([b.west - mx, b.south - my, b.east + mx, b.north + my], z)) {
    const at = f.geometry.coordinates as LonLat;
    const p = f.properties as Partial<{ cluster: boolean; cluster_id: number; point_count: number; overdue: number; id: string }>;
    if (p.cluster && p.cluster_id !== undefined) {
      out.push({ kind: "cluster", id: p.cluster_id, at, count: p.point_count ?? 0, overdue: p.overdue ?? 0 });
    } else if (p.id) {
      const point = byId.get(p.id);
      if (point) out.push({ kind: "point", at, point });
    }
  }
  return out;
}

/** The view that opens a cluster: centred on it, at the scale where it first splits. */
export function expand(index: Supercluster<PointProps, { overdue: number }>, m: Extract<Mark, { kind: "cluster" }>, v: View): View {
  const z = index.getClusterExpansionZoom(m.id);
  // Half a level past the split, so the reports stand apart.
  return { centre: m.at, mpp: clampMpp(Math.min(v.mpp / 2, mppOf(z + 0.5, m.at[1]))) };
}

/** Which names a map draws at a scale: the streets' from afar, the communities' nearer, and
 * each cell's number up close. */
export function labelLevel(mpp: number): "street" | "community" | "cell" {
  if (mpp > 3) return "street";
  if (mpp > 1) return "community";
  return "cell";
}

export interface PlaceLabel {
  key: string;
  name: string;
  at: LonLat;
}

/** The labels of the grid's streets, communities or cells: each at the middle of its cells'
 * centres, named as the grid names it (the code where it has no name). */
export function placeLabels(grid: GridCells, level: "street" | "community" | "cell"): PlaceLabel[] {
  const groups = new Map<string, { name: string; lon: number; lat: number; n: number }>();
  for (const f of grid.features) {
    const p = f.properties;
    const ring = f.geometry.coordinates[0] ?? [];
    if (ring.length === 0) continue;
    // The ring's vertices, the closing one once.
    const corners = ring.length > 1 ? ring.slice(0, -1) : ring;
    const lon = corners.reduce((s, c) => s + c[0], 0) / corners.length;
    const lat = corners.reduce((s, c) => s + c[1], 0) / corners.length;
    const [key, name] =
      level === "street"
        ? [p.street_code, p.street_name ?? p.street_code]
        : level === "community"
          ? [p.community_code, p.community_name ?? p.community_code]
          : [p.code, p.code.slice(12)];
    const g = groups.get(key) ?? { name, lon: 0, lat: 0, n: 0 };
    g.lon += lon;
    g.lat += lat;
    g.n += 1;
    groups.set(key, g);
  }
  return [...groups.entries()].map(([key, g]) => ({ key, name: g.name, at: [g.lon / g.n, g.lat / g.n] as LonLat }));
}

/** The box around the grid's cells, or null for an empty grid. */
export function gridBounds(grid: GridCells): Bounds | null {
  let b: Bounds | null = null;
  for (const f of grid.features) {
    for (const [lon, lat] of f.geometry.coordinates[0] ?? []) {
      b = b
        ? { west: Math.min(b.west, lon), south: Math.min(b.south, lat), east: Math.max(b.east, lon), north: Math.max(b.north, lat) }
        : { west: lon, south: lat, east: lon, north: lat };
    }
  }
  return b;
}

/** The address a report opens at: the review page while it is undecided (or was refused
 * there), the cases page once it is a case. */
export function reportHref(p: Pick<MapPoint, "id" | "state">): string {
  const review: CaseState[] = ["awaiting_photos", "pending_review", "returned", "rejected", "merged"];
  return `#/${review.includes(p.state) ? "review" : "cases"}/${p.id}`;
}

/** The map's request: the address's filter, every open state when it names none. */
export function mapRequest(query: QueueQuery): QueueQuery {
  return { ...query, state: query.state ?? OPEN_STATES.join(",") };
}

/** How many of `points` are in each state, in the legend's order (states with none left
 * out). */
export function stateCounts(points: MapPoint[]): { state: CaseState; count: number }[] {
  const n = new Map<CaseState, number>();
  for (const p of points) n.set(p.state, (n.get(p.state) ?? 0) + 1);
  return MAP_STATES.filter((s) => n.has(s)).map((state) => ({ state, count: n.get(state) ?? 0 }));
}
