// 案件办理: registered cases through dispatch, handling and verification, with their
// deadlines; the chosen case on the right.
import { useEffect, useState } from "preact/hooks";

import { api } from "../api";
import type { Ctx } from "../app";
import type { Key } from "../i18n";
import { CASE_STATES } from "../logic";
import { ReportView } from "../report-view";
import type { CaseState, ConsoleReport } from "../types";
import { ReportList } from "./review";

export function Cases(props: { ctx: Ctx; id: string | null }) {
  const { ctx } = props;
  const [filter, setFilter] = useState<CaseState | "">("");
  const [items, setItems] = useState<ConsoleReport[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => api.reports(filter ? [filter] : CASE_STATES).then(setItems, (e) => setError(ctx.fail(e)));
  useEffect(() => {
    void load();
  }, [filter]);
  return (
    <div class="split">
      <section class="left">
        <h1>{ctx.t("nav.cases")}</h1>
        <label class="field inline">
          {ctx.t("cases.filter")}
          <select name="state" value={filter} onChange={(e) => setFilter(e.currentTarget.value as CaseState | "")}>
            <option value="">{ctx.t("cases.all")}</option>
            {CASE_STATES.map((s) => (
              <option key={s} value={s}>
                {ctx.t(`state.${s}` as Key)}
              </option>
            ))}
          </select>
        </label>
        {error && <p class="error">{error}</p>}
        {items ? (
          <ReportList ctx={ctx} items={items} selected={props.id} section="cases" empty={ctx.t("cases.empty")} />
        ) : (
          <p class="loading">{ctx.t("loading")}</p>
        )}
      </section>
      <section class="right">
        {props.id ? <ReportView ctx={ctx} id={props.id} onChange={() => void load()} /> : <p class="empty">{ctx.t("review.pick")}</p>}
      </section>
    </div>
  );
}
