// One report as the console shows it: photos, a map of its cell, the facts, the actions its
// state allows, and the audit trail (versions, steps, verification tasks).
import { useEffect, useState } from "preact/hooks";

import { Failure, failureText } from "../shared/error";
import { boundsOf, type LonLat, pad, project } from "../shared/geo";
import { useResource } from "../shared/resource";
import { say, sayNote, sayValue, storedNote, type Names } from "../shared/say";
import type { CaseAction, CaseState, ConsoleReport, Correction, Kind, Message, ReportDetail, Seal } from "../shared/types";
import { client, links } from "./client";
import { type Prepared, prepare, upload } from "./photos";
import { useI18n, type Key } from "./i18n";
import {
  type ActionName,
  actionsFor,
  afterPhotosBefore,
  categoryKeyNames,
  categoryLabel,
  cellNamer,
  claimText,
  countdown,
  dueStatus,
  duplicateWhy,
  eventText,
  flagText,
  placeDisputed,
  reportName,
  reviews,
  versionAuthor,
  versionChanges,
  when,
} from "./logic";
import { useSession } from "./session";

export function StateBadge(props: { state: CaseState }) {
  const { t } = useI18n();
  return <span class={`badge state-${props.state}`}>{t(`state.${props.state}` as Key)}</span>;
}

export function DueBadge(props: { item: ConsoleReport }) {
  const { t } = useI18n();
  const s = dueStatus(props.item, new Date());
  if (s === "none") return null;
  return <span class={`badge due-${s}`}>{t(`due.${s}` as Key)}</span>;
}

/** The outer ring of a GeoJSON Polygon Feature, or none. */
function ringOf(feature: unknown): LonLat[] {
  return (feature as { geometry?: { coordinates?: LonLat[][] } } | null)?.geometry?.coordinates?.[0] ?? [];
}

/** The report's cell and position (and those of related reports) on a small map; for a
 * report outside the grid, the nearest cell (dashed) with the point beside it. */
function CellMap(props: { detail: ReportDetail; label: string }) {
  const { detail } = props;
  const ring = ringOf(detail.cell);
  const nearest = ringOf(detail.nearest_cell);
  const here: LonLat = [detail.item.report.location.lon, detail.item.report.location.lat];
  const others: LonLat[] = detail.related.map((r) => [r.report.location.lon, r.report.location.lat]);
  const b = boundsOf([...ring, ...nearest, here, ...others]);
  if (!b) return null;
  const p = project(pad(b, 25), 320, 220);
  const pathOf = (r: LonLat[]) => r.map((c, i) => `${i ? "L" : "M"}${p.toXY(c).join(",")}`).join(" ");
  const path = pathOf(ring);
  const near = pathOf(nearest);
  const [x, y] = p.toXY(here);
  return (
    <svg class="cellmap" viewBox="0 0 320 220" role="img" aria-label={props.label}>
      {path && <path class="cell" d={`${path} Z`} />}
      {near && <path class="cell nearest" d={`${near} Z`} />}
      {others.map((o, i) => {
        const [ox, oy] = p.toXY(o);
        return <circle key={i} class="other" cx={ox} cy={oy} r="6" />;
      })}
      <circle class="here" cx={x} cy={y} r="8" />
    </svg>
  );
}

/** Every report on the page by ID, named for people (a refusal names reports by ID). */
function pageNames(w: ReturnType<typeof useI18n>, names: ReturnType<typeof useSession>["names"], detail: ReportDetail): Names {
  const out: Names = {};
  for (const r of [detail.item, ...detail.related]) out[r.report.id] = reportName(w, names, r);
  return out;
}

/** The refusals that mean "likely a duplicate: say you saw it, or merge". */
const DUPLICATE_CODES = ["case.likely_duplicate", "case.likely_duplicate_case"];

/** The report a likely-duplicate warning is about, among those shown with this one. */
function warnedAbout(detail: ReportDetail, said: Message): ConsoleReport | undefined {
  if (said.code === "case.likely_duplicate_case") {
    return detail.related.find((r) => r.case?.case_no === said.params?.case_no);
  }
  return detail.related.find((r) => r.report.id === detail.item.duplicate_of);
}

/** The categories a correction may choose from, each kind's in code order. */
function categoryChoices(names: ReturnType<typeof useSession>["names"]): { kind: Kind; code: string; key: string }[] {
  return [...names.keys()]
    .map((key) => {
      const [kind, code] = key.split(":");
      return { kind: kind as Kind, code, key };
    })
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.code.localeCompare(b.code));
}

