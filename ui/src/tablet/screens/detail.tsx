// Report detail and history: the report as captured, where it stands in the centre's loop,
// what the centre said, and, while it is not yet a case (or was returned), a way to change
// it and send it again.
import { useState } from "preact/hooks";

import { failureText } from "../../shared/error";
import { sayNote } from "../../shared/say";
import { useResource } from "../../shared/resource";
import type { Urgency } from "../../shared/types";
import { api } from "../api";
import { Thumb } from "../components/photos";
import { useI18n } from "../i18n";
import { categoryNames, label } from "../logic/categories";
import { cellNamer, editable, flagText, progress, stateLabel, when } from "../logic/report";
import { useSession } from "../session";

export interface DetailProps {
  id: string;
  onBack: () => void;
  onContinue: (draftId: string) => void;
}

export function Detail({ id, onBack, onContinue }: DetailProps) {
  const w = useI18n();
  const { t, lang } = w;
  const { categories, cells } = useSession();
  const report = useResource(() => api.report(id), [id]);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<{ description: string; address: string; urgency: Urgency } | null>(null);
  const r = report.value;
  if (!r) return <section id="detail">{report.error ? <p class="error">{failureText(w, report.error)}</p> : "…"}</section>;
  const c = categories.find((c) => c.kind === r.kind && c.code === r.category);
  // A refusal about this report names it as the heading does, never by its ID.
  const names = { [r.id]: `“${c ? label(c, lang) : t("category.none")}”` };
  const save = async () => {
    if (!editing) return;
    try {
      report.set(await api.editReport(r.id, editing));
      setEditing(null);
      setError(null);
    } catch (e) {
      setError(failureText(w, e, names));
    }
  };
  return (
    <section id="detail" data-report={r.id}>
      <button type="button" class="back" id="detail-back" onClick={onBack}>
        ← {t("detail.back")}
      </button>
      <h1>{c ? label(c, lang) : t("category.none")}</h1>
      <p class="state" id="detail-state">
        {stateLabel(w, r)}
      </p>
      {r.centre_note && (
        <p class="notice" id="detail-note">
          {t("detail.centreNote", { note: sayNote(w.lang, r.centre_note, categoryNames(categories, w.lang)) ?? "" })}
        </p>
      )}
      <h2>{t("detail.history")}</h2>
      <ol class="progress" id="detail-progress">
        {progress(w, r).map((s) => (
          <li key={s.key} class={s.status}>
            {s.label}
          </li>
        ))}
      </ol>
      <div class="photos">
        {r.photos.map((p) => (
          <Thumb key={p.id} photo={p} />
        ))}
      </div>
      <p>{t("detail.observed", { when: when(w, r.observed_at) })}</p>
      {r.cell && <p id="detail-cell" title={r.cell}>{t("report.cell", { cell: cellNamer(w, cells)(r.cell) })}</p>}
      <ul class="warnings">
        {r.location_flags.map((f, i) => (
          <li key={i}>{flagText(w, f, cellNamer(w, cells))}</li>
        ))}
      </ul>
      {editing ? (
        <div class="edit">
          <label class="field">
            {t("report.description")}
            <textarea id="edit-description" rows={3} value={editing.description} onInput={(e) => setEditing({ ...editing, description: e.currentTarget.value })} />
          </label>
          <label class="field">
            {t("report.address")}
            <input id="edit-address" value={editing.address} onInput={(e) => setEditing({ ...editing, address: e.currentTarget.value })} />
          </label>
          <label>
            <input type="checkbox" id="edit-urgent" checked={editing.urgency === "urgent"} onChange={(e) => setEditing({ ...editing, urgency: e.currentTarget.checked ? "urgent" : "normal" })} />
            {t("report.urgent")}
          </label>
          <div class="row actions">
            <button type="button" onClick={() => setEditing(null)}>
              {t("detail.cancel")}
            </button>
            <button type="button" id="edit-save" class="primary" onClick={() => void save()}>
              {t("detail.save")}
            </button>
          </div>
        </div>
      ) : (
        <>
          <p id="detail-description">{r.description}</p>
          {r.address && <p>{r.address}</p>}
          {r.state === "draft" ? (
            <button type="button" class="primary" id="detail-continue" onClick={() => onContinue(r.id)}>
              {t("report.drafts")}
            </button>
          ) : (
            editable(r) && (
              <button type="button" class="primary" id="detail-edit" onClick={() => setEditing({ description: r.description, address: r.address, urgency: r.urgency })}>
                {t(r.central_state === "returned" ? "detail.edit" : "detail.change")}
              </button>
            )
          )}
        </>
      )}
      {error && <p class="error">{error}</p>}
    </section>
  );
}
