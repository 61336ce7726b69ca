// A work queue: the list on the left of 受理审核 and 案件办理. The centre filters, orders
// and pages it (GET /v1/console/reports); the filter lives in the address after `?`
// (`#/cases?state=dispatched&sort=overdue&q=井盖`), so a filtered queue can be shared and
// survives a reload, and changing a filter changes the address. Pages come by cursor
// ("加载更多"); when the centre says something changed (the events stream), the pages on
// screen are read again and the list changes in place, new arrivals marked.
import { useEffect, useRef, useState } from "preact/hooks";

import { Failure, failureText } from "../shared/error";
import { sayValue } from "../shared/say";
import type { CaseState, ConsoleReport, QueueSort, Source } from "../shared/types";
import { client, links } from "./client";
import { refreshQueues, useLive } from "./live";
import { useI18n, type Key } from "./i18n";
import { age, categoryLabel, dayStart, placeDisputed, type QueueQuery, queueHash, type Section, when } from "./logic";
import { DueBadge, StateBadge } from "./report-view";
import { useSession } from "./session";

/** A page, and the most a live refresh reads again at once. */
const PAGE = 50;
const MAX_PAGE = 200;
const SORTS: QueueSort[] = ["waiting", "overdue", "urgent", "newest"];
const FLAGS = ["duplicate", "place_disputed", "outside_grid", "extension_asked", "bounced"] as const;
/** Where reports come from, in the order the filter lists them. */
const SOURCES: Source[] = ["inspector", "hotline_12345", "hotline_12319", "police_110", "fire_119", "wechat", "public", "leader", "video"];

export { refreshQueues };

interface Loaded {
  key: string;
  items: ConsoleReport[];
  next: string | null;
  total: number;
  capped: boolean;
  /** Reports that arrived with the last live refresh. */
  fresh: Set<string>;
}

/** The queue's pages for `query`: the first on a new filter, more on demand, all of them
 * again when the centre reports a change. */
export function useQueue(query: QueueQuery) {
  const key = JSON.stringify(query);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<Failure | null>(null);
  const current = useRef<Loaded | null>(null);
  current.current = loaded?.key === key ? loaded : null;
  // Only the newest request may land.
  const generation = useRef(0);

  const fetchPage = (limit: number, after: string | null) =>
    // The order is checked by the centre (an unknown one is refused in words).
    client.reports({ ...query, sort: query.sort as QueueSort | undefined, limit, after: after ?? undefined });

  const first = async () => {
    const n = ++generation.current;
    try {
      const page = await fetchPage(PAGE, null);
      if (n !== generation.current) return;
      setError(null);
      setLoaded({ key, items: page.items, next: page.next, total: page.total, capped: page.total_capped, fresh: new Set() });
    } catch (e) {
      if (n === generation.current) setError(Failure.from(e));
    }
  };

  const more = async () => {
    const had = current.current;
    if (!had?.next) return;
    const n = ++generation.current;
    try {
      const page = await fetchPage(PAGE, had.next);
      if (n !== generation.current) return;
      setLoaded({ ...had, items: [...had.items, ...page.items], next: page.next, total: page.total, capped: page.total_capped });
    } catch (e) {
      if (n === generation.current) setError(Failure.from(e));
    }
  };

  // Reads again as many as are on screen (at least a page), keeping what is shown until
  // the answer is there; what was not on screen before is marked new.
  const refresh = async () => {
    const had = current.current;
    if (!had) return first();
    const n = ++generation.current;
    try {
      const page = await fetchPage(Math.min(MAX_PAGE, Math.max(PAGE, had.items.length)), null);
      if (n !== generation.current) return;
      // New since the list was first shown stay marked until the filter changes.
      const before = new Set(had.items.map((r) => r.report.id));
      const fresh = new Set(page.items.map((r) => r.report.id).filter((id) => !before.has(id) || had.fresh.has(id)));
      setError(null);
      setLoaded({ key, items: page.items, next: page.next, total: page.total, capped: page.total_capped, fresh });
    } catch (e) {
      if (n === generation.current) setError(Failure.from(e));
    }
  };
  useEffect(() => {
    void first();
  }, [key]);

  // The centre's events (something changed) and actions taken here: read again.
  const live = useLive(refresh);

  return { loaded: current.current, error, live, more, reload: refresh };
}

