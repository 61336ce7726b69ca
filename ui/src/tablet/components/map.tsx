// The map without a tile server: the grid's cells drawn from the reference GeoJSON, the
// inspector's own cells marked, reports as pins coloured by state, the device's position
// with its accuracy circle, and (when placing a report) a marker the inspector can tap or
// drag to correct the position. Under the cells, the streets of the offline basemap when
// one is installed (the session's `info.basemap`): the tiles the view needs at the level
// nearest its scale (../../shared/tiles.ts), each placed between its corners projected with
// this map's own projection, so the streets line up with the cells; its credit line in the
// corner. Without a package, the cells alone. On a 部件 report, the nearby components of its
// 小类 as small square marks (`spots`), the chosen one filled; tapping one picks it.
//
// Only the device's position is a round dot, and only it is blue (style.css keeps blue for
// it alone): a report's pin is a drop-shaped marker, so a report is never taken for "where
// I am". The position is drawn from the `position` given and from nothing else, the same
// value the screen's words about the fix come from.
import { useRef, useState } from "preact/hooks";

import { boundsOf, pad, project, type LonLat, type Projection } from "../../shared/geo";
import { tilesForView, toLonLat, type Tile } from "../../shared/tiles";
import { api } from "../api";
import type { BasemapInfo, CellOutline } from "../commands";
import { useSession } from "../session";

export interface Pin {
  id: string;
  at: LonLat;
  /** A CSS class: the report's state. */
  state: string;
}

/** A component's mark: small and square, so it is taken neither for a report nor for the
 * position. */
export interface Spot {
  id: string;
  at: LonLat;
  chosen: boolean;
}

export interface MapProps {
  cells: CellOutline[];
  pins?: Pin[];
  spots?: Spot[];
  onSpot?: (id: string) => void;
  position?: { at: LonLat; accuracy_m: number } | null;
  marker?: LonLat | null;
  /** Called when the marker is placed by hand, with the scale (metres per view unit). */
  onPlace?: (at: LonLat, metresPerUnit: number) => void;
  onPin?: (id: string) => void;
  /** The words beside the position's dot ("我的位置"). */
  positionLabel?: string;
  /** Show this much around the marker (metres) instead of the inspector's cells. */
  zoomToMarker?: number;
  width?: number;
  height?: number;
}

/** The basemap's tiles for the view `proj` shows, or none where the package does not
 * cover it (or the view is far coarser than its levels). */
function tilesFor(basemap: BasemapInfo | null, proj: Projection, width: number, height: number): Tile[] {
  if (!basemap) return [];
  const [west, north] = proj.toLonLat(0, 0);
  const [east, south] = proj.toLonLat(width, height);
  return tilesForView(basemap, { west, south, east, north }, proj.metresPerUnit);
}

/** The tiles, under everything else. A tile marks itself `data-loaded` or `data-failed`
 * once the WebView has it (the app's tests read it). */
function Basemap({ basemap, tiles, proj }: { basemap: BasemapInfo; tiles: Tile[]; proj: Projection }) {
  const mark = (e: Event, as: string) => (e.currentTarget as Element).setAttribute(as, "");
  return (
    <g class="basemap">
      {tiles.map((t) => {
        const [x0, y0] = proj.toXY(toLonLat(t.x, t.y, t.z));
        const [x1, y1] = proj.toXY(toLonLat(t.x + 1, t.y + 1, t.z));
        return (
          <image
            key={`${basemap.version}/${t.z}/${t.x}/${t.y}`}
            class="tile"
            href={api.tileUrl(basemap.version, t)}
            x={x0}
            y={y0}
            width={x1 - x0}
            height={y1 - y0}
            preserveAspectRatio="none"
            onLoad={(e) => mark(e, "data-loaded")}
            onError={(e) => mark(e, "data-failed")}
          />
        );
      })}
    </g>
  );
}

