// 终端状态: every inspector's device, when it last synced, and what it still holds, so a
// leader knows whose work has not arrived. Devices holding work come first.
import { failureText } from "../../shared/error";
import { useResource } from "../../shared/resource";
import { client } from "../client";
import { useI18n } from "../i18n";
import { bytes, deviceName, teamName, when } from "../logic";
import { useSession } from "../session";
import { replacedWithWork } from "../enroll";
import { EnrollTablet } from "./enroll";

export function Devices() {
  const w = useI18n();
  const { teams, me } = useSession();
  const { t } = w;
  const devices = useResource(client.devices);
  const rows = devices.value;
  const seen = (s: string | null) => (s ? when(w, s) : t("devices.never"));
  const sorted = [...(rows ?? [])].sort(
    (a, b) => Number(b.queue.reports + b.queue.photos > 0) - Number(a.queue.reports + a.queue.photos > 0),
  );
  return (
    <section>
      <h1>
        {t("nav.devices")} <button onClick={() => void devices.reload()}>{t("refresh")}</button>
      </h1>
      {devices.error && <p class="error">{failureText(w, devices.error)}</p>}
      {replacedWithWork(rows ?? []).map(({ old, newer }) => (
        <p key={old.id} class="warning" role="alert" data-replaced={old.id}>
          ⚠{" "}
          {t("devices.replaced", {
            name: old.user.name,
            old: deviceName(w, old.user.name, old.model, old.id),
            newer: deviceName(w, newer.user.name, newer.model, newer.id),
            reports: old.queue.reports,
            seen: seen(old.last_seen),
          })}
        </p>
      ))}
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
                    {deviceName(w, d.user.name, d.model, d.id)}
                  </td>
                  <td title={d.user.team ?? undefined}>{d.user.team ? teamName(d.user.team, teams) : ""}</td>
                  <td>{seen(d.last_seen)}</td>
                  <td>
                    {waiting ? <strong title={t("devices.waiting")}>⚠ </strong> : ""}
                    {t("devices.queue", { reports: d.queue.reports, photos: d.queue.photos, bytes: bytes(d.queue.bytes) })}
                  </td>
                  <td>
                    {d.reports_received} · {d.last_received_at ? when(w, d.last_received_at) : t("devices.noneReceived")}
                  </td>
                  <td>{d.app_version ?? ""}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {me.role === "leader" && <EnrollTablet />}
    </section>
  );
}