export function Queue(props: {
  section: Section;
  id: string | null;
  /** The filter in the address. */
  query: QueueQuery;
  /** The states the page lists when the address names none. */
  states: CaseState[];
  title: Key;
  empty: Key;
}) {
  const w = useI18n();
  const { t } = w;
  const { names, departments } = useSession();
  const { section, query } = props;
  const asked: QueueQuery = { ...query, state: query.state ?? props.states.join(",") };
  const q = useQueue(asked);
  const now = new Date();
  const loaded = q.loaded;
  return (
    <>
      <h1>
        {t(props.title)}{" "}
        {loaded && (
          <small class="queue-total">
            {loaded.capped ? t("queue.totalAtLeast", { n: loaded.total }) : t("queue.total", { n: loaded.total })}
          </small>
        )}
        <span class={`live ${q.live ? "on" : "off"}`} title={t(q.live ? "queue.live" : "queue.offline")}>
          ●
        </span>
      </h1>
      <QueueFilters section={section} id={props.id} query={query} states={props.states} />
      {q.error && <p class="error">{failureText(w, q.error)}</p>}
      {!loaded ? (
        !q.error && <p class="loading">{t("loading")}</p>
      ) : loaded.items.length === 0 ? (
        <p class="empty">{t(props.empty)}</p>
      ) : (
        <>
          <div class="queue-head" aria-hidden="true">
            <span>{t("col.photo")}</span>
            <span>{t("col.problem")}</span>
            <span>{t("col.waiting")}</span>
            <span>{t("col.deadline")}</span>
            <span>{t("col.department")}</span>
            <span>{t("col.due")}</span>
          </div>
          <ul class="list queue">
            {loaded.items.map((r) => {
              const first = r.report.photos.find((p) => r.photos_arrived.includes(p.id));
              const department = r.case?.department;
              const classes = [r.report.id === props.id ? "selected" : "", loaded.fresh.has(r.report.id) ? "fresh" : ""];
              return (
                <li key={r.report.id} class={classes.join(" ").trim()}>
                  <a href={queueHash(section, r.report.id, query)} data-report={r.report.id}>
                    {first ? <img src={links.thumb(first.sha256)} alt="" loading="lazy" /> : <span class="noimg" />}
                    <span class="what">
                      <strong>{categoryLabel(names, r.report.kind, r.report.category, w.lang)}</strong>
                      <span class="desc">{r.report.description}</span>
                      <span>
                        {r.case?.case_no ? `${r.case.case_no} · ` : ""}
                        {r.reporter.name} · {when(w, r.report.observed_at)}
                      </span>
                      <span>
                        <StateBadge state={r.state} />
                        {r.report.urgency === "urgent" && <span class="badge urgent">{t("report.urgent")}</span>}
                        {r.source !== "inspector" && <span class="badge source">{sayValue(w.lang, "source", r.source)}</span>}
                        {r.duplicate_of && <span class="badge dup">≈</span>}
                        {placeDisputed(r) && <span class="badge disputed">{t("place.disputed")}</span>}
                        {r.case?.extension && <span class="badge extension">{t("report.extension")}</span>}
                      </span>
                    </span>
                    <span class="waiting">{age(w, r.state_at, now)}</span>
                    <span class="deadline">{when(w, r.step_due_at ?? r.case?.due_at)}</span>
                    <span class="dept">{department ? (departments.find((d) => d.code === department)?.name ?? department) : "—"}</span>
                    <span class="due">
                      <DueBadge item={r} />
                    </span>
                  </a>
                </li>
              );
            })}
          </ul>
          {loaded.next && (
            <button type="button" class="more" onClick={() => void q.more()}>
              {t("queue.more")}
            </button>
          )}
        </>
      )}
    </>
  );
}

/** A work queue's filters and order, kept in the address of `section` (and report `id`):
 * the search box, the order, the state (among `states`; "all" is every one of them) and the
 * rest behind 更多筛选. The queues and the city map share it. */
