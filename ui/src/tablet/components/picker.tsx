// The category picker: recent picks first (one tap for the common case), then 部件 and 事件
// with their 大类 (a tap opens the 小类), or a search over codes and names in either language.
import { useState } from "preact/hooks";

import type { Category } from "../../shared/types";
import { useI18n } from "../i18n";
import { keyOf, label, majors, recentEntries, search } from "../logic/categories";
import { useSession } from "../session";

export interface PickerProps {
  recent: string[];
  onPick: (c: Category) => void;
}

export function CategoryPicker({ recent, onPick }: PickerProps) {
  const { t, lang } = useI18n();
  const { categories } = useSession();
  const [query, setQuery] = useState("");
  const [open, setOpen] = useState<string | null>(null);
  const recents = recentEntries(categories, recent);
  const results = query.trim() ? search(categories, null, query) : null;
  const groups = majors(categories);
  const minor = (c: Category) => (
    <button key={keyOf(c)} type="button" class="minor" data-code={keyOf(c)} onClick={() => onPick(c)}>
      <span class="code">{c.code}</span> {label(c, lang)}
    </button>
  );
  return (
    <div class="picker">
      {recents.length > 0 && (
        <div class="recent">
          <span class="hint">{t("category.recent")}</span>
          {recents.map((c) => (
            <button key={keyOf(c)} type="button" class="chip" data-code={keyOf(c)} onClick={() => onPick(c)}>
              {label(c, lang)}
            </button>
          ))}
        </div>
      )}
      <input
        id="category-search"
        type="search"
        placeholder={t("category.search")}
        value={query}
        onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
      />
      {results ? (
        <div class="results">{results.length ? results.slice(0, 30).map(minor) : <p>{t("category.noMatch")}</p>}</div>
      ) : (
        (["component", "event"] as const).map((kind) => (
          <div key={kind} class="kind">
            <h3>{t(`kind.${kind}`)}</h3>
            <div class="majors">
              {groups
                .filter((g) => g.kind === kind)
                .map((g) => {
                  const id = `${kind}:${g.code}`;
                  return (
                    <div key={id} class={open === id ? "major open" : "major"}>
                      <button type="button" data-major={id} onClick={() => setOpen(open === id ? null : id)}>
                        {g.name}
                      </button>
                      {open === id && <div class="minors">{g.minors.map(minor)}</div>}
                    </div>
                  );
                })}
            </div>
          </div>
        ))
      )}
    </div>
  );
}
