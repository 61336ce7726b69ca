// The category picker's logic: the code table flattened to 小类 entries, searched by code,
// Chinese name or English name, with the inspector's recent picks first.

export type Kind = "component" | "event";

/** The code table file's shape (fixtures/codes.json; the centre sends the same). */
export interface CodeTableFile {
  version: string;
  kinds: {
    kind: Kind;
    name: string;
    majors: { code: string; name: string; name_en?: string; minors: { code: string; name: string; name_en?: string }[] }[];
  }[];
}

/** One pickable category: a 小类 under its 大类. */
export interface Category {
  kind: Kind;
  /** 大类 + 小类, e.g. "0507". */
  code: string;
  name: string;
  nameEn: string;
  major: string;
}

export function flatten(table: CodeTableFile): Category[] {
  return table.kinds.flatMap((k) =>
    k.majors.flatMap((m) =>
      m.minors.map((n) => ({
        kind: k.kind,
        code: m.code + n.code,
        name: n.name,
        nameEn: n.name_en ?? "",
        major: m.name,
      })),
    ),
  );
}

/** Entries matching `query` (code prefix, or a substring of either name), best first:
 * code matches, then name prefixes, then the rest, each in table order. */
export function search(all: Category[], kind: Kind | null, query: string): Category[] {
  const q = query.trim().toLowerCase();
  const pool = kind ? all.filter((c) => c.kind === kind) : all;
  if (!q) return pool;
  const rank = (c: Category): number => {
    if (c.code.startsWith(q)) return 0;
    if (c.name.startsWith(query.trim()) || c.nameEn.toLowerCase().startsWith(q)) return 1;
    if (c.name.includes(query.trim()) || c.major.includes(query.trim()) || c.nameEn.toLowerCase().includes(q)) return 2;
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
  return recent.flatMap((key) => all.filter((c) => `${c.kind}:${c.code}` === key));
}
