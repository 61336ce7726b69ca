// 指挥大屏: the centre's wall screen. Large numbers for today (上报, 立案, 派遣, 结案) and for
// what needs attention (在办, 超期, 即将到期, 核查超期), bars of the open reports by state and
// of each department's desk, this week's most reported problems, and the live map of every
// open report. Dark, to be read across a room; 全屏 fills the screen. Everything reads
// again when the centre says something changed, and every minute (deadlines pass without
// anything changing).
import { useEffect, useRef } from "preact/hooks";

import { failureText } from "../../shared/error";
import { useResource } from "../../shared/resource";
import { CityMap } from "../city-map";
import { client } from "../client";
import { useI18n, type Key } from "../i18n";
import { useLive } from "../live";
import { categoryLabel } from "../logic";
import { OPEN_STATES, STATE_COLOURS } from "../map-logic";
import { useSession } from "../session";

/** How often the screen reads again without being told. */
const EVERY_MS = 60_000;

export function OverviewPage() {
  const w = useI18n();
  const { t, lang } = w;
  const { names, departments } = useSession();
  const overview = useResource(client.overview);
  const grid = useResource(client.grid);
  const map = useResource(() => client.map({ state: OPEN_STATES.join(",") }));
  const read = async () => {
    await Promise.all([overview.reload(), map.reload()]);
  };
  useLive(read);
  useEffect(() => {
    const timer = setInterval(() => void read(), EVERY_MS);
    return () => clearInterval(timer);
  }, []);
  const screen = useRef<HTMLElement>(null);
  const o = overview.value;
  // The wall keeps the last figures when a reading fails (a blip in the network), saying so
  // above them; only a first reading that fails leaves nothing to show.
  if (overview.error && !o) return <p class="error">{failureText(w, overview.error)}</p>;
  if (!o) return <p class="loading">{t("loading")}</p>;

  const time = (iso: string) => new Date(iso).toLocaleTimeString(w.locale, { hour12: false });
  const date = (iso: string) => new Date(iso).toLocaleDateString(w.locale);
  const open = o.open.reduce((n, s) => n + s.count, 0);
  const department = (code: string) => {
    const d = departments.find((x) => x.code === code);
    return d ? (lang === "zh" ? d.name : d.name_en) : code;
  };
  const most = (ns: number[]) => Math.max(1, ...ns);
  const stateMax = most(o.open.map((s) => s.count));
  const deptMax = most(o.departments.map((d) => d.open));
  const catMax = most(o.top_categories.map((c) => c.count));
  const tile = (key: string, label: Key, n: number, extra?: string, alarm = false) => (
    <div class={`ov-tile${alarm && n > 0 ? " alarm" : ""}`} data-tile={key}>
      <span class="n">{n}</span>
      <span class="label">{t(label)}</span>
      {extra && <span class="extra">{extra}</span>}
    </div>
  );
  return (
    <section class="overview" ref={screen} data-day={o.day}>
      <header class="ov-head">
        <h1>
          {t("title")} · {t("overview.title")}
        </h1>
        <span class="ov-day">{t("overview.today", { day: o.day })}</span>
        <span class="ov-clock">{t("overview.updated", { at: time(o.at) })}</span>
        <button type="button" onClick={() => void screen.current?.requestFullscreen?.()}>
          {t("overview.fullscreen")}
        </button>
      </header>
      {overview.error && (
        <p class="error" role="alert">
          {t("overview.stale", { at: time(o.at) })} {failureText(w, overview.error)}
        </p>
      )}
      <div class="ov-tiles">
        {tile("received", "overview.received", o.today.received, t("overview.urgent", { n: o.today.urgent }))}
        {tile("registered", "overview.registered", o.today.registered)}
        {tile("dispatched", "overview.dispatched", o.today.dispatched)}
        {tile("closed", "overview.closed", o.today.closed)}
        {tile("open", "overview.open", open)}
        {tile("overdue", "overview.overdue", o.overdue.cases, undefined, true)}
        {tile("due-soon", "overview.dueSoon", o.overdue.due_soon, undefined, true)}
        {tile("verify-overdue", "overview.verifyOverdue", o.overdue.verifications, undefined, true)}
      </div>
      <div class="ov-body">
        <div class="ov-col">
          <section class="ov-panel" data-panel="states">
            <h2>{t("overview.byState")}</h2>
            <ul class="bars">
              {o.open.map((s) => (
                <li key={s.state} data-state={s.state}>
                  <span class="name">{t(`state.${s.state}` as Key)}</span>
                  <span class="bar">
                    <span style={{ width: `${(100 * s.count) / stateMax}%`, background: STATE_COLOURS[s.state] }} />
                  </span>
                  <span class="n">{s.count}</span>
                </li>
              ))}
            </ul>
          </section>
          <section class="ov-panel" data-panel="departments">
            <h2>{t("overview.byDepartment")}</h2>
            <ul class="bars">
              {o.departments.map((d) => (
                <li key={d.department} data-department={d.department} title={t("overview.departmentRow", { open: d.open, overdue: d.overdue })}>
                  <span class="name">{department(d.department)}</span>
                  <span class="bar">
                    <span class="ok" style={{ width: `${(100 * (d.open - d.overdue)) / deptMax}%` }} />
                    <span class="late" style={{ width: `${(100 * d.overdue) / deptMax}%` }} />
                  </span>
                  <span class="n">
                    {d.open}
                    {d.overdue > 0 && <em> / {d.overdue}</em>}
                  </span>
                </li>
              ))}
            </ul>
          </section>
          <section class="ov-panel" data-panel="categories">
            <h2>{t("overview.topCategories", { from: date(o.week_from), to: date(new Date(Date.parse(o.week_to) - 1).toISOString()) })}</h2>
            {o.top_categories.length === 0 ? (
              <p class="empty">{t("overview.none")}</p>
            ) : (
              <ol class="bars">
                {o.top_categories.map((c) => (
                  <li key={`${c.kind}:${c.category}`} data-category={c.category}>
                    <span class="name">{categoryLabel(names, c.kind, c.category, lang)}</span>
                    <span class="bar">
                      <span style={{ width: `${(100 * c.count) / catMax}%` }} />
                    </span>
                    <span class="n">{c.count}</span>
                  </li>
                ))}
              </ol>
            )}
          </section>
        </div>
        <section class="ov-panel ov-map">
          <h2>{t("overview.map")}</h2>
          {map.value && grid.value ? <CityMap points={map.value.points} grid={grid.value} /> : <p class="loading">{t("loading")}</p>}
        </section>
      </div>
    </section>
  );
}