export function QueueFilters(props: { section: Section; id: string | null; query: QueueQuery; states: CaseState[]; all?: Key }) {
  const w = useI18n();
  const { t } = w;
  const { departments, teams } = useSession();
  const { section, query } = props;
  // The inspectors to pick from: the chosen team's, or every team's this person sees.
  const inspectors = teams
    .filter((tm) => !query.team || tm.code === query.team)
    .flatMap((tm) => tm.members.filter((m) => m.role === "inspector"));
  const go = (change: QueueQuery) => {
    location.hash = queueHash(section, props.id, { ...query, ...change });
  };
  const [text, setText] = useState(query.q ?? "");
  useEffect(() => setText(query.q ?? ""), [query.q]);
  const filtered = Object.keys(query).length > 0;
  // A street's code has 9 digits, a community's 12, a cell's 15 (the centre refuses others
  // in words).
  const placeKey = (v: string): QueueQuery => {
    const code = v.trim() || undefined;
    const n = code?.length;
    return { street: n === 9 ? code : undefined, community: n === 12 ? code : undefined, cell: n === 9 || n === 12 ? undefined : code };
  };
  const place = query.cell ?? query.community ?? query.street ?? "";
  const select = (name: keyof QueueQuery, label: Key, options: [string, string][]) => (
    <label class="field inline">
      {t(label)}
      <select name={name} value={query[name] ?? ""} onChange={(e) => go({ [name]: e.currentTarget.value || undefined })}>
        {options.map(([v, l]) => (
          <option key={v} value={v}>
            {l}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <form
      class="queue-filters"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        go({ q: text.trim() || undefined });
      }}
    >
      <input
        name="q"
        type="search"
        placeholder={t("queue.search")}
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
      />
      <button type="submit">{t("queue.searchButton")}</button>
      {select(
        "sort",
        "queue.sort",
        SORTS.map((s) => [s === "waiting" ? "" : s, t(`sort.${s}` as Key)]),
      )}
      {select("state", "queue.state", [
        ["", t(props.all ?? "queue.allStates")],
        ...props.states.map((s): [string, string] => [s, t(`state.${s}` as Key)]),
      ])}
      <details class="more-filters" open={Boolean(query.urgency || query.source || query.due || query.department || query.flags || place || query.from || query.to || query.inspector || query.team)}>
        <summary>{t("queue.moreFilters")}</summary>
        {select("urgency", "queue.urgency", [
          ["", t("queue.any")],
          ["urgent", t("report.urgent")],
          ["normal", t("queue.normal")],
        ])}
        {select("source", "queue.source", [
          ["", t("queue.any")],
          ...SOURCES.map((s): [string, string] => [s, sayValue(w.lang, "source", s)]),
        ])}
        {select("due", "queue.due", [
          ["", t("queue.any")],
          ["overdue", t("due.overdue")],
          ["due_soon", t("due.soon")],
        ])}
        {select("department", "queue.department", [
          ["", t("queue.any")],
          ...departments.map((d): [string, string] => [d.code, d.name]),
        ])}
        {select("flags", "queue.flags", [
          ["", t("queue.any")],
          ...FLAGS.map((f): [string, string] => [f, t(`queue.flag.${f}` as Key)]),
        ])}
        <label class="field inline">
          {t("queue.place")}
          <input
            name="place"
            inputMode="numeric"
            value={place}
            onChange={(e) => go(placeKey(e.currentTarget.value))}
          />
        </label>
        {teams.length > 1 &&
          select("team", "queue.team", [["", t("queue.any")], ...teams.map((tm): [string, string] => [tm.code, tm.name])])}
        {inspectors.length > 0 && !(query.inspector && !inspectors.some((m) => m.login === query.inspector)) ? (
          select("inspector", "queue.inspector", [
            ["", t("queue.any")],
            ...inspectors.map((m): [string, string] => [m.login, m.name]),
          ])
        ) : (
          <label class="field inline">
            {t("queue.inspectorLogin")}
            <input name="inspector" value={query.inspector ?? ""} onChange={(e) => go({ inspector: e.currentTarget.value.trim() || undefined })} />
          </label>
        )}
        <label class="field inline">
          {t("queue.from")}
          <input
            name="from"
            type="date"
            value={query.from ? localDay(query.from) : ""}
            onChange={(e) => go({ from: e.currentTarget.value ? dayStart(e.currentTarget.value) : undefined })}
          />
        </label>
        <label class="field inline">
          {t("queue.to")}
          <input
            name="to"
            type="date"
            value={query.to ? localDay(query.to, -1) : ""}
            onChange={(e) => go({ to: e.currentTarget.value ? nextDayStart(e.currentTarget.value) : undefined })}
          />
        </label>
      </details>
      {filtered && (
        <a class="clear" href={queueHash(section, props.id, {})}>
          {t("queue.clear")}
        </a>
      )}
    </form>
  );
}

/** An RFC 3339 moment as a date input's local day, `shift` days off. */
function localDay(iso: string, shift = 0): string {
  const d = new Date(iso);
  d.setDate(d.getDate() + shift);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The end of a date input's day: the next local midnight, in RFC 3339. */
function nextDayStart(value: string): string {
  const d = new Date(dayStart(value));
  d.setDate(d.getDate() + 1);
  return d.toISOString();
}
