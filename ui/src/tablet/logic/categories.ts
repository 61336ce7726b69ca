// The category picker's logic over the code table the engine sends (`code_table`): search
// by code, Chinese name or English name; 部件/事件 → 大类 → 小类 grouping; recent picks first.
import type { Lang } from "../../shared/i18n";
import type { Category, Kind } from "../../shared/types";

/** A 大类 with its 小类, as the picker lists them. */
export interface Major {
  kind: Kind;
  /** Two digits. */
  code: string;
  name: string;
  minors: Category[];
}

/** The key a pick is remembered by. */
export const keyOf = (c: Pick<Category, "kind" | "code">): string => `${c.kind}:${c.code}`;

/** 大类 in table order, each with its 小类. */
export function majors(all: Category[]): Major[] {
  const out: Major[] = [];
  for (const c of all) {
    const code = c.code.slice(0, 2);
    const last = out[out.length - 1];
    if (last && last.kind === c.kind && last.code === code) last.minors.push(c);
    else out.push({ kind: c.kind, code, name: c.major_name, minors: [c] });
  }
  return out;
}

/** Entries matching `query` (code prefix, or a substring of either name), best first:
 * code matches, then name prefixes, then the rest, each in table order. */
export function search(all: Category[], kind: Kind | null, query: string): Category[] {
  const raw = query.trim();
  const q = raw.toLowerCase();
  const pool = kind ? all.filter((c) => c.kind === kind) : all;
  if (!q) return pool;
  const rank = (c: Category): number => {
    const en = (c.name_en ?? "").toLowerCase();
    if (c.code.startsWith(q)) return 0;
    if (c.name.startsWith(raw) || en.startsWith(q)) return 1;
    if (c.name.includes(raw) || c.major_name.includes(raw) || en.includes(q)) return 2;
    return 3;
  };
  return pool
    .map((c, i) => ({ c, i, r: rank(c) }))
    .filter((x) => x.r < 3)
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.c);
}

/** Remembers a pick: most recent first, each once, at most `max`. */
export function remember(recent: string[], key: string, max = 6): string[] {
  return [key, ...recent.filter((k) => k !== key)].slice(0, max);
}

/** The recent picks that still exist in the table, in recency order. */
export function recentEntries(all: Category[], recent: string[]): Category[] {
  return recent.flatMap((key) => all.filter((c) => keyOf(c) === key));
}

/** A category's name in the chosen language (English falls back to Chinese). */
export function label(c: Category, lang: Lang): string {
  return lang === "en" && c.name_en ? c.name_en : c.name;
}

/** Each category's name by `kind:code` (`event:0507` → 乱堆物堆料), as the centre names a
 * category in a note (a team leader's correction: 小类 old → new); an empty value (an
 * address left blank) reads as a dash. */
export function categoryNames(all: Category[], lang: Lang): Record<string, string> {
  return { "": "—", ...Object.fromEntries(all.map((c) => [keyOf(c), label(c, lang)])) };
}
