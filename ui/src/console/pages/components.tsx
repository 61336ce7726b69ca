// 部件台账 (a component and its history): look a component up by its 16-digit ID (部件编码,
// as printed on its 城市服务码 plate or named in a report), see what the city's books say of
// it, and every report that named it, newest first, each opening its case.
import { useState } from "preact/hooks";
import { failureText } from "../../shared/error";
import { useResource } from "../../shared/resource";
import { client } from "../client";
import { useI18n } from "../i18n";
import { categoryLabel, reportName, when } from "../logic";
import { StateBadge } from "../report-view";
import { useSession } from "../session";

/** Whether `text` is a component ID (16 digits). */
export function isComponentId(text: string): boolean {
  return /^\d{16}$/.test(text);
}

export function Components(props: { id: string | null }) {
  const w = useI18n();
  const { t } = w;
  const [typed, setTyped] = useState(props.id ?? "");
  const id = props.id && isComponentId(props.id) ? props.id : null;
  const go = (e: Event) => {
    e.preventDefault();
    location.hash = `#/components/${typed.trim()}`;
  };
  return (
    <section class="components">
      <h1>{t("nav.components")}</h1>
      <form class="row" onSubmit={go}>
        <label>
          {t("component.id")}{" "}
          <input
            id="component-id"
            name="component"
            inputMode="numeric"
            value={typed}
            placeholder="4407030102000001"
            onInput={(e) => setTyped(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="primary" disabled={!isComponentId(typed.trim())}>
          {t("component.show")}
        </button>
      </form>
      {props.id && !id && <p class="error">{t("component.notAnId")}</p>}
      {id && <ComponentCard key={id} id={id} />}
    </section>
  );
}

function ComponentCard(props: { id: string }) {
  const w = useI18n();
  const { t, lang } = w;
  const { names } = useSession();
  const component = useResource(() => client.component(props.id), [props.id]);
  const history = useResource(() => client.reports({ component: props.id, sort: "newest", limit: 200 }), [props.id]);
  const c = component.value;
  const h = history.value;
  return (
    <>
      {component.error && <p class="error" id="component-error">{failureText(w, component.error)}</p>}
      {c && (
        <dl class="facts" id="component-facts">
          <dt>{t("component.id")}</dt>
          <dd>{c.id}</dd>
          <dt>{t("component.name")}</dt>
          <dd>{c.name ?? "—"}</dd>
          <dt>{t("component.category")}</dt>
          <dd>{categoryLabel(names, "component", c.category, lang)}</dd>
          <dt>{t("report.cell")}</dt>
          <dd>{c.cell}</dd>
          <dt>{t("component.owner")}</dt>
          <dd>{c.owner ?? "—"}</dd>
          <dt>{t("report.address")}</dt>
          <dd>{c.address ?? "—"}</dd>
          <dt>{t("component.at")}</dt>
          <dd>
            {c.lon.toFixed(6)}, {c.lat.toFixed(6)}
          </dd>
        </dl>
      )}
      <h2>{t("component.history")}</h2>
      {history.error && <p class="error">{failureText(w, history.error)}</p>}
      {h && h.items.length === 0 && <p class="empty">{t("component.noReports")}</p>}
      {h && h.items.length > 0 && (
        <ul id="component-history">
          {h.items.map((o) => (
            <li key={o.report.id} data-report={o.report.id}>
              <a href={`#/${o.case ? "cases" : "review"}/${o.report.id}`}>{reportName(w, names, o)}</a> · <StateBadge state={o.state} /> ·{" "}
              {when(w, o.received_at)} · {o.report.description}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
