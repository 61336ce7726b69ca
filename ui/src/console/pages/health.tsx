// 接入监控 (intake health): the backlog by state, the oldest report waiting, reports whose
// photos have not all arrived, uploads in progress, refused submissions, open conflicts.
import { say } from "../../shared/say";
import { failureText } from "../../shared/error";
import { useResource } from "../../shared/resource";
import { client } from "../client";
import { useI18n, type Key } from "../i18n";
import { bytes, when } from "../logic";

export function Health() {
  const w = useI18n();
  const { t } = w;
  const health = useResource(client.health);
  const h = health.value;
  if (health.error) return <p class="error">{failureText(w, health.error)}</p>;
  if (!h) return <p class="loading">{t("loading")}</p>;
  return (
    <section class="health">
      <h1>
        {t("nav.health")} <button onClick={() => void health.reload()}>{t("refresh")}</button>
      </h1>
      <div class="tiles">
        {h.states.map((s) => (
          <div key={s.state} class={`tile state-${s.state}`}>
            <span class="n">{s.count}</span>
            <span>{t(`state.${s.state}` as Key)}</span>
          </div>
        ))}
        <div class="tile">
          <span class="n">{h.open_conflicts}</span>
          <span>{t("health.conflicts")}</span>
        </div>
        <div class="tile">
          <span class="n">{h.devices_queue.reports}</span>
          <span>
            {t("health.devicesQueue")} ({bytes(h.devices_queue.bytes)})
          </span>
        </div>
      </div>
      <p>
        {t("health.oldest")}: {when(w, h.oldest_pending)}
      </p>
      <h2>{t("health.missing")}</h2>
      {h.missing_photos.length === 0 ? (
        <p class="empty">{t("health.none")}</p>
      ) : (
        <ul>
          {h.missing_photos.map((m) => (
            <li key={m.report}>
              {t("health.missingRow", { reporter: m.reporter, missing: m.missing, photos: m.photos })} · {when(w, m.received_at)}
            </li>
          ))}
        </ul>
      )}
      <h2>{t("health.uploads")}</h2>
      {h.uploads.length === 0 ? (
        <p class="empty">{t("health.none")}</p>
      ) : (
        <ul>
          {h.uploads.map((u) => (
            <li key={u.id}>
              <progress max={u.length} value={u.received} /> {bytes(u.received)} / {bytes(u.length)} · {when(w, u.created_at)}
            </li>
          ))}
        </ul>
      )}
      <h2>{t("health.refusals")}</h2>
      {h.refusals.length === 0 ? (
        <p class="empty">{t("health.none")}</p>
      ) : (
        <ul>
          {h.refusals.map((r) => (
            <li key={`${r.device}-${r.mutation}`}>
              {when(w, r.at)} · {r.user} · #{r.mutation}: {r.message ? say(w.lang, r.message, r.reason) : r.reason}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
