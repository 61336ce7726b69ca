// Tasks: what the centre asks of this inspector. Verification (核查) tasks arrive with the
// case loop (the console's issue) and will be listed here; until then the screen lists
// the reports returned to the inspector to change, which are work asked of them too.
import { useEffect, useState } from "preact/hooks";

import { api, onSynced } from "../api";
import type { LocalReport } from "../bindings";
import { translate, type Lang } from "../i18n";
import type { Category } from "../logic/categories";
import { ReportRow } from "./queue";

export function Tasks({ lang, categories, onOpen }: { lang: Lang; categories: Category[]; onOpen: (r: LocalReport) => void }) {
  const [returned, setReturned] = useState<LocalReport[]>([]);
  useEffect(() => {
    const load = () => void api.reports().then((all) => setReturned(all.filter((r) => r.central_state === "returned")));
    load();
    return onSynced(load);
  }, []);
  return (
    <section id="tasks">
      <h1>{translate(lang, "nav.tasks")}</h1>
      <p id="tasks-none">{translate(lang, "tasks.none")}</p>
      <p class="hint">{translate(lang, "tasks.explain")}</p>
      {returned.length > 0 && (
        <>
          <h2>{translate(lang, "tasks.returned")}</h2>
          <ul class="reports">
            {returned.map((r) => (
              <ReportRow key={r.id} r={r} lang={lang} categories={categories} onOpen={onOpen} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
