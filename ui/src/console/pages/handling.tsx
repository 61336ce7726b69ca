// 处置任务: a department's own cases, made for the phone a clerk or a crew leader carries on
// the street (处置通). Tabs by step (待接收, 处理中, 待核查, 全部), each case a card with its
// deadline counted down in working time and 超期 marked, most urgent first; a tap opens
// the case with the actions the department may take (接收, 处置完成, 回退, 申请延期). The
// centre lists only the cases dispatched to the clerk's department, and shows only their
// photos. The tab lives in the address (`#/handling?state=in_progress`), like a queue's
// filter; an open case is `#/handling/<id>`, and on a phone the list steps aside for it.
import { useState } from "preact/hooks";

import { failureText } from "../../shared/error";
import type { CaseState } from "../../shared/types";
import { links } from "../client";
import { useI18n, type Key } from "../i18n";
import { categoryLabel, countdown, dueStatus, queueHash, type QueueQuery, shortWhen } from "../logic";
import { useQueue, refreshQueues } from "../queue";
import { ReportView, StateBadge } from "../report-view";
import { useSession } from "../session";

/** The tabs: a step each, then everything the department has had. */
const TODO = "dispatched,in_progress";
const TABS: { key: Key; state: string }[] = [
  { key: "handling.tab.todo", state: TODO },
  { key: "handling.tab.dispatched", state: "dispatched" },
  { key: "handling.tab.in_progress", state: "in_progress" },
  { key: "handling.tab.handled", state: "handled" },
  { key: "handling.tab.all", state: ["dispatched", "in_progress", "handled", "suspended", "closed"].join(",") },
];

export function Handling(props: { id: string | null; query: QueueQuery }) {
  const w = useI18n();
  const { t } = w;
  const { names } = useSession();
  const state = props.query.state ?? TODO;
  // Most pressing first: the overdue, then by the deadline of the step.
  const q = useQueue({ state, sort: "overdue" });
  const loaded = q.loaded;
  const now = new Date();
  const tabQuery = (s: string): QueueQuery => ({ state: s });
  // What the last action said when it took the case away (回退): shown over the list.
  const [left, setLeft] = useState<string | null>(null);
  return (
    <div class={`handling ${props.id ? "has-case" : ""}`}>
      <section class="handling-list">
        <h1>
          {t("nav.handling")}{" "}
          <span class={`live ${q.live ? "on" : "off"}`} title={t(q.live ? "queue.live" : "queue.offline")}>
            ●
          </span>
        </h1>
        <nav class="tabs" aria-label={t("nav.handling")}>
          {TABS.map((tab) => (
            <a key={tab.state} href={queueHash("handling", null, tabQuery(tab.state))} class={tab.state === state ? "active" : ""}>
              {t(tab.key)}
            </a>
          ))}
        </nav>
        {left && !props.id && (
          <p class="done" role="status">
            {left}
          </p>
        )}
        {q.error && <p class="error">{failureText(w, q.error)}</p>}
        {!loaded ? (
          !q.error && <p class="loading">{t("loading")}</p>
        ) : loaded.items.length === 0 ? (
          <p class="empty">{t("handling.empty")}</p>
        ) : (
          <ul class="cards">
            {loaded.items.map((r) => {
              const first = r.report.photos.find((p) => r.photos_arrived.includes(p.id));
              const due = dueStatus(r, now);
              return (
                <li key={r.report.id} class={r.report.id === props.id ? "selected" : ""}>
                  <a href={queueHash("handling", r.report.id, props.query)} data-report={r.report.id}>
                    {first ? <img src={links.thumb(first.sha256)} alt="" loading="lazy" /> : <span class="noimg" />}
                    <span class="what">
                      <strong>{categoryLabel(names, r.report.kind, r.report.category, w.lang)}</strong>
                      <span class="addr">{r.report.address || r.report.description}</span>
                      <span class="case-no">{r.case?.case_no}</span>
                      <span>
                        <StateBadge state={r.state as CaseState} />
                        {r.report.urgency === "urgent" && <span class="badge urgent">{t("report.urgent")}</span>}
                        {r.case?.extension && <span class="badge extension">{t("report.extension")}</span>}
                      </span>
                    </span>
                    {/* The department's own step only: once handled, the clock is the checker's. */}
                    {r.step_left_minutes !== null && r.step_left_minutes !== undefined && r.step_due_at && (r.state === "dispatched" || r.state === "in_progress") && (
                      <span class={`countdown due-${due}`}>
                        {countdown(w, due === "overdue" ? Math.min(-1, r.step_left_minutes) : r.step_left_minutes)}
                        <small>{t("countdown.by", { when: shortWhen(w, r.step_due_at, now) })}</small>
                      </span>
                    )}
                  </a>
                </li>
              );
            })}
          </ul>
        )}
        {loaded?.next && (
          <button type="button" class="more" onClick={() => void q.more()}>
            {t("handling.more")}
          </button>
        )}
      </section>
      {props.id && (
        <section class="handling-case">
          <a class="back" href={queueHash("handling", null, props.query)}>
            {t("handling.back")}
          </a>
          <ReportView
            id={props.id}
            onChange={refreshQueues}
            onLeft={(message) => {
              setLeft(message);
              location.hash = queueHash("handling", null, props.query);
            }}
          />
        </section>
      )}
    </div>
  );
}
