// 考核评价: the indicators per cell, community, street, team, inspector, department or
// category over a chosen period, as a table and a bar chart with its legend, with CSV (and,
// by place, GeoJSON) export: the same query, as files named by the grouping and days.
// How each indicator is counted is the README's "Evaluation indicators".
import { useState } from "preact/hooks";

import { failureText } from "../../shared/error";
import { useResource } from "../../shared/resource";
import { sayValue } from "../../shared/say";
import type { GroupBy, Indicators } from "../../shared/types";
import { client, links } from "../client";
import { useI18n, type Key } from "../i18n";
import { dayStart, lastDays, percent } from "../logic";

/** Every grouping, in the order offered. */
export const GROUPINGS: GroupBy[] = ["cell", "community", "street", "team", "inspector", "department", "category", "source"];

/** Whether the groups are places with an outline, which the GeoJSON export draws. */
export const isPlace = (by: GroupBy) => by === "cell" || by === "community" || by === "street";

/** The catalogue key naming the group without a key (outside the grid, no team, not
 * dispatched), or null when a grouping has none. */
export function noneKey(by: GroupBy): Key | null {
  if (isPlace(by)) return "eval.none.place";
  if (by === "team") return "eval.none.team";
  if (by === "department") return "eval.none.department";
  return null;
}

const day = (iso: string) => {
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
};

/** The rates the chart draws, each with its colour class and catalogue key. */
const SERIES: { cls: string; key: Key; rate: (r: Indicators) => number | null }[] = [
  { cls: "valid", key: "eval.valid", rate: (r) => r.valid_rate },
  { cls: "ontime", key: "eval.onTime", rate: (r) => r.handled_on_time_rate },
  { cls: "closed", key: "eval.closed", rate: (r) => r.closed_rate },
];

function Chart(props: { rows: Indicators[]; label: (r: Indicators) => string }) {
  const { t } = useI18n();
  const rows = props.rows.slice(0, 20);
  const w = 640;
  const bar = 10;
  const gap = 12;
  const left = 190;
  const band = SERIES.length * bar + gap;
  const h = rows.length * band + 10;
  const len = (v: number | null) => (v ?? 0) * (w - left - 60);
  return (
    <figure class="chart-box">
      <ul class="legend" aria-label={t("eval.legend")}>
        {SERIES.map((s) => (
          <li key={s.cls}>
            <svg width="14" height="10" aria-hidden="true">
              <rect class={s.cls} width="14" height="10" />
            </svg>
            {t(s.key)}
          </li>
        ))}
      </ul>
      <svg class="chart" viewBox={`0 0 ${w} ${h}`} role="img" aria-label={t("eval.chart")}>
        {rows.map((r, i) => {
          const y = i * band + 5;
          return (
            <g key={r.key}>
              <text x={left - 6} y={y + (SERIES.length * bar) / 2 + 4} text-anchor="end">
                {props.label(r)}
              </text>
              {SERIES.map((s, j) => (
                <g key={s.cls}>
                  <rect class={s.cls} x={left} y={y + j * bar} width={len(s.rate(r))} height={bar - 1} />
                  <text x={left + len(s.rate(r)) + 4} y={y + j * bar + bar - 2}>
                    {percent(s.rate(r))}
                  </text>
                </g>
              ))}
            </g>
          );
        })}
      </svg>
    </figure>
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
  const label = (r: Indicators) => {
    const none = e && r.key === "" ? noneKey(e.by) : null;
    // A source is said in the reader's language (the server's label carries both).
    if (e?.by === "source" && r.key) return sayValue(w.lang, "source", r.key);
    return none ? t(none) : r.label;
  };
  const count = (n: (r: Indicators) => number) => (r: Indicators) => String(n(r));
  const ratio = (n: number, d: number) => `${n} / ${d}`;
  // Each column: its name, the cell's text, and (for a rate) its numerator / denominator.
  const cols: [Key, (r: Indicators) => string, ((r: Indicators) => string)?][] = [
    ["eval.reports", count((r) => r.reports)],
    ["eval.registered", count((r) => r.registered)],
    ["eval.valid", (r) => percent(r.valid_rate), (r) => ratio(r.registered, r.registered + r.invalid)],
    ["eval.handled", (r) => percent(r.handled_rate), (r) => ratio(r.handled, r.due)],
    ["eval.onTime", (r) => percent(r.handled_on_time_rate), (r) => ratio(r.handled_on_time, r.due)],
    ["eval.overdue", (r) => percent(r.overdue_rate), (r) => ratio(r.overdue, r.due)],
    ["eval.closed", (r) => percent(r.closed_rate), (r) => ratio(r.closed, r.due_to_close)],
    ["eval.closedOnTime", (r) => percent(r.closed_on_time_rate), (r) => ratio(r.closed_on_time, r.due_to_close)],
    ["eval.rework", (r) => percent(r.rework_rate), (r) => ratio(r.reworked, r.due_to_close)],
    ["eval.verified", (r) => percent(r.verified_on_time_rate), (r) => ratio(r.verified_on_time, r.verifications_due)],
    ["eval.onSpot", count((r) => r.on_spot)],
    ["eval.onSpotRate", (r) => percent(r.on_spot_rate), (r) => ratio(r.on_spot, r.registered)],
    ["eval.extended", count((r) => r.extended)],
    ["eval.checkLate", count((r) => r.check_late)],
    ["eval.reviewLate", count((r) => r.review_late)],
    ["eval.dispatchLate", count((r) => r.dispatch_late)],
    ["eval.handlingLate", count((r) => r.handling_late)],
    ["eval.verifyLate", count((r) => r.verify_late)],
  ];
  const cells = (r: Indicators) =>
    cols.map(([k, f, parts]) => (
      <td key={k} title={parts ? parts(r) : undefined}>
        {f(r)}
      </td>
    ));
  return (
    <section class="evaluation">
      <h1>{t("nav.evaluation")}</h1>
      <div class="row">
        <label class="field inline">
          {t("eval.by")}
          <select name="by" value={by} onChange={(ev) => setBy(ev.currentTarget.value as GroupBy)}>
            {GROUPINGS.map((g) => (
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
        {isPlace(by) && (
          <a class="button" href={links.evaluationGeojson(query)} download>
            {t("eval.geojson")}
          </a>
        )}
      </div>
      <p class="hint">{t("eval.hint")}</p>
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
                  <td title={r.key}>{label(r)}</td>
                  {cells(r)}
                </tr>
              ))}
              <tr class="total">
                <td>{t("eval.total")}</td>
                {cells(e.total)}
              </tr>
            </tbody>
          </table>
          <h2>{t("eval.chart")}</h2>
          <Chart rows={e.rows} label={label} />
        </>
      )}
    </section>
  );
}
