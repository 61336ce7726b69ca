// Queue: what still waits for the centre (reports, photos, bytes), when the last sync
// was, why the last one failed (in words), "sync now", and every report with its state.
import { useEffect, useState } from "preact/hooks";

import { api, errorText, onSynced } from "../api";
import type { LocalReport, QueueSummary, SyncStatus } from "../bindings";
import { translate, type Key, type Lang } from "../i18n";
import { label, type Category } from "../logic/categories";
import { waiting } from "../logic/queue";
import { errorWords, stateLabel, when } from "../logic/report";

export interface QueueProps {
  lang: Lang;
  categories: Category[];
  onOpen: (report: LocalReport) => void;
}

export function ReportRow({ r, lang, categories, onOpen }: { r: LocalReport; lang: Lang; categories: Category[]; onOpen: (r: LocalReport) => void }) {
  const c = categories.find((c) => c.kind === r.kind && c.code === r.category);
  return (
    <li class={`report-row ${r.state} ${r.central_state ?? ""}`} data-id={r.id} onClick={() => onOpen(r)}>
      <span class="what">{c ? label(c, lang) : translate(lang, "category.none")}</span>
      <span class="report-state">{stateLabel(lang, r)}</span>
      <span class="when">{when(lang, r.created_at)}</span>
      {r.centre_note && <span class="note">{r.centre_note}</span>}
    </li>
  );
}

export function Queue({ lang, categories, onOpen }: QueueProps) {
  const t = (k: Key, v?: Record<string, string | number>) => translate(lang, k, v);
  const [queue, setQueue] = useState<QueueSummary | null>(null);
  const [status, setStatus] = useState<SyncStatus | null>(null);
  const [reports, setReports] = useState<LocalReport[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const refresh = async () => {
    try {
      const [q, s, r] = await Promise.all([api.queueSummary(), api.syncStatus(), api.reports()]);
      setQueue(q);
      setStatus(s);
      setReports(r);
    } catch (e) {
      setError(errorText(e, lang));
    }
  };
  useEffect(() => {
    void refresh();
    const stop = onSynced(() => void refresh());
    const timer = setInterval(() => void refresh(), 10_000);
    return () => {
      stop();
      clearInterval(timer);
    };
  }, []);
  const syncNow = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.syncNow();
    } catch {
      // The failure is recorded in the sync status, in words; it is shown below.
    } finally {
      setBusy(false);
      await refresh();
    }
  };
  const drafts = reports.filter((r) => r.state === "draft");
  const submitted = reports.filter((r) => r.state !== "draft");
  return (
    <section id="queue">
      <h1>{t("nav.queue")}</h1>
      <p id="queue-summary" class="summary">
        {queue ? waiting(lang, queue) : "…"}
      </p>
      <p id="queue-last-sync">
        {status?.last_success_at ? t("queue.lastSync", { when: when(lang, status.last_success_at) }) : t("queue.never")}
      </p>
      {status && !status.configured && <p class="notice">{t("queue.notSetUp")}</p>}
      {(status?.last_error || error) && (
        <p class="error" id="queue-error">
          {status?.last_error ? errorWords(lang, status.last_error_kind, status.last_error) : error}
        </p>
      )}
      <button id="sync-now" class="primary" disabled={busy} onClick={() => void syncNow()}>
        {busy ? t("queue.syncing") : status?.last_error ? t("queue.retry") : t("queue.syncNow")}
      </button>
      {drafts.length > 0 && (
        <>
          <h2>{t("queue.drafts", { n: drafts.length })}</h2>
          <ul class="reports" id="draft-list">
            {drafts.map((r) => (
              <ReportRow key={r.id} r={r} lang={lang} categories={categories} onOpen={onOpen} />
            ))}
          </ul>
        </>
      )}
      <h2>{t("queue.reports")}</h2>
      {submitted.length ? (
        <ul class="reports" id="report-list">
          {submitted.map((r) => (
            <ReportRow key={r.id} r={r} lang={lang} categories={categories} onOpen={onOpen} />
          ))}
        </ul>
      ) : (
        <p>{t("queue.noReports")}</p>
      )}
    </section>
  );
}
