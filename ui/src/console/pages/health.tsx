// 接入监控 (intake health): the backlog by state, the oldest report waiting, reports whose
// photos have not all arrived, uploads in progress, refused submissions, open conflicts.
import { useEffect, useState } from "preact/hooks";

import { api } from "../api";
import type { Ctx } from "../app";
import type { Key } from "../i18n";
import { bytes } from "../logic";
import type { IntakeHealth } from "../types";

export function Health(props: { ctx: Ctx }) {
  const { ctx } = props;
  const { t, lang } = ctx;
  const [h, setH] = useState<IntakeHealth | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => api.health().then(setH, (e) => setError(ctx.fail(e)));
  useEffect(() => {
    void load();
  }, []);
  const when = (s: string | null) => (s ? new Date(s).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { hour12: false }) : "—");
  if (error) return <p class="error">{error}</p>;
  if (!h) return <p class="loading">{t("loading")}</p>;
  return (
    <section class="health">
      <h1>
        {t("nav.health")} <button onClick={() => void load()}>{t("refresh")}</button>
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
        {t("health.oldest")}: {when(h.oldest_pending)}
      </p>
      <h2>{t("health.missing")}</h2>
      {h.missing_photos.length === 0 ? (
        <p class="empty">{t("health.none")}</p>
      ) : (
        <ul>
          {h.missing_photos.map((m) => (
            <li key={m.report}>
              {t("health.missingRow", { reporter: m.reporter, missing: m.missing, photos: m.photos })} · {when(m.received_at)}
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
              <progress max={u.length} value={u.received} /> {bytes(u.received)} / {bytes(u.length)} · {when(u.created_at)}
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
              {when(r.at)} · {r.user} · #{r.mutation}: {r.reason}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