export function GridMap({ cells, pins = [], spots = [], onSpot, position, marker, onPlace, onPin, positionLabel, zoomToMarker, width = 760, height = 560 }: MapProps) {
  const svg = useRef<SVGSVGElement>(null);
  const basemap = useSession().info?.basemap ?? null;
  const [dragging, setDragging] = useState<LonLat | null>(null);
  const mine = cells.filter((c) => c.mine);
  const focus: LonLat[] =
    zoomToMarker && marker
      ? [marker]
      : (mine.length ? mine : cells).flatMap((c) => c.ring as LonLat[]);
  const b = boundsOf(focus.length ? focus : pins.map((p) => p.at));
  if (!b) return <svg class="map" viewBox={`0 0 ${width} ${height}`} />;
  const proj = project(pad(b, zoomToMarker && marker ? zoomToMarker : 40), width, height);
  const tiles = tilesFor(basemap, proj, width, height);
  const path = (ring: number[][]) =>
    ring.map((p, i) => `${i ? "L" : "M"}${proj.toXY(p as LonLat).map((v) => v.toFixed(1)).join(",")}`).join("") + "Z";

  const toView = (e: PointerEvent): [number, number] | null => {
    const el = svg.current;
    const m = el?.getScreenCTM();
    if (!el || !m) return null;
    const pt = new DOMPoint(e.clientX, e.clientY).matrixTransform(m.inverse());
    return [pt.x, pt.y];
  };
  const place = (e: PointerEvent, done: boolean) => {
    if (!onPlace) return;
    const v = toView(e);
    if (!v) return;
    const at = proj.toLonLat(v[0], v[1]);
    if (done) {
      setDragging(null);
      onPlace(at, proj.metresPerUnit);
    } else setDragging(at);
  };
  const shown = dragging ?? marker;
  return (
    <svg
      ref={svg}
      class={`map${onPlace ? " placing" : ""}${tiles.length ? " with-basemap" : ""}`}
      viewBox={`0 0 ${width} ${height}`}
      onPointerDown={(e) => {
        if (!onPlace) return;
        (e.currentTarget as Element).setPointerCapture?.(e.pointerId);
        place(e, false);
      }}
      onPointerMove={(e) => dragging && place(e, false)}
      onPointerUp={(e) => onPlace && place(e, true)}
    >
      {basemap && tiles.length > 0 && <Basemap basemap={basemap} tiles={tiles} proj={proj} />}
      {cells.map((c) => (
        <path key={c.code} d={path(c.ring)} class={c.mine ? "cell mine" : "cell"} data-cell={c.code} />
      ))}
      {spots.map((s) => (
        <g
          key={s.id}
          class={`component-spot${s.chosen ? " chosen" : ""}`}
          data-component={s.id}
          transform={`translate(${proj.toXY(s.at).join(",")})`}
          onPointerDown={(e) => onSpot && e.stopPropagation()}
          onPointerUp={(e) => onSpot && e.stopPropagation()}
          onClick={() => onSpot?.(s.id)}
        >
          <rect x={-7} y={-7} width={14} height={14} />
        </g>
      ))}
      {pins.map((p) => (
        <g
          key={p.id}
          class={`pin ${p.state}`}
          data-report={p.id}
          transform={`translate(${proj.toXY(p.at).join(",")})`}
          onClick={() => onPin?.(p.id)}
        >
          <path d="M0,0 L-9,-19 A10,10 0 1,1 9,-19 Z" />
          <circle cy={-22} r={4} class="hole" />
        </g>
      ))}
      {position && (
        <g class="position" transform={`translate(${proj.toXY(position.at).join(",")})`}>
          <circle r={Math.max(position.accuracy_m / proj.metresPerUnit, 4)} class="accuracy" />
          <circle r={8} class="dot" />
          {positionLabel && (
            <text x={13} y={5} class="label">
              {positionLabel}
            </text>
          )}
        </g>
      )}
      {tiles.length > 0 && basemap?.attribution && (
        <text class="attribution" x={width - 8} y={height - 8} text-anchor="end">
          {basemap.attribution}
        </text>
      )}
      {shown && (
        <g class="marker" transform={`translate(${proj.toXY(shown).join(",")})`}>
          <path d="M0,0 L-12,-30 A13,13 0 1,1 12,-30 Z" />
          <circle cy={-32} r={5} fill="#fff" />
        </g>
      )}
    </svg>
  );
}