/** Tomorrow as a date input's value (`2026-12-03`), local time: the earliest 缓办 end. */
function tomorrow(): string {
  const d = new Date();
  d.setDate(d.getDate() + 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** The department that last sent the case back (回退) and why, when that is where the case
 * stands (no dispatch since): what the operator needs before 改派. */
function lastBounce(detail: ReportDetail): { department: string | null; reason: string | null; at: string } | null {
  const events = detail.events;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.action === "dispatch" || e.action === "redispatch") return null;
    if (e.action === "bounce") {
      const from = events.slice(0, i).reverse().find((d) => d.action === "dispatch" || d.action === "redispatch");
      return { department: from?.text ?? null, reason: e.text, at: e.at };
    }
  }
  return null;
}

/** What the department last said it did (its 处置说明), with who and when. */
function lastHandling(detail: ReportDetail): { note: string; by: string | null; at: string } | null {
  const e = [...detail.events].reverse().find((x) => x.action === "handled" && x.text);
  return e?.text ? { note: e.text, by: e.by_name, at: e.at } : null;
}

/** The centre's last decision on a request for more time (延期), with its comment. */
function lastExtensionDecision(detail: ReportDetail): { approved: boolean; comment: string | null; at: string } | null {
  const e = [...detail.events].reverse().find((x) => x.action === "approve_extension" || x.action === "refuse_extension");
  return e ? { approved: e.action === "approve_extension", comment: e.text, at: e.at } : null;
}

/** The forms an action opens: what it asks for before it is sent. */
type Form = "correct" | "handled" | "return" | "reason" | "merge" | "dispatch" | "extension" | "decide" | "suspend" | "verify";

/** What each action asks for: nothing (sent at once) or a form, and, for the actions that
 * take only a reason, the label of the reason's field and the name the form field has. */
const ASKS: Record<ActionName, { form: Form | null; reason?: Key; primary?: boolean }> = {
  approve: { form: null, primary: true },
  correct: { form: "correct" },
  return: { form: "return" },
  reject: { form: "reason", reason: "action.reason" },
  merge: { form: "merge" },
  dispatch: { form: "dispatch", primary: true },
  redispatch: { form: "dispatch" },
  accept: { form: null, primary: true },
  handled: { form: "handled", primary: true },
  bounce: { form: "reason", reason: "action.bounceReason" },
  request_extension: { form: "extension" },
  decide_extension: { form: "decide", primary: true },
  suspend: { form: "suspend" },
  resume: { form: null, primary: true },
  void: { form: "reason", reason: "action.voidReason" },
  close_special: { form: "reason", reason: "action.specialReason" },
  verify: { form: "verify", primary: true },
};

/** The actions a report's state and the person's role allow (`actionsFor`), each asking for
 * what it needs. */
