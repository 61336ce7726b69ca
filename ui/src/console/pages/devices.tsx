// 终端状态: every inspector's device, when it last synced, and what it still holds, so a
// leader knows whose work has not arrived. Devices holding work come first.
import { useEffect, useState } from "preact/hooks";

import { api } from "../api";
import type { Ctx } from "../app";
import { bytes } from "../logic";
import type { DeviceRow } from "../types";

export function Devices(props: { ctx: Ctx }) {
  const { ctx } = props;
  const { t, lang } = ctx;
  const [rows, setRows] = useState<DeviceRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => api.devices().then(setRows, (e) => setError(ctx.fail(e)));
  useEffect(() => {
    void load();
  }, []);
  const when = (s: string | null) =>
    s ? new Date(s).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { hour12: false }) : t("devices.never");
  const sorted = [...(rows ?? [])].sort(
    (a, b) => Number(b.queue.reports + b.queue.photos > 0) - Number(a.queue.reports + a.queue.photos > 0),
  );
  return (
    <section>
      <h1>
        {t("nav.devices")} <button onClick={() => void load()}>{t("refresh")}</button>
      </h1>
      {error && <p class="error">{error}</p>}
      {rows && rows.length === 0 && <p class="empty">{t("devices.empty")}</p>}
      {rows && rows.length > 0 && (
        <table class="grid-table devices">
          <thead>
            <tr>
              <th>{t("devices.user")}</th>
              <th>{t("devices.team")}</th>
              <th>{t("devices.lastSeen")}</th>
              <th>{t("devices.queued")}</th>
              <th>{t("devices.received")}</th>
              <th>{t("devices.version")}</th>
            </tr>
          </thead>
          <tbody>
            {sorted.map((d) => {
              const waiting = d.queue.reports + d.queue.photos > 0;
              return (
                <tr key={d.id} class={waiting ? "waiting" : ""} data-device={d.id}>
                  <td>
                    {d.user.name} <span class="hint">{d.id.slice(-8)}</span>
                  </td>
                  <td>{d.user.team ?? ""}</td>
                  <td>{when(d.last_seen)}</td>
                  <td>
                    {waiting ? <strong title={t("devices.waiting")}>⚠ </strong> : ""}
                    {t("devices.queue", { reports: d.queue.reports, photos: d.queue.photos, bytes: bytes(d.queue.bytes) })}
                  </td>
                  <td>
                    {d.reports_received} · {when(d.last_received_at)}
                  </td>
                  <td>{d.app_version ?? ""}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
