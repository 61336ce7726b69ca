// Settings: signing in against the centre (its address and the device token a team leader
// handed out; this device's ID is shown for enrolling it), language, photo size and the
// body-worn camera.
import { useState } from "preact/hooks";

import { failureText } from "../../shared/error";
import type { Lang } from "../../shared/i18n";
import { api } from "../api";
import { useI18n, type Key } from "../i18n";
import { useSession } from "../session";

const SIZES: [number, Key][] = [
  [1280, "settings.photoSize.small"],
  [2048, "settings.photoSize.normal"],
  [3072, "settings.photoSize.large"],
];

export function Settings() {
  const w = useI18n();
  const { t, lang, setLang } = w;
  const { info, reload: onChanged } = useSession();
  const [server, setServer] = useState(info?.server_url ?? "");
  const [token, setToken] = useState("");
  const [camera, setCamera] = useState(info?.settings.camera_serial ?? "");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const enroll = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.enroll(server, token);
      setToken("");
      onChanged();
    } catch (e) {
      setError(failureText(w, e));
    } finally {
      setBusy(false);
    }
  };
  const update = async (patch: Parameters<typeof api.updateSettings>[0]) => {
    setSaved(false);
    try {
      await api.updateSettings(patch);
      setSaved(true);
      setError(null);
      onChanged();
    } catch (e) {
      setError(failureText(w, e));
    }
  };
  const who = info?.inspector;
  return (
    <section id="settings">
      <h1>{t("nav.settings")}</h1>
      <h2>{t("settings.account")}</h2>
      <p id="account">{who ? t("settings.enrolled", { name: who.name || who.login, login: who.login }) : t("settings.notEnrolled")}</p>
      <label class="field">
        {t("settings.server")}
        <input id="server-url" type="url" inputMode="url" placeholder="https://" value={server} onInput={(e) => setServer(e.currentTarget.value)} />
      </label>
      <label class="field">
        {t("settings.token")}
        <input id="token" type="password" autoComplete="off" value={token} onInput={(e) => setToken(e.currentTarget.value)} />
      </label>
      <button id="enroll" class="primary" disabled={busy} onClick={() => void enroll()}>
        {busy ? t("settings.enrolling") : t("settings.enroll")}
      </button>
      <p class="hint">
        {t("settings.device")}: <code id="device-id">{info?.device_id}</code>
      </p>
      <p class="hint">
        {t("settings.keyFingerprint")}: <code id="key-fingerprint">{info?.key_fingerprint}</code>
      </p>

      <label class="field">
        {t("settings.language")}
        <select id="language" value={lang} onChange={(e) => setLang(e.currentTarget.value as Lang)}>
          <option value="zh">中文</option>
          <option value="en">English</option>
        </select>
      </label>
      <label class="field">
        {t("settings.photoSize")}
        <select
          id="photo-size"
          value={String(info?.settings.photo_max_edge ?? 2048)}
          onChange={(e) => void update({ photo_max_edge: Number(e.currentTarget.value) })}
        >
          {SIZES.map(([px, key]) => (
            <option key={px} value={String(px)}>
              {t(key, { px })}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        {t("settings.camera")}
        <input id="camera-serial" value={camera} maxLength={7} onInput={(e) => setCamera(e.currentTarget.value.toUpperCase())} />
      </label>
      <button id="camera-save" onClick={() => void update({ camera_serial: camera.trim() ? camera.trim() : null })}>
        {t("settings.save")}
      </button>
      {saved && <p id="settings-saved">{t("settings.saved")}</p>}
      {error && (
        <p class="error" id="settings-error">
          {error}
        </p>
      )}
      <p class="hint">{t("settings.version", { version: info?.version ?? "" })}</p>
    </section>
  );
}