function Actions(props: { detail: ReportDetail; onDone: (msg: string, left: boolean) => void }) {
  const { detail } = props;
  const w = useI18n();
  const { t, lang } = w;
  const { departments, me, names } = useSession();
  const item = detail.item;
  const r = item.report;
  // The action whose form is open.
  const [open, setOpen] = useState<ActionName | null>(null);
  const [text, setText] = useState("");
  const [hours, setHours] = useState("8");
  const [until, setUntil] = useState("");
  const [into, setInto] = useState(item.duplicate_of ?? "");
  const others = departments.filter((d) => d.code !== item.case?.department);
  const [department, setDepartment] = useState("");
  const [fix, setFix] = useState({ category: `${r.kind}:${r.category}`, description: r.description, address: r.address });
  // A registration the server held back as a likely duplicate: what it said, and the
  // registration to send again once the person has seen it.
  const [warned, setWarned] = useState<{ said: Message; approve: CaseAction } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [pictures, setPictures] = useState<File[]>([]);
  const [uploading, setUploading] = useState<string | null>(null);
  const [left, setLeft] = useState<Prepared[]>([]);
  const named = pageNames(w, names, detail);
  /** Sends the action; whether the centre took it. */
  const send = async (action: CaseAction, label: Key): Promise<boolean> => {
    setBusy(true);
    setError(null);
    try {
      await client.act(item.report.id, { ...action, seen_state: item.state });
      setOpen(null);
      setWarned(null);
      setText("");
      // 回退 takes a case out of the department's reach: its page is gone for them.
      props.onDone(t("action.done", { action: t(label) }), action.action === "bounce");
      return true;
    } catch (e) {
      const f = Failure.from(e);
      if (action.action === "approve" && f.said && DUPLICATE_CODES.includes(f.said.code)) {
        setWarned({ said: f.said, approve: action });
      } else {
        setWarned(null);
        setError(failureText(w, e, named));
      }
      return false;
    } finally {
      setBusy(false);
    }
  };
  /** The correction as the form holds it: only what differs from the report. */
  const correction = (): Correction => {
    const [kind, category] = fix.category.split(":");
    const c: Correction = { version: item.version };
    if (kind !== r.kind || category !== r.category) c.category = { kind: kind as Kind, category };
    if (fix.description.trim() !== r.description) c.description = fix.description;
    if (fix.address.trim() !== r.address) c.address = fix.address;
    return c;
  };
  const label = (a: ActionName) => `action.${a}` as Key;
  // 处置完成 with after-photos: each made ready here, declared with the step, then uploaded.
  const handled = async () => {
    setBusy(true);
    setError(null);
    let prepared: Prepared[];
    try {
      prepared = await Promise.all(pictures.map((f) => prepare(f)));
    } catch (e) {
      setError(failureText(w, e));
      setBusy(false);
      return;
    }
    if (!(await send({ action: "handled", note: text, photos: prepared.map((p) => p.ref) }, "action.handled"))) return;
    setPictures([]);
    await uploadAll(prepared);
  };
  // Uploads what is left; on a failure keeps the rest for 重新上传 (tus resumes each
  // where it stopped).
  const uploadAll = async (list: Prepared[]) => {
    setError(null);
    for (const [i, p] of list.entries()) {
      try {
        setUploading(t("action.uploading", { n: i + 1, of: list.length }));
        await upload(item.report.id, p);
      } catch (e) {
        setLeft(list.slice(i));
        setError(`${t("action.uploadFailed")} ${failureText(w, e)}`);
        setUploading(null);
        return;
      }
    }
    setLeft([]);
    setUploading(null);
  };
  const choose = (a: ActionName) => {
    setError(null);
    if (ASKS[a].form === null) {
      const action: CaseAction = a === "approve" ? { action: "approve" } : a === "accept" ? { action: "accept" } : { action: "resume" };
      void send(action, label(a));
      return;
    }
    if (a === "dispatch" || a === "redispatch") {
      // Not the department that just sent it back, nor the one that has it.
      const bounced = lastBounce(detail)?.department;
      setDepartment((a === "redispatch" ? others : departments).find((d) => d.code !== bounced)?.code ?? "");
    }
    setText("");
    setOpen(a);
  };
  /** The action a reason form sends. */
  const withReason = (a: ActionName, reason: string): CaseAction => {
    switch (a) {
      case "bounce":
        return { action: "bounce", reason };
      case "void":
        return { action: "void", reason };
      case "close_special":
        return { action: "close_special", reason };
      default:
        return { action: "reject", reason };
    }
  };
  const confirmRow = (onConfirm: () => void, ready = true) => (
    <div class="row">
      <button class="primary" disabled={busy || !ready} onClick={onConfirm}>
        {t("action.confirm")}
      </button>
      <button onClick={() => setOpen(null)}>{t("action.cancel")}</button>
    </div>
  );
  const textField = (labelKey: Key, name: string) => (
    <label class="field">
      {t(labelKey)}
      <textarea name={name} rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} />
    </label>
  );
  const form = open ? ASKS[open].form : null;
  const mergeTargets = detail.related.filter((o) => o.state !== "rejected" && o.state !== "merged");
  const other = warned ? warnedAbout(detail, warned.said) : undefined;
  const extension = item.case?.extension;
  return (
    <section class="actions-panel">
      <div class="row">
        {actionsFor(item, me.role).map((a) => (
          <button key={a} data-action={a} class={ASKS[a].primary ? "primary" : ""} disabled={busy} onClick={() => choose(a)}>
            {t(label(a))}
          </button>
        ))}
      </div>
      {warned && (
        <div class="ask duplicate-warning" role="alert">
          <p>{say(lang, warned.said, undefined, named)}</p>
          <div class="row">
            {other && (
              <button class="primary" disabled={busy} onClick={() => send({ action: "merge", into: other.report.id }, "action.merge")}>
                {t("duplicate.mergeInto", { name: reportName(w, names, other) })}
              </button>
            )}
            <button
              disabled={busy}
              onClick={() => send({ ...(warned.approve as Extract<CaseAction, { action: "approve" }>), despite_duplicate: true }, "action.approve")}
            >
              {t("duplicate.anyway")}
            </button>
            <button onClick={() => setWarned(null)}>{t("action.cancel")}</button>
          </div>
        </div>
      )}
      {form === "correct" && (
        <div class="ask correct">
          <p class="hint">{t("correct.hint")}</p>
          <label class="field">
            {t("correct.category")}
            <select name="category" value={fix.category} onChange={(e) => setFix({ ...fix, category: e.currentTarget.value })}>
              {categoryChoices(names).map((c) => (
                <option key={c.key} value={c.key}>
                  {t(`kind.${c.kind}` as Key)} · {categoryLabel(names, c.kind, c.code, lang)}
                </option>
              ))}
            </select>
          </label>
          <label class="field">
            {t("correct.description")}
            <textarea name="description" rows={3} value={fix.description} onInput={(e) => setFix({ ...fix, description: e.currentTarget.value })} />
          </label>
          <label class="field">
            {t("correct.address")}
            <input name="address" value={fix.address} onInput={(e) => setFix({ ...fix, address: e.currentTarget.value })} />
          </label>
          {confirmRow(() => void send({ action: "approve", correct: correction() }, "action.approve"))}
        </div>
      )}
      {form === "handled" && (
        <div class="ask">
          {textField("action.note", "note")}
          {me.role === "department" && (
          <label class="field photo-field">
            {t("action.afterPhotos")}
            <input
              type="file"
              name="after-photos"
              accept="image/*"
              capture="environment"
              multiple
              onChange={(e) => setPictures([...(e.currentTarget.files ?? [])])}
            />
          </label>
          )}
          {pictures.length > 0 && <p class="hint">{t("action.afterPhotosChosen", { n: pictures.length })}</p>}
          {confirmRow(() => void handled())}
        </div>
      )}
      {uploading && <p class="hint uploading" role="status">{uploading}</p>}
      {left.length > 0 && !uploading && (
        <button data-action="upload-again" onClick={() => void uploadAll(left)}>
          {t("action.uploadAgain")}
        </button>
      )}
      {form === "return" && (
        <div class="ask">
          {textField("action.comment", "comment")}
          {confirmRow(() => void send({ action: "return", comment: text }, "action.return"))}
        </div>
      )}
      {form === "reason" && open && (
        <div class="ask">
          {textField(ASKS[open].reason ?? "action.reason", "reason")}
          {confirmRow(() => void send(withReason(open, text), label(open)))}
        </div>
      )}
      {form === "merge" && (
        <div class="ask">
          <label class="field">
            {t("action.merge")}
            <select name="into" value={into} onChange={(e) => setInto(e.currentTarget.value)}>
              <option value="">—</option>
              {mergeTargets.map((o) => (
                <option key={o.report.id} value={o.report.id}>
                  {reportName(w, names, o)} · {t(`state.${o.state}` as Key)}
                </option>
              ))}
            </select>
          </label>
          {confirmRow(() => void send({ action: "merge", into }, "action.merge"), !!into)}
        </div>
      )}
      {form === "dispatch" && open && (
        <div class="ask">
          <label class="field">
            {t("action.department")}
            <select name="department" value={department} onChange={(e) => setDepartment(e.currentTarget.value)}>
              {(open === "redispatch" ? others : departments).map((d) => (
                <option key={d.code} value={d.code}>
                  {lang === "zh" ? d.name : d.name_en} ({d.code})
                </option>
              ))}
            </select>
          </label>
          {confirmRow(() => void send({ action: "dispatch", department }, label(open)), !!department)}
        </div>
      )}
      {form === "extension" && (
        <div class="ask">
          <label class="field">
            {t("action.extensionHours")}
            <input name="hours" type="number" inputMode="numeric" min={1} step={1} value={hours} onInput={(e) => setHours(e.currentTarget.value)} />
          </label>
          {textField("action.extensionReason", "reason")}
          {confirmRow(
            () => void send({ action: "request_extension", hours: Number(hours), reason: text }, "action.request_extension"),
            Number.isInteger(Number(hours)) && Number(hours) > 0,
          )}
        </div>
      )}
      {form === "decide" && extension && (
        <div class="ask">
          <p class="extension-asked">{t("extension.asked", { hours: extension.hours, reason: extension.reason, at: when(w, extension.requested_at) })}</p>
          {textField("action.decisionComment", "comment")}
          <div class="row">
            <button
              class="primary"
              disabled={busy}
              onClick={() => void send({ action: "decide_extension", approve: true, comment: text || null }, "action.approveExtension")}
            >
              {t("action.approveExtension")}
            </button>
            <button
              disabled={busy}
              onClick={() => void send({ action: "decide_extension", approve: false, comment: text || null }, "action.refuseExtension")}
            >
              {t("action.refuseExtension")}
            </button>
            <button onClick={() => setOpen(null)}>{t("action.cancel")}</button>
          </div>
        </div>
      )}
      {form === "suspend" && (
        <div class="ask">
          {textField("action.suspendReason", "reason")}
          <label class="field">
            {t("action.resumeOn")}
            <input name="until" type="date" min={tomorrow()} value={until} onInput={(e) => setUntil(e.currentTarget.value)} />
          </label>
          {confirmRow(() => void send({ action: "suspend", reason: text, until }, "action.suspend"), !!until)}
        </div>
      )}
      {form === "verify" && (
        <div class="ask">
          <p class="hint">{t("verify.hint")}</p>
          {textField("action.verifyNote", "note")}
          <div class="row">
            <button class="primary" disabled={busy} onClick={() => void send({ action: "verify", passed: true, note: text || null }, "action.verifyPass")}>
              {t("action.verifyPass")}
            </button>
            <button disabled={busy} onClick={() => void send({ action: "verify", passed: false, note: text || null }, "action.verifyFail")}>
              {t("action.verifyFail")}
            </button>
            <button onClick={() => setOpen(null)}>{t("action.cancel")}</button>
          </div>
        </div>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

/** States a report can be merged from. */
const MERGEABLE: CaseState[] = ["awaiting_photos", "pending_review", "returned"];

/** The reports of likely the same problem (the ≈ cluster, and those merged in), each with
 * how far and how long apart it was seen; a leader picks those to fold into this report and
 * merges them with one button, all or none. */
function Related(props: { detail: ReportDetail; onDone: (msg: string) => void }) {
  const { detail } = props;
  const w = useI18n();
  const { t } = w;
  const { me, names } = useSession();
  const item = detail.item;
  const [picked, setPicked] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (detail.related.length === 0) return null;
  // Reports merge into one that stands: not rejected, not merged away itself.
  const stands = reviews(me.role) && item.state !== "rejected" && item.state !== "merged" && !item.deleted_at;
  const chosen = detail.related.filter((o) => picked.includes(o.report.id));
  const merge = async () => {
    setBusy(true);
    setError(null);
    try {
      const answer = await client.merge({
        into: item.report.id,
        reports: chosen.map((o) => ({ id: o.report.id, seen_state: o.state })),
      });
      setPicked([]);
      props.onDone(t("merge.done", { n: answer.merged.length }));
    } catch (e) {
      setError(failureText(w, e, pageNames(w, names, detail)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="related-reports">
      <h3>{t("report.related")}</h3>
      {stands && detail.related.some((o) => MERGEABLE.includes(o.state)) && <p class="hint">{t("related.hint")}</p>}
      <ul class="related">
        {detail.related.map((o) => {
          const id = o.report.id;
          const pickable = stands && MERGEABLE.includes(o.state);
          return (
            <li key={id} data-related={id}>
              {pickable && (
                <input
                  type="checkbox"
                  name="merge"
                  value={id}
                  aria-label={t("merge.pick")}
                  checked={picked.includes(id)}
                  onChange={(e) => {
                    const on = e.currentTarget.checked;
                    setPicked((p) => (on ? [...p, id] : p.filter((x) => x !== id)));
                  }}
                />
              )}{" "}
              <a href={`#/${o.case ? "cases" : "review"}/${id}`}>{reportName(w, names, o)}</a> · <StateBadge state={o.state} />{" "}
              <span class="hint">≈ {duplicateWhy(w, item, o, true)}</span>
            </li>
          );
        })}
      </ul>
      {stands && chosen.length > 0 && (
        <div class="row">
          <button class="primary merge-cluster" disabled={busy} onClick={() => void merge()}>
            {t("merge.selected", { n: chosen.length })}
          </button>
        </div>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}

function Audit(props: { detail: ReportDetail }) {
  const { detail } = props;
  const w = useI18n();
  const { t } = w;
  const { departments, names } = useSession();
  return (
    <section class="audit">
      <h3>{t("report.events")}</h3>
      <table>
        <tbody>
          {detail.events.map((e, i) => (
            <tr key={i}>
              <td>{when(w, e.at)}</td>
              <td>{w.has(`event.${e.action}`) ? t(`event.${e.action}` as Key) : e.action}</td>
              <td>{e.by_name ?? (e.by_device ? `${t("report.device")} ${e.by_device.slice(-8)}` : "")}</td>
              <td>
                {eventText(w, e, departments, { ...categoryKeyNames(names, w.lang), ...pageNames(w, names, detail) })}
                {e.due_at ? ` · ${t("report.due")} ${when(w, e.due_at)}` : ""}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {detail.tasks.length > 0 && (
        <>
          <h3>{t("report.tasks")}</h3>
          <ul>
            {detail.tasks.map((k) => (
              <li key={k.id} data-kind={k.kind}>
                {t(k.kind === "check" ? "report.checkTask" : "report.verifyTask")} · {t("report.taskDue")} {when(w, k.due_at)} ·{" "}
                {k.done_at
                  ? k.passed === null
                    ? t("report.withdrawn")
                    : `${t(k.kind === "check" ? (k.passed ? "report.real" : "report.notReal") : k.passed ? "report.passed" : "report.failed")} ${when(w, k.done_at)}`
                  : t(k.kind === "check" ? "report.checkOpen" : "report.open")}
                {k.note ? ` · ${k.note}` : ""}
                {k.photos.length > 0 && (
                  <span class="photos inline">
                    {k.photos.map((p) => (
                      <img key={p.id} src={links.photo(p.sha256)} alt="" />
                    ))}
                  </span>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      <h3>{t("report.versions")}</h3>
      <table class="versions">
        <tbody>
          {detail.versions.map((v, i) => {
            const prev = i > 0 ? detail.versions[i - 1] : null;
            const changes = prev ? versionChanges(w, names, prev.record, v.record) : [];
            return (
              <tr key={v.version} data-version={v.version}>
                <td>{t("report.version", { n: v.version })}</td>
                <td>{when(w, v.at)}</td>
                <td class="author">{versionAuthor(w, v)}</td>
                <td class="changes">
                  {prev ? (
                    <ul>
                      {changes.map((c) => (
                        <li key={c.field}>
                          <b>{t(`change.${c.field}` as Key)}</b>
                          {t("list.colon")}
                          <span class="from">{c.from}</span> → <span class="to">{c.to}</span>
                        </li>
                      ))}
                    </ul>
                  ) : (
                    t("version.first")
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

/** The whole report, loaded by ID; `onChange` is told after an action. */
export function ReportView(props: { id: string; onChange: () => void; onLeft?: (message: string) => void }) {
  const { id } = props;
  const w = useI18n();
  const { t, lang } = w;
  const { names, departments } = useSession();
  const report = useResource(() => client.report(id), [id]);
  // What the last action did, said until another report is shown.
  const [done, setDone] = useState<{ id: string; message: string } | null>(null);
  // What an action did is said at the top of the case: bring it into view (on a phone the
  // person is scrolled down at the buttons).
  useEffect(() => {
    if (done) document.querySelector("article.report p.done")?.scrollIntoView({ block: "center" });
  }, [done]);
  const detail = report.value;
  if (report.error) return <p class="error">{failureText(w, report.error)}</p>;
  if (!detail) return <p class="loading">{t("loading")}</p>;
  const { item } = detail;
  const r = item.report;
  const arrived = new Set(item.photos_arrived);
  const cell = cellNamer(w, detail.cell_names);
  const place = r.cell ? cell(r.cell) : r.location_flags.map((f) => flagText(w, f, cell)).join(t("list.sep"));
  return (
    <article class="report" data-report={r.id}>
      <h2>
        {categoryLabel(names, r.kind, r.category, lang)} <StateBadge state={item.state} /> <DueBadge item={item} />
      </h2>
      <SealBadge seal={detail.seal} />
      {done?.id === id && (
        <p class="done" role="status">
          {done.message}
        </p>
      )}
      <div class="report-body">
        <div class="photos">
          {r.photos.map((p) =>
            arrived.has(p.id) ? (
              <a key={p.id} href={links.photo(p.sha256)} target="_blank" rel="noreferrer">
                <img src={links.photo(p.sha256)} alt={t("report.photos")} />
              </a>
            ) : (
              <span key={p.id} class="placeholder">
                {t("report.photoMissing")}
              </span>
            ),
          )}
        </div>
        <CellMap detail={detail} label={place} />
      </div>
      <dl class="facts">
        {item.case && (
          <>
            <dt>{t("report.case")}</dt>
            <dd class="case-no">{item.case.case_no}</dd>
            <dt>{t("report.department")}</dt>
            <dd>{item.case.department ? (departments.find((d) => d.code === item.case?.department)?.[lang === "zh" ? "name" : "name_en"] ?? item.case.department) : "—"}</dd>
            <dt>{t("report.due")}</dt>
            <dd>{when(w, item.case.due_at)}</dd>
            {item.step_due_at && item.step_due_at !== item.case.due_at && (
              <>
                <dt>{t("report.stepDue")}</dt>
                <dd>{when(w, item.step_due_at)}</dd>
              </>
            )}
            {item.step_left_minutes !== null && item.step_left_minutes !== undefined && (
              <>
                <dt>{t("report.countdown")}</dt>
                <dd class={`countdown due-${dueStatus(item, new Date())}`}>{countdown(w, item.step_left_minutes)}</dd>
              </>
            )}
            {item.case.extension && (
              <>
                <dt>{t("report.extension")}</dt>
                <dd class="extension-asked">
                  {t("extension.asked", { hours: item.case.extension.hours, reason: item.case.extension.reason, at: when(w, item.case.extension.requested_at) })}
                </dd>
              </>
            )}
            {(() => {
              const h = lastHandling(detail);
              return h ? (
                <>
                  <dt>{t("report.handlingNote")}</dt>
                  <dd class="handling-note">
                    {h.note}
                    <span class="hint">
                      {" "}
                      · {h.by ? `${h.by} · ` : ""}
                      {when(w, h.at)}
                    </span>
                  </dd>
                </>
              ) : null;
            })()}
            {(() => {
              const d = lastExtensionDecision(detail);
              return d ? (
                <>
                  <dt>{t("report.extensionDecided")}</dt>
                  <dd class="extension-decided">
                    {t(d.approved ? "extension.approved" : "extension.refused", { at: when(w, d.at) })}
                    {d.comment ? `：${d.comment}` : ""}
                  </dd>
                </>
              ) : null;
            })()}
            {item.case.suspension && (
              <>
                <dt>{t("report.suspended")}</dt>
                <dd>{t("report.suspendedUntil", { day: item.case.suspension.resume_on, at: when(w, item.case.suspension.at) })}</dd>
              </>
            )}
            {item.case.closure && (
              <>
                <dt>{t("report.closure")}</dt>
                <dd class="closure">{t(`closure.${item.case.closure}` as Key)}</dd>
              </>
            )}
            {item.case.reworks > 0 && (
              <>
                <dt>{t("report.reworks")}</dt>
                <dd>{item.case.reworks}</dd>
              </>
            )}
          </>
        )}
        <dt>{t("report.source")}</dt>
        <dd class="source">{sayValue(w.lang, "source", item.source)}</dd>
        {item.caller_ref && (
          <>
            <dt>{t("report.callerRef")}</dt>
            <dd class="caller-ref">{item.caller_ref}</dd>
          </>
        )}
        <dt>{t("report.reporter")}</dt>
        <dd>
          {item.reporter.name} ({item.reporter.login})
        </dd>
        <dt>{t("report.observed")}</dt>
        <dd>{when(w, r.observed_at)}</dd>
        <dt>{t("report.received")}</dt>
        <dd>{when(w, item.received_at)}</dd>
        <dt>{t("report.cell")}</dt>
        <dd class="cell" title={r.cell ?? undefined}>
          {r.cell ? cell(r.cell) : t("place.noCell")}
        </dd>
        {r.location_flags.length > 0 && (
          <>
            <dt>{t("report.flags")}</dt>
            <dd>{r.location_flags.map((f) => flagText(w, f, cell)).join(t("list.sep"))}</dd>
          </>
        )}
        {r.component_id && (
          <>
            <dt>{t("component.id")}</dt>
            <dd>
              <a href={`#/components/${r.component_id}`} class="component-link">
                {r.component_id}
              </a>
            </dd>
          </>
        )}
        <dt>{t("report.address")}</dt>
        <dd>{r.address || "—"}</dd>
        <dt>{t("report.description")}</dt>
        <dd>{r.description || "—"}</dd>
        {r.urgency === "urgent" && (
          <>
            <dt>{t("report.urgent")}</dt>
            <dd>✓</dd>
          </>
        )}
        {r.handled_on_spot && (
          <>
            <dt>{t("report.handledOnSpot")}</dt>
            <dd>✓</dd>
          </>
        )}
        {r.clips.length > 0 && (
          <>
            <dt>{t("report.clips")}</dt>
            <dd>
              {r.clips.map((c) => (
                <div key={c.start}>
                  {t("report.clipLine", { camera: c.camera_serial, badge: c.officer_badge, from: when(w, c.start), to: when(w, c.end) })}
                </div>
              ))}
            </dd>
          </>
        )}
        {item.note && (
          <>
            <dt>{t("report.note")}</dt>
            <dd class="note">{sayNote(lang, storedNote(item.note), { ...categoryKeyNames(names, lang), ...pageNames(w, names, detail) })}</dd>
          </>
        )}
      </dl>
      {item.state === "registered" &&
        (() => {
          const b = lastBounce(detail);
          if (!b) return null;
          const name = b.department ? (departments.find((d) => d.code === b.department)?.[lang === "zh" ? "name" : "name_en"] ?? b.department) : "—";
          return (
            <p class="notice bounced" role="note">
              <span class="badge bounced">{t("report.bounced")}</span> {t("report.bouncedBy", { department: name, at: when(w, b.at), reason: b.reason ?? "—" })}
            </p>
          );
        })()}
      {placeDisputed(item) && (
        <p class="notice disputed" role="note">
          <span class="badge disputed">{t("place.disputed")}</span> {claimText(w, item, cell)}
        </p>
      )}
      {item.duplicate_of && (
        <p class="notice duplicate">
          {(() => {
            const other = detail.related.find((o) => o.report.id === item.duplicate_of);
            return other
              ? `${t("report.duplicateOf", { id: reportName(w, names, other) })} · ${duplicateWhy(w, item, other)}`
              : // Out of the person's reach (another team's, another department's): said
                // without naming it, never by an ID.
                t("report.duplicateOfUnseen");
          })()}
        </p>
      )}
      <Related
        detail={detail}
        onDone={(message) => {
          void report.reload().then(() => setDone({ id, message }));
          props.onChange();
        }}
      />
      <Evidence detail={detail} />
      <div class="row no-print">
        <button
          type="button"
          class="print"
          onClick={() => {
            // The case sheet carries the whole audit trail.
            for (const d of document.querySelectorAll<HTMLDetailsElement>("details.audit-trail")) d.open = true;
            window.print();
          }}
        >
          {t("report.print")}
        </button>
      </div>
      <Actions
        detail={detail}
        onDone={(message, left) => {
          if (left && props.onLeft) props.onLeft(message);
          else void report.reload().then(() => setDone({ id, message }));
          props.onChange();
        }}
      />
      <details class="audit-trail">
        <summary>{t("report.audit")}</summary>
        <Audit detail={detail} />
      </details>
    </article>
  );
}

/** 处置前 / 处置后: the report's before photos beside the after photos (taken on the spot
 * by the inspector, by the department at 处置完成, or at each verification), at a size one
 * can judge by, with who took the after photos and when. */
function Evidence({ detail }: { detail: ReportDetail }) {
  const w = useI18n();
  const { t } = w;
  const r = detail.item.report;
  const arrived = new Set(detail.item.photos_arrived);
  const before = r.photos.filter((p) => p.stage !== "after" && arrived.has(p.id));
  const after = [
    ...r.photos.filter((p) => p.stage === "after" && arrived.has(p.id)).map((p) => ({ p, label: t("evidence.onSpot"), at: p.taken_at ?? r.observed_at })),
    ...detail.handling_photos
      .filter((p) => arrived.has(p.id))
      .map((p) => ({ p, label: t("evidence.department"), at: p.taken_at ?? detail.item.case?.handled_at ?? detail.item.state_at })),
    ...detail.tasks.flatMap((k) =>
      k.photos.map((p) => ({
        p,
        label: `${t("evidence.verification")} · ${k.passed === null ? t("report.open") : t(k.passed ? "report.passed" : "report.failed")}`,
        at: k.done_at ?? k.created_at,
      })),
    ),
  ];
  if (after.length === 0) return null;
  const early = afterPhotosBefore(r);
  return (
    <section class="evidence" data-evidence>
      <h3>{t("evidence.title")}</h3>
      {early.length > 0 && (
        <p class="notice early-after" role="note">
          {t("evidence.afterBeforeFound", { taken: early.map((at) => when(w, at)).join(t("list.sep")), found: when(w, r.observed_at) })}
        </p>
      )}
      <div class="side-by-side">
        <figure class="before">
          <figcaption>{t("evidence.before")}</figcaption>
          {before.map((p) => (
            <a key={p.id} href={links.photo(p.sha256)} target="_blank" rel="noreferrer">
              <img src={links.photo(p.sha256)} alt={t("evidence.before")} />
            </a>
          ))}
        </figure>
        <figure class="after">
          <figcaption>{t("evidence.after")}</figcaption>
          {after.map(({ p, label, at }) => (
            <a key={p.id} href={links.photo(p.sha256)} target="_blank" rel="noreferrer">
              <img src={links.photo(p.sha256)} alt={t("evidence.after")} />
              <span class="hint">
                {label} · {when(w, at)}
              </span>
            </a>
          ))}
        </figure>
      </div>
    </section>
  );
}

/** Whether the report's records are as written: its hash chains up to its present state and
 *  its photos' bytes (checked by the centre each time the report is shown). */
function SealBadge({ seal }: { seal: Seal }) {
  const { t } = useI18n();
  return seal.verified ? (
    <p class="seal verified" data-seal="verified" title={seal.head ?? ""}>
      {t("seal.verified", { versions: seal.versions, events: seal.events, photos: seal.photos })}
    </p>
  ) : (
    <p class="seal broken" data-seal="broken" role="alert">
      {t("seal.broken", { where: seal.broken ?? "" })}
    </p>
  );
}
