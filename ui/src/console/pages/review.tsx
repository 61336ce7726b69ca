// 受理审核: the team's reports waiting for a decision on the left, a work queue oldest
// waiting first (queue.tsx), the chosen one on the right (stacked on a tablet held upright).
import { useI18n } from "../i18n";
import { REVIEW_STATES, type QueueQuery } from "../logic";
import { Queue, refreshQueues } from "../queue";
import { ReportView } from "../report-view";

export function Review(props: { id: string | null; query: QueueQuery }) {
  const { t } = useI18n();
  return (
    <div class="split queue-page">
      <section class="left">
        <Queue section="review" id={props.id} query={props.query} states={REVIEW_STATES} title="nav.review" empty="review.empty" />
      </section>
      <section class="right">{props.id ? <ReportView id={props.id} onChange={refreshQueues} /> : <p class="empty">{t("review.pick")}</p>}</section>
    </div>
  );
}
