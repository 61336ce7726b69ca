// 考核评价: the indicators per cell, team or inspector over a chosen period, as a table and
// a bar chart, with CSV and GeoJSON export (the same query, as files).
import { useState } from "preact/hooks";

import { failureText } from "../../shared/error";
import { useResource } from "../../shared/resource";
import type { GroupBy, Indicators } from "../../shared/types";
import { client, links } from "../client";
import { useI18n, type Key } from "../i18n";
import { dayStart, lastDays, percent } from "../logic";

const day = (iso: string) => {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
};

function Chart(props: { rows: Indicators[] }) {
  const { t } = useI18n();
  const rows = props.rows.slice(0, 20);
  const w = 640;
  const bar = 12;
  const gap = 10;
  const left = 150;
  const h = rows.length * (2 * bar + gap) + 10;
  return (
    <svg class="chart" viewBox={`0 0 ${w} ${h}`} role="img" aria-label={t("eval.chart")}>
      {rows.map((r, i) => {
        const y = i * (2 * bar + gap) + 5;
        const len = (v: number | null) => ((v ?? 0) * (w - left - 60));
        return (
          <g key={r.key}>
            <text x={left - 6} y={y + bar + 4} text-anchor="end">
              {r.label}
            </text>
            <rect class="valid" x={left} y={y} width={len(r.valid_rate)} height={bar} />
            <text x={left + len(r.valid_rate) + 4} y={y + bar - 2}>
              {percent(r.valid_rate)}
            </text>
            <rect class="ontime" x={left} y={y + bar} width={len(r.handled_on_time_rate)} height={bar} />
            <text x={left + len(r.handled_on_time_rate) + 4} y={y + 2 * bar - 2}>
              {percent(r.handled_on_time_rate)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export function EvaluationPage() {
  const w = useI18n();
  const { t } = w;
  const initial = lastDays(30, new Date());
  const [by, setBy] = useState<GroupBy>("inspector");
  const [from, setFrom] = useState(day(initial.from));
  const [to, setTo] = useState(day(new Date(new Date(initial.to).getTime() - 1).toISOString()));
  const end = new Date(dayStart(to));
  end.setDate(end.getDate() + 1);
  const query = { by, from: dayStart(from), to: end.toISOString() };
  // Shown anew when the grouping changes, or when "show" is pressed for a new period.
  const evaluation = useResource(() => client.evaluation(query), [by]);
  const e = evaluation.value;
  const cols: [Key, (r: Indicators) => string][] = [
    ["eval.reports", (r) => String(r.reports)],
    ["eval.valid", (r) => percent(r.valid_rate)],
    ["eval.registered", (r) => String(r.registered)],
    ["eval.onTime", (r) => percent(r.handled_on_time_rate)],
    ["eval.closed", (r) => percent(r.closed_rate)],
    ["eval.rework", (r) => percent(r.rework_rate)],
    ["eval.verified", (r) => percent(r.verified_on_time_rate)],
  ];
  return (
    <section class="evaluation">
      <h1>{t("nav.evaluation")}</h1>
      <div class="row">
        <label class="field inline">
          {t("eval.by")}
          <select name="by" value={by} onChange={(ev) => setBy(ev.currentTarget.value as GroupBy)}>
            {(["cell", "team", "inspector"] as GroupBy[]).map((g) => (
              <option key={g} value={g}>
                {t(`eval.by.${g}` as Key)}
              </option>
            ))}
          </select>
        </label>
        <label class="field inline">
          {t("eval.from")}
          <input type="date" name="from" value={from} onChange={(ev) => setFrom(ev.currentTarget.value)} />
        </label>
        <label class="field inline">
          {t("eval.to")}
          <input type="date" name="to" value={to} onChange={(ev) => setTo(ev.currentTarget.value)} />
        </label>
        <button class="primary" onClick={() => void evaluation.reload()}>
          {t("eval.show")}
        </button>
        <a class="button" href={links.evaluationCsv(query)} download>
          {t("eval.csv")}
        </a>
        <a class="button" href={links.evaluationGeojson(query)} download>
          {t("eval.geojson")}
        </a>
      </div>
      {evaluation.error && <p class="error">{failureText(w, evaluation.error)}</p>}
      {e && e.rows.length === 0 && <p class="empty">{t("eval.empty")}</p>}
      {e && e.rows.length > 0 && (
        <>
          <table class="grid-table">
            <thead>
              <tr>
                <th>{t(`eval.by.${e.by}` as Key)}</th>
                {cols.map(([k]) => (
                  <th key={k}>{t(k)}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {e.rows.map((r) => (
                <tr key={r.key}>
                  <td>{r.label}</td>
                  {cols.map(([k, f]) => (
                    <td key={k}>{f(r)}</td>
                  ))}
                </tr>
              ))}
              <tr class="total">
                <td>{t("eval.total")}</td>
                {cols.map(([k, f]) => (
                  <td key={k}>{f(e.total)}</td>
                ))}
              </tr>
            </tbody>
          </table>
          <h2>{t("eval.chart")}</h2>
          <Chart rows={e.rows} />
        </>
      )}
    </section>
  );
}
