// Tasks: what the centre asks of this inspector. Verification (核查: is a handled case
// fixed?) and check (核实: is a problem the hotline or the public reported real?) tasks
// arrive with a sync; each is done here, offline: go and look, take a photo, say what was
// found. The verdict is queued like a report and sent by
// the sync worker. Below them, the reports returned to the inspector to change.
import { useEffect, useState } from "preact/hooks";

import { failureText } from "../../shared/error";
import { sayValue } from "../../shared/say";
import { useResource } from "../../shared/resource";
import type { TaskChange } from "../../shared/types";
import { api, onSynced } from "../api";
import type { LocalReport } from "../commands";
import { Thumb } from "../components/photos";
import { useI18n } from "../i18n";
import { when } from "../logic/report";
import { useSession } from "../session";
import { ReportRow } from "./queue";

function TaskCard({ task: change, onDone }: { task: TaskChange; onDone: (msg: string) => void }) {
  const w = useI18n();
  const { t } = w;
  const [passed, setPassed] = useState<boolean | null>(null);
  const [note, setNote] = useState("");
  const [photo, setPhoto] = useState<Blob | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const r = change.report;
  // 核实: a report from another port (hotline, public …), before it is a case.
  const check = change.task.kind === "check";
  const category = useSession().categories.find((c) => c.kind === r.kind && c.code === r.category);
  const submit = async () => {
    if (passed === null) return;
    setBusy(true);
    setError(null);
    try {
      await api.completeTask(change.task.id, passed, note, photo);
      onDone(t("tasks.done"));
    } catch (e) {
      setError(failureText(w, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class="task" data-task={change.task.id}>
      <h2>
        {check ? t("tasks.check") : t("tasks.verify")}
        {change.task.case_no ? ` · ${t("tasks.case", { no: change.task.case_no })}` : ""}
      </h2>
      <p>
        <strong>{category ? `${category.major_name} · ${category.name}` : r.category}</strong>
        {r.address ? ` · ${r.address}` : ""}
      </p>
      {check && change.source && (
        <p class="hint source">{t("tasks.source", { source: sayValue(w.lang, "source", change.source) })}</p>
      )}
      {r.description && <p>{r.description}</p>}
      {change.handling_note && <p class="handling-note">{t("tasks.handlingNote", { note: change.handling_note })}</p>}
      {change.handling_photos.length > 0 && (
        <div class="handling-photos">
          <p class="hint">{t("tasks.handlingPhotos")}</p>
          <div class="photos">
            {change.handling_photos.map((p) => (
              <Thumb key={p.id} photo={p} />
            ))}
          </div>
        </div>
      )}
      <p class="hint">
        {t(check ? "tasks.checkDue" : "tasks.due", { when: when(w, change.task.due_at) })}
        {change.department ? ` · ${t("tasks.department", { name: change.department })}` : ""}
      </p>
      <div class="row">
        <button class={passed === true ? "primary" : ""} aria-pressed={passed === true} onClick={() => setPassed(true)}>
          {check ? t("tasks.real") : t("tasks.pass")}
        </button>
        <button class={passed === false ? "primary" : ""} aria-pressed={passed === false} onClick={() => setPassed(false)}>
          {check ? t("tasks.notReal") : t("tasks.fail")}
        </button>
      </div>
      <label class="field">
        {check ? t("tasks.checkNote") : t("tasks.note")}
        <textarea rows={2} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </label>
      <div class="row">
        <label class="button photo-button">
          {photo ? t("tasks.photoTaken") : check ? t("tasks.checkPhoto") : t("tasks.photo")}
          <input type="file" accept="image/jpeg" capture="environment" onChange={(e) => setPhoto(e.currentTarget.files?.[0] ?? null)} />
        </label>
        <button class="primary" disabled={busy || passed === null} onClick={() => void submit()}>
          {check ? t("tasks.checkSubmit") : t("tasks.submit")}
        </button>
      </div>
      {error && <p class="error">{error}</p>}
    </li>
  );
}

export function Tasks({ onOpen }: { onOpen: (r: LocalReport) => void }) {
  const { t } = useI18n();
  const tasks = useResource(api.tasks);
  const returned = useResource(async () => (await api.reports()).filter((r) => r.central_state === "returned"));
  const [done, setDone] = useState<string | null>(null);
  const load = () => {
    void tasks.reload();
    void returned.reload();
  };
  useEffect(() => onSynced(load), []);
  const open = tasks.value ?? [];
  const back = returned.value ?? [];
  return (
    <section id="tasks">
      <h1>{t("nav.tasks")}</h1>
      {done && <p class="notice" role="status">{done}</p>}
      {open.length === 0 ? (
        <>
          <p id="tasks-none">{t("tasks.none")}</p>
          <p class="hint">{t("tasks.explain")}</p>
        </>
      ) : (
        <ul class="tasks">
          {open.map((task) => (
            <TaskCard
              key={task.task.id}
              task={task}
              onDone={(msg) => {
                setDone(msg);
                load();
              }}
            />
          ))}
        </ul>
      )}
      {back.length > 0 && (
        <>
          <h2>{t("tasks.returned")}</h2>
          <ul class="reports">
            {back.map((r) => (
              <ReportRow key={r.id} r={r} onOpen={onOpen} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
