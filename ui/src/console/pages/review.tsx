// 受理审核: the team's reports waiting for a decision on the left, the chosen one on the
// right (stacked on a tablet held upright).
import { useEffect, useState } from "preact/hooks";

import { api, photoUrl } from "../api";
import type { Ctx } from "../app";
import { REVIEW_STATES, categoryLabel } from "../logic";
import { ReportView, StateBadge } from "../report-view";
import type { ConsoleReport } from "../types";

export function ReportList(props: {
  ctx: Ctx;
  items: ConsoleReport[];
  selected: string | null;
  section: string;
  empty: string;
}) {
  const { ctx, items } = props;
  if (items.length === 0) return <p class="empty">{props.empty}</p>;
  return (
    <ul class="list">
      {items.map((r) => {
        const first = r.report.photos.find((p) => r.photos_arrived.includes(p.id));
        return (
          <li key={r.report.id} class={r.report.id === props.selected ? "selected" : ""}>
            <a href={`#/${props.section}/${r.report.id}`} data-report={r.report.id}>
              {first ? <img src={photoUrl(first.sha256)} alt="" /> : <span class="noimg" />}
              <span class="what">
                <strong>{categoryLabel(ctx.names, r.report.kind, r.report.category, ctx.lang)}</strong>
                <span>
                  {r.case?.case_no ? `${r.case.case_no} · ` : ""}
                  {r.reporter.name} · {new Date(r.report.observed_at).toLocaleString(ctx.lang === "zh" ? "zh-CN" : "en-GB", { hour12: false })}
                </span>
                <span>
                  <StateBadge ctx={ctx} state={r.state} />
                  {r.report.urgency === "urgent" && <span class="badge urgent">{ctx.t("report.urgent")}</span>}
                  {r.duplicate_of && <span class="badge dup">≈</span>}
                </span>
              </span>
            </a>
          </li>
        );
      })}
    </ul>
  );
}

export function Review(props: { ctx: Ctx; id: string | null }) {
  const { ctx } = props;
  const [items, setItems] = useState<ConsoleReport[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => api.reports(REVIEW_STATES).then(setItems, (e) => setError(ctx.fail(e)));
  useEffect(() => {
    void load();
  }, []);
  return (
    <div class="split">
      <section class="left">
        <h1>
          {ctx.t("nav.review")} {items && <small>{ctx.t("review.count", { n: items.length })}</small>}
        </h1>
        {error && <p class="error">{error}</p>}
        {items ? (
          <ReportList ctx={ctx} items={items} selected={props.id} section="review" empty={ctx.t("review.empty")} />
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
