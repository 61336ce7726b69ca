// Queue: what still waits for the centre (reports, photos, bytes), when the last sync
// was, why the last one failed (in words), "sync now", how much room the device has left
// (with a warning before photos are refused), and every report with its state.
import { useEffect, useState } from "preact/hooks";

import { failureText, failureWords } from "../../shared/error";
import { say, sayNote } from "../../shared/say";
import { useResource } from "../../shared/resource";
import { api, onSynced } from "../api";
import type { LocalReport } from "../commands";
import { useI18n } from "../i18n";
import { categoryNames, label } from "../logic/categories";
import { storageWords, waiting } from "../logic/queue";
import { stateLabel, when } from "../logic/report";
import { useSession } from "../session";

export function ReportRow({ r, onOpen }: { r: LocalReport; onOpen: (r: LocalReport) => void }) {
  const w = useI18n();
  const { categories } = useSession();
  const c = categories.find((c) => c.kind === r.kind && c.code === r.category);
  return (
    <li class={`report-row ${r.state} ${r.central_state ?? ""}`} data-id={r.id} onClick={() => onOpen(r)}>
      <span class="what">{c ? label(c, w.lang) : w.t("category.none")}</span>
      <span class="report-state">{stateLabel(w, r)}</span>
      <span class="when">{when(w, r.created_at)}</span>
      {r.centre_note && <span class="note">{sayNote(w.lang, r.centre_note, categoryNames(categories, w.lang))}</span>}
    </li>
  );
}

export function Queue({ onOpen }: { onOpen: (report: LocalReport) => void }) {
  const w = useI18n();
  const { t } = w;
  const state = useResource(async () => {
    const [queue, status, reports, storage] = await Promise.all([api.queueSummary(), api.syncStatus(), api.reports(), api.storage()]);
    return { queue, status, reports, storage };
  });
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const stop = onSynced(() => void state.reload());
    const timer = setInterval(() => void state.reload(), 10_000);
    return () => {
      stop();
      clearInterval(timer);
    };
  }, []);
  const syncNow = async () => {
    setBusy(true);
    try {
      await api.syncNow();
    } catch {
      // The failure is recorded in the sync status, in words; it is shown below.
    } finally {
      setBusy(false);
      await state.reload();
    }
  };
  const { queue, status, reports = [], storage } = state.value ?? {};
  const room = storage ? storageWords(w, storage) : null;
  const drafts = reports.filter((r) => r.state === "draft");
  const submitted = reports.filter((r) => r.state !== "draft");
  return (
    <section id="queue">
      <h1>{t("nav.queue")}</h1>
      <p id="queue-summary" class="summary">
        {queue ? waiting(w, queue) : "…"}
      </p>
      <p id="queue-last-sync">
        {status?.last_success_at ? t("queue.lastSync", { when: when(w, status.last_success_at) }) : t("queue.never")}
      </p>
      {status && !status.configured && <p class="notice">{t("queue.notSetUp")}</p>}
      {(status?.last_error || state.error) && (
        <p class="error" id="queue-error">
          {status?.last_said
            ? say(w.lang, status.last_said, status.last_error ?? undefined)
            : status?.last_error
              ? failureWords(w, status.last_error_kind, status.last_error)
              : failureText(w, state.error)}
        </p>
      )}
      <button id="sync-now" class="primary" disabled={busy} onClick={() => void syncNow()}>
        {busy ? t("queue.syncing") : status?.last_error ? t("queue.retry") : t("queue.syncNow")}
      </button>
      {room && (
        <p id="queue-storage" class="hint">
          {room.text}
        </p>
      )}
      {room?.warning && (
        <p id="storage-warning" class={room.level === "full" ? "error" : "notice"}>
          {room.warning}
        </p>
      )}
      {drafts.length > 0 && (
        <>
          <h2>{t("queue.drafts", { n: drafts.length })}</h2>
          <ul class="reports" id="draft-list">
            {drafts.map((r) => (
              <ReportRow key={r.id} r={r} onOpen={onOpen} />
            ))}
          </ul>
        </>
      )}
      <h2>{t("queue.reports")}</h2>
      {submitted.length ? (
        <ul class="reports" id="report-list">
          {submitted.map((r) => (
            <ReportRow key={r.id} r={r} onOpen={onOpen} />
          ))}
        </ul>
      ) : (
        <p>{t("queue.noReports")}</p>
      )}
    </section>
  );
}
