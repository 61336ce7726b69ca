// The city map, drawn offline: the centre's grid cells as SVG outlines (named by street,
// community or cell number as the map zooms in) and the reports as dots coloured by state,
// gathered into numbered clusters when they crowd (map-logic.ts). Wheel, drag, pinch and
// the +/− buttons pan and zoom; a cluster zooms in when clicked, a report opens (its
// address: the review or the cases page). No tile server is asked for anything; a city's
// own tile source could be drawn under the cells later.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";

import { boundsOf, fitView, pad, viewProjection, type View } from "../shared/geo";
import type { GridCells, MapPoint } from "../shared/types";
import { useI18n, type Key } from "./i18n";
import { categoryLabel } from "./logic";
import {
  clusterIndex,
  expand,
  gridBounds,
  labelLevel,
  marksIn,
  pan,
  placeLabels,
  reportHref,
  STATE_COLOURS,
  stateCounts,
  zoomAt,
} from "./map-logic";
import { useSession } from "./session";

/** Zooming by a button. */
const STEP = 1.6;
/** A press that moves less than this many pixels is a click, not a drag. */
const CLICK_SLOP = 5;

export function CityMap(props: {
  points: MapPoint[];
  grid: GridCells | null;
  /** Draws the legend beside the map. */
  legend?: boolean;
}) {
  const w = useI18n();
  const { t } = w;
  const { names } = useSession();
  const box = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState<{ width: number; height: number }>({ width: 800, height: 600 });
  const [view, setView] = useState<View | null>(null);
  const viewRef = useRef<View | null>(null);
  viewRef.current = view;

  // The map's size follows its box.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const measure = () => setSize({ width: Math.max(1, el.clientWidth), height: Math.max(1, el.clientHeight) });
    measure();
    const ro = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(measure);
    ro?.observe(el);
    return () => ro?.disconnect();
  }, []);

  // What the whole map is: the grid, or the reports where there is no grid.
  const home = useMemo(() => {
    const b = (props.grid && gridBounds(props.grid)) ?? boundsOf(props.points.map((q) => [q.lon, q.lat]));
    return b ? fitView(pad(b, 60), size.width, size.height) : null;
  }, [props.grid, props.grid ? null : props.points, size.width, size.height]);
  // Until someone moves the map it shows the whole of it, whatever its size becomes.
  const touched = useRef(false);
  useEffect(() => {
    if (!touched.current && home) setView(home);
  }, [home]);
  const move = (v: View) => {
    touched.current = true;
    setView(v);
  };

  // Each street's cells in one of four tints, so the streets read apart.
  const tint = useMemo(() => {
    const streets = [...new Set(props.grid?.features.map((f) => f.properties.street_code) ?? [])].sort();
    return new Map(streets.map((code, i) => [code, i % 4]));
  }, [props.grid]);
  const index = useMemo(() => clusterIndex(props.points), [props.points]);
  const byId = useMemo(() => new Map(props.points.map((p) => [p.id, p])), [props.points]);

  // The wheel zooms about the pointer (a listener of its own: it must prevent the page's
  // scrolling, which a passive one cannot).
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      const v = viewRef.current;
      if (!v) return;
      e.preventDefault();
      const r = el.getBoundingClientRect();
      // A mouse's notch (100 pixels' worth) zooms by about 1.4; a touchpad's many small
      // deltas zoom smoothly.
      const pixels = e.deltaY * (e.deltaMode === 1 ? 16 : 1);
      const factor = Math.min(2, Math.max(0.5, Math.exp(-pixels * 0.0035)));
      move(zoomAt(v, factor, e.clientX - r.left, e.clientY - r.top, r.width, r.height));
    };
    el.addEventListener("wheel", onWheel, { passive: false });
    return () => el.removeEventListener("wheel", onWheel);
  }, []);

  // Dragging pans; two fingers pinch. A press that hardly moved is left to the click.
  const pointers = useRef(new Map<number, { x: number; y: number }>());
  const moved = useRef(0);
  const onPointerDown = (e: PointerEvent) => {
    if ((e.target as Element).closest?.("button")) return;
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.current.size === 1) moved.current = 0;
  };
  const onPointerMove = (e: PointerEvent) => {
    const before = pointers.current.get(e.pointerId);
    const v = viewRef.current;
    if (!before || !v || !box.current) return;
    const all = [...pointers.current.entries()];
    if (all.length === 2) {
      const other = all.find(([id]) => id !== e.pointerId)?.[1];
      if (other) {
        const was = Math.hypot(before.x - other.x, before.y - other.y);
        const now = Math.hypot(e.clientX - other.x, e.clientY - other.y);
        const r = box.current.getBoundingClientRect();
        if (was > 0) move(zoomAt(v, now / was, (e.clientX + other.x) / 2 - r.left, (e.clientY + other.y) / 2 - r.top, r.width, r.height));
      }
    } else {
      const dx = e.clientX - before.x;
      const dy = e.clientY - before.y;
      moved.current += Math.abs(dx) + Math.abs(dy);
      if (moved.current > CLICK_SLOP) {
        box.current.setPointerCapture?.(e.pointerId);
        move(pan(v, dx, dy));
      }
    }
    pointers.current.set(e.pointerId, { x: e.clientX, y: e.clientY });
  };
  const onPointerUp = (e: PointerEvent) => {
    pointers.current.delete(e.pointerId);
  };
  const dragged = () => moved.current > CLICK_SLOP;

  const zoomBy = (factor: number) => {
    if (view) move(zoomAt(view, factor, size.width / 2, size.height / 2, size.width, size.height));
  };

  const { width, height } = size;
  const p = view ? viewProjection(view, width, height) : null;
  const level = view ? labelLevel(view.mpp) : "street";
  const labels = useMemo(() => (props.grid ? placeLabels(props.grid, level) : []), [props.grid, level]);
  const marks = view ? marksIn(index, byId, view, width, height) : [];
  const path = (ring: [number, number][]) =>
    p ? ring.map((c, i) => `${i ? "L" : "M"}${p.toXY(c).map((n) => n.toFixed(1)).join(",")}`).join("") + "Z" : "";
  const inView = (x: number, y: number, margin = 40) => x > -margin && y > -margin && x < width + margin && y < height + margin;
  const counts = stateCounts(props.points);

  return (
    <div class="city-map-wrap">
      <div
        class="city-map"
        ref={box}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      >
        {p && (
          <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={t("map.label")}>
            <g class="cells">
              {props.grid?.features.map((f) => (
                <path key={f.id} class={`street-${tint.get(f.properties.street_code) ?? 0}`} d={path(f.geometry.coordinates[0] ?? [])} data-cell={f.id}>
                  <title>{[f.properties.street_name, f.properties.community_name, f.id].filter(Boolean).join(" · ")}</title>
                </path>
              ))}
            </g>
            <g class={`labels ${level}`}>
              {labels.map((l) => {
                const [x, y] = p.toXY(l.at);
                return inView(x, y, 0) ? (
                  <text key={l.key} x={x} y={y} data-place={l.key}>
                    {l.name}
                  </text>
                ) : null;
              })}
            </g>
            <g class="marks">
              {marks.map((m) => {
                const [x, y] = p.toXY(m.at);
                if (m.kind === "cluster") {
                  const r = Math.min(30, 13 + Math.log2(m.count) * 3);
                  return (
                    <g
                      key={`c${m.id}`}
                      class={`cluster${m.overdue > 0 ? " has-overdue" : ""}`}
                      data-count={m.count}
                      transform={`translate(${x.toFixed(1)},${y.toFixed(1)})`}
                      onClick={() => {
                        if (!dragged() && view) move(expand(index, m, view));
                      }}
                    >
                      <title>{t("map.cluster", { n: m.count, overdue: m.overdue })}</title>
                      <circle r={r} />
                      <text dy="0.35em">{m.count}</text>
                    </g>
                  );
                }
                const pt = m.point;
                return (
                  <a
                    key={pt.id}
                    href={reportHref(pt)}
                    class={`point state-${pt.state}${pt.overdue ? " overdue" : ""}${pt.urgent ? " urgent" : ""}`}
                    data-report={pt.id}
                    data-state={pt.state}
                    onClick={(e) => {
                      if (dragged()) e.preventDefault();
                    }}
                  >
                    <title>
                      {[pt.case_no, categoryLabel(names, pt.kind, pt.category, w.lang), t(`state.${pt.state}` as Key), pt.overdue ? t("due.overdue") : ""]
                        .filter(Boolean)
                        .join(" · ")}
                    </title>
                    {pt.overdue && <circle class="ring" cx={x} cy={y} r={11} />}
                    <circle cx={x} cy={y} r={7} fill={STATE_COLOURS[pt.state]} />
                    {pt.urgent && <circle class="heart" cx={x} cy={y} r={2.5} />}
                  </a>
                );
              })}
            </g>
          </svg>
        )}
        <div class="map-controls">
          <button type="button" onClick={() => zoomBy(STEP)} title={t("map.zoomIn")} aria-label={t("map.zoomIn")}>
            +
          </button>
          <button type="button" onClick={() => zoomBy(1 / STEP)} title={t("map.zoomOut")} aria-label={t("map.zoomOut")}>
            −
          </button>
          <button type="button" onClick={() => {
              touched.current = false;
              if (home) setView(home);
            }} title={t("map.reset")} aria-label={t("map.reset")}>
            ⌂
          </button>
        </div>
      </div>
      {props.legend !== false && (
        <aside class="map-legend" aria-label={t("map.legend")}>
          <h2>{t("map.legend")}</h2>
          <ul>
            {counts.map((c) => (
              <li key={c.state} data-state={c.state}>
                <svg width="16" height="16" aria-hidden="true">
                  <circle cx="8" cy="8" r="6" fill={STATE_COLOURS[c.state]} />
                </svg>
                <span class="name">{t(`state.${c.state}` as Key)}</span> <span class="n">{c.count}</span>
              </li>
            ))}
          </ul>
          <p class="key overdue">{t("map.legend.overdue")}</p>
          <p class="key urgent">{t("map.legend.urgent")}</p>
          <p class="key cluster">{t("map.legend.cluster")}</p>
        </aside>
      )}
    </div>
  );
}
