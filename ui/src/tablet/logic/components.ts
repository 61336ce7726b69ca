// 部件 on a report: where to look for the components of the report's 小类, how far each is
// in words, what a component is called, and what to tell the inspector when taking one
// changed the report's type or 小类 (the engine lets the component decide: it is the thing
// the inspector stands before; see crates/field/src/components.rs).
import type { Lang } from "../../shared/i18n";
import type { Category, CategoryCode, ComponentInfo, Kind } from "../../shared/types";
import type { LocalReport, NearComponent, TakenComponent } from "../commands";
import { label } from "./categories";

/** How many nearby components the picker lists. */
export const NEAR_LIMIT = 8;

/** What to ask the engine for the nearby list: the report's 小类 around its position; none
 * until it is a 部件 report with both. */
export function nearQuery(r: LocalReport): { category: CategoryCode; lon: number; lat: number } | null {
  if (r.kind !== "component" || !r.category || !r.location) return null;
  return { category: r.category, lon: r.location.lon, lat: r.location.lat };
}

/** A distance as the list says it: whole metres below a kilometre, then kilometres with
 * one decimal. */
export function distance(m: number): { key: "component.metres"; m: number } | { key: "component.km"; km: string } {
  const metres = Math.round(m);
  return metres < 1000 ? { key: "component.metres", m: metres } : { key: "component.km", km: (m / 1000).toFixed(1) };
}

/** A component's name: the city's name for it, else its 小类's, else its ID. */
export function componentName(c: ComponentInfo, categories: Category[], lang: Lang): string {
  if (c.name?.trim()) return c.name.trim();
  const cat = categories.find((x) => x.kind === "component" && x.code === c.category);
  return cat ? label(cat, lang) : c.id;
}

/** A category's name as the notice says it (its code when the table lacks it). */
function categoryName(kind: Kind | null, code: CategoryCode, categories: Category[], lang: Lang): string {
  const cat = categories.find((x) => (kind === null || x.kind === kind) && x.code === code);
  return cat ? label(cat, lang) : code;
}

/** When taking the component changed the report's 小类 (or made an 事件 a 部件 report):
 * what it was and what it is now, by name; otherwise null. */
export function replaced(taken: TakenComponent, categories: Category[], lang: Lang): { from: string; to: string } | null {
  if (!taken.replaced_category) return null;
  const to = taken.report.category ?? taken.component.category;
  return {
    from: categoryName(taken.replaced_kind, taken.replaced_category, categories, lang),
    to: categoryName("component", to, categories, lang),
  };
}

/** The nearby components as the map's small marks, the chosen one marked. */
export function spots(near: NearComponent[], chosen: string | null): { id: string; at: [number, number]; chosen: boolean }[] {
  return near.map((n) => ({ id: n.component.id, at: [n.component.lon, n.component.lat], chosen: n.component.id === chosen }));
}
