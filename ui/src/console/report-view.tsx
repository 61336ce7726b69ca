// One report as the console shows it: photos, a map of its cell, the facts, the actions its
// state allows, and the audit trail (versions, steps, verification tasks).
import { useState } from "preact/hooks";

import { Failure, failureText } from "../shared/error";
import { boundsOf, type LonLat, pad, project } from "../shared/geo";
import { useResource } from "../shared/resource";
import { say, sayNote, storedNote, type Names } from "../shared/say";
import type { CaseAction, CaseState, ConsoleReport, Correction, Kind, Message, ReportDetail, Seal } from "../shared/types";
import { client, links } from "./client";
import { useI18n, type Key } from "./i18n";
import {
  categoryKeyNames,
  categoryLabel,
  cellNamer,
  claimText,
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

/** The actions a report's state allows, each asking for what it needs. */
function Actions(props: { detail: ReportDetail; onDone: (msg: string) => void }) {
  const { detail } = props;
  const w = useI18n();
  const { t, lang } = w;
  const { departments, me, names } = useSession();
  const item = detail.item;
  const r = item.report;
  const [open, setOpen] = useState<"return" | "reject" | "merge" | "dispatch" | "correct" | "handled" | null>(null);
  const [text, setText] = useState("");
  const [into, setInto] = useState(item.duplicate_of ?? "");
  const [department, setDepartment] = useState(departments[0]?.code ?? "");
  const [fix, setFix] = useState({ category: `${r.kind}:${r.category}`, description: r.description, address: r.address });
  // A registration the server held back as a likely duplicate: what it said, and the
  // registration to send again once the person has seen it.
  const [warned, setWarned] = useState<{ said: Message; approve: CaseAction } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const named = pageNames(w, names, detail);
  const send = async (action: CaseAction, label: Key) => {
    setBusy(true);
    setError(null);
    try {
      await client.act(item.report.id, { ...action, seen_state: item.state });
      setOpen(null);
      setWarned(null);
      setText("");
      props.onDone(t("action.done", { action: t(label) }));
    } catch (e) {
      const f = Failure.from(e);
      if (action.action === "approve" && f.said && DUPLICATE_CODES.includes(f.said.code)) {
        setWarned({ said: f.said, approve: action });
      } else {
        setWarned(null);
        setError(failureText(w, e, named));
      }
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
  const s = item.state;
  const steers = reviews(me.role);
  const review = steers && (s === "pending_review" || s === "awaiting_photos" || s === "returned");
  const mergeTargets = detail.related.filter((r) => r.state !== "rejected" && r.state !== "merged");
  const other = warned ? warnedAbout(detail, warned.said) : undefined;
  return (
    <section class="actions-panel">
      <div class="row">
        {steers && s === "pending_review" && (
          <button class="primary" disabled={busy} onClick={() => send({ action: "approve" }, "action.approve")}>
            {t("action.approve")}
          </button>
        )}
        {steers && s === "pending_review" && (
          <button disabled={busy} onClick={() => setOpen("correct")}>
            {t("action.correct")}
          </button>
        )}
        {steers && (s === "pending_review" || s === "awaiting_photos") && (
          <button disabled={busy} onClick={() => setOpen("return")}>
            {t("action.return")}
          </button>
        )}
        {review && (
          <button disabled={busy} onClick={() => setOpen("reject")}>
            {t("action.reject")}
          </button>
        )}
        {review && (
          <button disabled={busy} onClick={() => setOpen("merge")}>
            {t("action.merge")}
          </button>
        )}
        {steers && s === "registered" && (
          <button class="primary" disabled={busy} onClick={() => setOpen("dispatch")}>
            {t("action.dispatch")}
          </button>
        )}
        {(s === "dispatched" || s === "in_progress") && (
          <button class="primary" disabled={busy} onClick={() => setOpen("handled")}>
            {t("action.handled")}
          </button>
        )}
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
      {open === "correct" && (
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
          <div class="row">
            <button class="primary" disabled={busy} onClick={() => send({ action: "approve", correct: correction() }, "action.approve")}>
              {t("action.confirm")}
            </button>
            <button onClick={() => setOpen(null)}>{t("action.cancel")}</button>
          </div>
        </div>
      )}
      {open === "handled" && (
        <div class="ask">
          <label class="field">
            {t("action.note")}
            <textarea name="note" rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          </label>
          <div class="row">
            <button class="primary" disabled={busy} onClick={() => send({ action: "handled", note: text }, "action.handled")}>
              {t("action.confirm")}
            </button>
            <button onClick={() => setOpen(null)}>{t("action.cancel")}</button>
          </div>
        </div>
      )}
      {(open === "return" || open === "reject") && (
        <div class="ask">
          <label class="field">
            {t(open === "return" ? "action.comment" : "action.reason")}
            <textarea name={open === "return" ? "comment" : "reason"} rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          </label>
          <div class="row">
            <button
              class="primary"
              disabled={busy}
              onClick={() =>
                open === "return"
                  ? send({ action: "return", comment: text }, "action.return")
                  : send({ action: "reject", reason: text }, "action.reject")
              }
            >
              {t("action.confirm")}
            </button>
            <button onClick={() => setOpen(null)}>{t("action.cancel")}</button>
          </div>
        </div>
      )}
      {open === "merge" && (
        <div class="ask">
          <label class="field">
            {t("action.merge")}
            <select name="into" value={into} onChange={(e) => setInto(e.currentTarget.value)}>
              <option value="">—</option>
              {mergeTargets.map((r) => (
                <option key={r.report.id} value={r.report.id}>
                  {reportName(w, names, r)} · {t(`state.${r.state}` as Key)}
                </option>
              ))}
            </select>
          </label>
          <div class="row">
            <button class="primary" disabled={busy || !into} onClick={() => send({ action: "merge", into }, "action.merge")}>
              {t("action.confirm")}
            </button>
            <button onClick={() => setOpen(null)}>{t("action.cancel")}</button>
          </div>
        </div>
      )}
      {open === "dispatch" && (
        <div class="ask">
          <label class="field">
            {t("action.department")}
            <select name="department" value={department} onChange={(e) => setDepartment(e.currentTarget.value)}>
              {departments.map((d) => (
                <option key={d.code} value={d.code}>
                  {lang === "zh" ? d.name : d.name_en} ({d.code})
                </option>
              ))}
            </select>
          </label>
          <div class="row">
            <button class="primary" disabled={busy || !department} onClick={() => send({ action: "dispatch", department }, "action.dispatch")}>
              {t("action.confirm")}
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
              <td>{t(`event.${e.action}` as Key)}</td>
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
              <li key={k.id}>
                {t("report.due")} {when(w, k.due_at)} ·{" "}
                {k.done_at ? `${t(k.passed ? "report.passed" : "report.failed")} ${when(w, k.done_at)}` : t("report.open")}
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
export function ReportView(props: { id: string; onChange: () => void }) {
  const { id } = props;
  const w = useI18n();
  const { t, lang } = w;
  const { names, departments } = useSession();
  const report = useResource(() => client.report(id), [id]);
  // What the last action did, said until another report is shown.
  const [done, setDone] = useState<{ id: string; message: string } | null>(null);
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
            {item.case.reworks > 0 && (
              <>
                <dt>{t("report.reworks")}</dt>
                <dd>{item.case.reworks}</dd>
              </>
            )}
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
                  {c.camera_serial} · {c.officer_badge} · {when(w, c.start)}–{when(w, c.end)}
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
              : t("report.duplicateOf", { id: item.duplicate_of.slice(-12) });
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
        onDone={(message) => {
          void report.reload().then(() => setDone({ id, message }));
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
 * by the inspector, or at each verification), at a size one can judge by, with who took
 * the after photos and when. */
function Evidence({ detail }: { detail: ReportDetail }) {
  const w = useI18n();
  const { t } = w;
  const r = detail.item.report;
  const arrived = new Set(detail.item.photos_arrived);
  const before = r.photos.filter((p) => p.stage !== "after" && arrived.has(p.id));
  const after = [
    ...r.photos.filter((p) => p.stage === "after" && arrived.has(p.id)).map((p) => ({ p, label: t("evidence.onSpot"), at: p.taken_at ?? r.observed_at })),
    ...detail.tasks.flatMap((k) =>
      k.photos.map((p) => ({
        p,
        label: `${t("evidence.verification")} · ${k.passed === null ? t("report.open") : t(k.passed ? "report.passed" : "report.failed")}`,
        at: k.done_at ?? k.created_at,
      })),
    ),
  ];
  if (after.length === 0) return null;
  return (
    <section class="evidence" data-evidence>
      <h3>{t("evidence.title")}</h3>
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
