// Tasks: what the centre asks of this inspector. Verification (核查) tasks arrive with a
// sync; each is done here, offline: go and look, take a photo of the result (处置后), say
// whether it is fixed and what was found. The verdict is queued like a report and sent by
// the sync worker. Below them, the reports returned to the inspector to change.
import { useEffect, useState } from "preact/hooks";

import { api, errorText, onSynced } from "../api";
import type { LocalReport, TaskChange } from "../bindings";
import { translate, type Lang } from "../i18n";
import type { Category } from "../logic/categories";
import { when } from "../logic/report";
import { ReportRow } from "./queue";

function TaskCard(props: { t: TaskChange; lang: Lang; categories: Category[]; onDone: (msg: string) => void }) {
  const { t, lang } = props;
  const tr = (k: Parameters<typeof translate>[1], v?: Record<string, string | number>) => translate(lang, k, v);
  const [passed, setPassed] = useState<boolean | null>(null);
  const [note, setNote] = useState("");
  const [photo, setPhoto] = useState<Blob | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const r = t.report;
  const category = props.categories.find((c) => c.kind === r.kind && c.code === r.category);
  const submit = async () => {
    if (passed === null) return;
    setBusy(true);
    setError(null);
    try {
      await api.completeTask(t.task.id, passed, note, photo);
      props.onDone(tr("tasks.done"));
    } catch (e) {
      setError(errorText(e, lang));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class="task" data-task={t.task.id}>
      <h2>
        {tr("tasks.verify")} · {tr("tasks.case", { no: t.task.case_no })}
      </h2>
      <p>
        <strong>{category ? `${category.major_name} · ${category.name}` : r.category}</strong>
        {r.address ? ` · ${r.address}` : ""}
      </p>
      {r.description && <p>{r.description}</p>}
      <p class="hint">
        {tr("tasks.due", { when: when(lang, t.task.due_at) })}
        {t.department ? ` · ${tr("tasks.department", { name: t.department })}` : ""}
      </p>
      <div class="row">
        <button class={passed === true ? "primary" : ""} aria-pressed={passed === true} onClick={() => setPassed(true)}>
          {tr("tasks.pass")}
        </button>
        <button class={passed === false ? "primary" : ""} aria-pressed={passed === false} onClick={() => setPassed(false)}>
          {tr("tasks.fail")}
        </button>
      </div>
      <label class="field">
        {tr("tasks.note")}
        <textarea rows={2} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </label>
      <div class="row">
        <label class="button photo-button">
          {photo ? tr("tasks.photoTaken") : tr("tasks.photo")}
          <input type="file" accept="image/jpeg" capture="environment" onChange={(e) => setPhoto(e.currentTarget.files?.[0] ?? null)} />
        </label>
        <button class="primary" disabled={busy || passed === null} onClick={() => void submit()}>
          {tr("tasks.submit")}
        </button>
      </div>
      {error && <p class="error">{error}</p>}
    </li>
  );
}

export function Tasks({ lang, categories, onOpen }: { lang: Lang; categories: Category[]; onOpen: (r: LocalReport) => void }) {
  const [tasks, setTasks] = useState<TaskChange[]>([]);
  const [returned, setReturned] = useState<LocalReport[]>([]);
  const [done, setDone] = useState<string | null>(null);
  const load = () => {
    void api.tasks().then(setTasks);
    void api.reports().then((all) => setReturned(all.filter((r) => r.central_state === "returned")));
  };
  useEffect(() => {
    load();
    return onSynced(load);
  }, []);
  return (
    <section id="tasks">
      <h1>{translate(lang, "nav.tasks")}</h1>
      {done && <p class="notice" role="status">{done}</p>}
      {tasks.length === 0 ? (
        <>
          <p id="tasks-none">{translate(lang, "tasks.none")}</p>
          <p class="hint">{translate(lang, "tasks.explain")}</p>
        </>
      ) : (
        <ul class="tasks">
          {tasks.map((t) => (
            <TaskCard
              key={t.task.id}
              t={t}
              lang={lang}
              categories={categories}
              onDone={(msg) => {
                setDone(msg);
                load();
              }}
            />
          ))}
        </ul>
      )}
      {returned.length > 0 && (
        <>
          <h2>{translate(lang, "tasks.returned")}</h2>
          <ul class="reports">
            {returned.map((r) => (
              <ReportRow key={r.id} r={r} lang={lang} categories={categories} onOpen={onOpen} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
