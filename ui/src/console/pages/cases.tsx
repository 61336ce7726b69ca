// 案件办理: registered cases through dispatch, handling and verification, with their
// deadlines; the chosen case on the right.
import { useState } from "preact/hooks";

import { failureText } from "../../shared/error";
import { useResource } from "../../shared/resource";
import type { CaseState } from "../../shared/types";
import { client } from "../client";
import { useI18n, type Key } from "../i18n";
import { CASE_STATES } from "../logic";
import { ReportView } from "../report-view";
import { ReportList } from "./review";

export function Cases(props: { id: string | null }) {
  const w = useI18n();
  const { t } = w;
  const [filter, setFilter] = useState<CaseState | "">("");
  const items = useResource(() => client.reports({ state: (filter ? [filter] : CASE_STATES).join(",") }), [filter]);
  return (
    <div class="split">
      <section class="left">
        <h1>{t("nav.cases")}</h1>
        <label class="field inline">
          {t("cases.filter")}
          <select name="state" value={filter} onChange={(e) => setFilter(e.currentTarget.value as CaseState | "")}>
            <option value="">{t("cases.all")}</option>
            {CASE_STATES.map((s) => (
              <option key={s} value={s}>
                {t(`state.${s}` as Key)}
              </option>
            ))}
          </select>
        </label>
        {items.error && <p class="error">{failureText(w, items.error)}</p>}
        {items.value ? (
          <ReportList items={items.value} selected={props.id} section="cases" empty={t("cases.empty")} />
        ) : (
          <p class="loading">{t("loading")}</p>
        )}
      </section>
      <section class="right">
        {props.id ? <ReportView id={props.id} onChange={() => void items.reload()} /> : <p class="empty">{t("review.pick")}</p>}
      </section>
    </div>
  );
}
