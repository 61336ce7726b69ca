// 受理审核: the team's reports waiting for a decision on the left, the chosen one on the
// right (stacked on a tablet held upright).
import { failureText } from "../../shared/error";
import { useResource } from "../../shared/resource";
import type { ConsoleReport } from "../../shared/types";
import { client, links } from "../client";
import { useI18n } from "../i18n";
import { REVIEW_STATES, categoryLabel, placeDisputed, when } from "../logic";
import { ReportView, StateBadge } from "../report-view";
import { useSession } from "../session";

export function ReportList(props: { items: ConsoleReport[]; selected: string | null; section: string; empty: string }) {
  const w = useI18n();
  const { names } = useSession();
  const { items } = props;
  if (items.length === 0) return <p class="empty">{props.empty}</p>;
  return (
    <ul class="list">
      {items.map((r) => {
        const first = r.report.photos.find((p) => r.photos_arrived.includes(p.id));
        return (
          <li key={r.report.id} class={r.report.id === props.selected ? "selected" : ""}>
            <a href={`#/${props.section}/${r.report.id}`} data-report={r.report.id}>
              {first ? <img src={links.photo(first.sha256)} alt="" /> : <span class="noimg" />}
              <span class="what">
                <strong>{categoryLabel(names, r.report.kind, r.report.category, w.lang)}</strong>
                <span>
                  {r.case?.case_no ? `${r.case.case_no} · ` : ""}
                  {r.reporter.name} · {when(w, r.report.observed_at)}
                </span>
                <span>
                  <StateBadge state={r.state} />
                  {r.report.urgency === "urgent" && <span class="badge urgent">{w.t("report.urgent")}</span>}
                  {r.duplicate_of && <span class="badge dup">≈</span>}
                  {placeDisputed(r) && <span class="badge disputed">{w.t("place.disputed")}</span>}
                </span>
              </span>
            </a>
          </li>
        );
      })}
    </ul>
  );
}

export function Review(props: { id: string | null }) {
  const w = useI18n();
  const { t } = w;
  const items = useResource(() => client.reports({ state: REVIEW_STATES.join(",") }));
  return (
    <div class="split">
      <section class="left">
        <h1>
          {t("nav.review")} {items.value && <small>{t("review.count", { n: items.value.length })}</small>}
        </h1>
        {items.error && <p class="error">{failureText(w, items.error)}</p>}
        {items.value ? (
          <ReportList items={items.value} selected={props.id} section="review" empty={t("review.empty")} />
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
