// 冲突处理 (operators): each conflict's fields with the value before, the centre's and the
// device's side by side; choose one per field or type a value, then resolve. The report's
// photos are shown beside it (photos merge as sets and never conflict).
import { useState } from "preact/hooks";

import { failureText } from "../../shared/error";
import { useResource } from "../../shared/resource";
import type { OpenConflict } from "../../shared/types";
import { client, links } from "../client";
import { useI18n, type Key } from "../i18n";
import { deviceName, fieldValue, reportName, typeable, when } from "../logic";
import { useSession } from "../session";

type Pick = { side: "base" | "central" | "device" | "typed"; typed: string };

function ConflictView(props: { conflict: OpenConflict; onDone: (message: string) => void }) {
  const { conflict } = props;
  const w = useI18n();
  const { t } = w;
  const { names } = useSession();
  const detail = useResource(() => client.report(conflict.report), [conflict.report]).value;
  const subject = conflict.subject;
  const [picks, setPicks] = useState<Record<string, Pick>>(() =>
    Object.fromEntries(conflict.fields.map((f) => [f.field, { side: "central", typed: fieldValue(f.field, f.central) }])),
  );
  const [error, setError] = useState<string | null>(null);
  const resolve = async () => {
    setError(null);
    try {
      await client.resolve(conflict.id, {
        fields: conflict.fields.map((f) => {
          const p = picks[f.field];
          return { field: f.field, value: p.side === "typed" ? p.typed : f[p.side] };
        }),
      });
      props.onDone(t("conflicts.resolved"));
    } catch (e) {
      setError(failureText(w, e));
    }
  };
  return (
    <article class="conflict" data-conflict={conflict.id}>
      <p>
        {t("conflicts.report")}{" "}
        <a href={`#/${subject.case ? "cases" : "review"}/${conflict.report}`}>{reportName(w, names, subject)}</a> ·{" "}
        {deviceName(w, subject.reporter.name, conflict.device_model, conflict.device)} · {t("conflicts.opened")}{" "}
        {when(w, conflict.opened_at)}
      </p>
      <table class="grid-table sides">
        <thead>
          <tr>
            <th>{t("conflicts.field")}</th>
            <th>{t("conflicts.base")}</th>
            <th>{t("conflicts.central")}</th>
            <th>{t("conflicts.device")}</th>
            <th>{t("conflicts.typed")}</th>
          </tr>
        </thead>
        <tbody>
          {conflict.fields.map((f) => {
            const p = picks[f.field];
            const set = (side: Pick["side"], typed = p.typed) => setPicks({ ...picks, [f.field]: { side, typed } });
            const cellFor = (side: "base" | "central" | "device") => (
              <td class={p.side === side ? "chosen" : ""}>
                <label>
                  <input type="radio" name={`pick-${f.field}`} value={side} checked={p.side === side} onChange={() => set(side)} />{" "}
                  {fieldValue(f.field, f[side])}
                </label>
              </td>
            );
            return (
              <tr key={f.field}>
                <th>{t(`field.${f.field}` as Key)}</th>
                {cellFor("base")}
                {cellFor("central")}
                {cellFor("device")}
                <td class={p.side === "typed" ? "chosen" : ""}>
                  {typeable(f) && (
                    <label>
                      <input type="radio" name={`pick-${f.field}`} value="typed" checked={p.side === "typed"} onChange={() => set("typed")} />{" "}
                      <input
                        name={`typed-${f.field}`}
                        value={p.typed}
                        onInput={(e) => set("typed", e.currentTarget.value)}
                        onFocus={() => set("typed")}
                      />
                    </label>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {detail && detail.item.report.photos.length > 0 && (
        <div class="photos">
          {detail.item.report.photos
            .filter((ph) => detail.item.photos_arrived.includes(ph.id))
            .map((ph) => (
              <img key={ph.id} src={links.photo(ph.sha256)} alt={t("report.photos")} />
            ))}
        </div>
      )}
      {error && <p class="error" role="alert">{error}</p>}
      <button class="primary" onClick={() => void resolve()}>
        {t("conflicts.resolve")}
      </button>
    </article>
  );
}

export function Conflicts(props: { id: string | null }) {
  const w = useI18n();
  const { t } = w;
  const { names } = useSession();
  const conflicts = useResource(client.conflicts);
  const items = conflicts.value;
  // Kept at the page, so the confirmation stays when the resolved conflict leaves the list.
  const [message, setMessage] = useState<string | null>(null);
  const chosen = items?.find((c) => c.id === props.id) ?? items?.[0];
  return (
    <div class="split">
      <section class="left">
        <h1>{t("nav.conflicts")}</h1>
        {conflicts.error && <p class="error">{failureText(w, conflicts.error)}</p>}
        {items && items.length === 0 && <p class="empty">{t("conflicts.empty")}</p>}
        <ul class="list plain">
          {items?.map((c) => (
            <li key={c.id} class={c.id === chosen?.id ? "selected" : ""}>
              <a href={`#/conflicts/${c.id}`}>
                {c.fields.map((f) => t(`field.${f.field}` as Key)).join("、")} · {reportName(w, names, c.subject)}
              </a>
            </li>
          ))}
        </ul>
      </section>
      <section class="right">
        {message && (
          <p class="done" role="status">
            {message}
          </p>
        )}
        {chosen && (
          <ConflictView
            key={chosen.id}
            conflict={chosen}
            onDone={(m) => {
              setMessage(m);
              void conflicts.reload();
            }}
          />
        )}
      </section>
    </div>
  );
}
