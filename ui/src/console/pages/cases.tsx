// 案件办理: registered cases through dispatch, handling and verification, as a work queue
// (queue.tsx) with their deadlines, departments and 超期; the chosen case on the right.
import { useI18n } from "../i18n";
import { CASE_STATES, type QueueQuery } from "../logic";
import { Queue, refreshQueues } from "../queue";
import { ReportView } from "../report-view";

export function Cases(props: { id: string | null; query: QueueQuery }) {
  const { t } = useI18n();
  return (
    <div class="split queue-page">
      <section class="left">
        <Queue section="cases" id={props.id} query={props.query} states={CASE_STATES} title="nav.cases" empty="cases.empty" />
      </section>
      <section class="right">{props.id ? <ReportView id={props.id} onChange={refreshQueues} /> : <p class="empty">{t("review.pick")}</p>}</section>
    </div>
  );
}
