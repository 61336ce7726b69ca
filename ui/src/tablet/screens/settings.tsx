// Settings: the account (signed in: which centre, who, this device, and signing out; not
// signed in: 扫码登记, a picture of the one-time QR code the console shows, or typed: the
// centre's address with the device token a team leader handed out or the one-time code,
// and this device's ID for enrolling it), language, photo size, the body-worn camera, and
// the offline basemap (离线底图: a city's MBTiles package picked from the tablet's files,
// with its name, levels and size, and removing it).
import { useEffect, useState } from "preact/hooks";

import { failureText } from "../../shared/error";
import type { Lang } from "../../shared/i18n";
import { api } from "../api";
import type { QueueSummary } from "../commands";
import { useI18n, type Key } from "../i18n";
import { useSession } from "../session";

const KEEP_DAYS = [7, 30, 90];

const SIZES: [number, Key][] = [
  [1280, "settings.photoSize.small"],
  [2048, "settings.photoSize.normal"],
  [3072, "settings.photoSize.large"],
];

/** Signing in: the centre's address and the device token. */
function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const w = useI18n();
  const { t } = w;
  const { info } = useSession();
  const [server, setServer] = useState(info?.server_url ?? "");
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const attempt = async (act: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await act();
      setToken("");
      setCode("");
      onSignedIn();
    } catch (e) {
      setError(failureText(w, e));
    } finally {
      setBusy(false);
    }
  };
  const enroll = () => attempt(() => api.enroll(server, token));
  const scan = (input: HTMLInputElement) => {
    const picture = input.files?.[0];
    input.value = "";
    if (picture) void attempt(() => api.enrollScan(picture));
  };
  return (
    <>
      <p id="account">{t("settings.notEnrolled")}</p>
      <label class="button primary photo-button" id="enroll-scan-button">
        {busy ? t("settings.enrolling") : t("settings.scan")}
        <input id="enroll-scan" type="file" accept="image/*" capture="environment" disabled={busy} onChange={(e) => scan(e.currentTarget)} />
      </label>
      <p class="hint">{t("settings.scanHint")}</p>
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
      <label class="field">
        {t("settings.code")}
        <input id="enroll-code" autoComplete="off" autoCapitalize="characters" value={code} onInput={(e) => setCode(e.currentTarget.value)} />
      </label>
      <button id="enroll-with-code" disabled={busy} onClick={() => void attempt(() => api.enrollWithCode(server, code))}>
        {t("settings.enrollWithCode")}
      </button>
      {error && (
        <p class="error" id="enroll-error">
          {error}
        </p>
      )}
      <p class="hint">
        {t("settings.device")}: <code id="device-id">{info?.device_id}</code>
      </p>
    </>
  );
}

/** Signed in: who, on which centre, on which device; and signing out, which the engine
 * refuses while anything waits for the centre (nothing on the device is ever deleted). */
function SignedIn({ onSignedOut }: { onSignedOut: () => void }) {
  const w = useI18n();
  const { t } = w;
  const { info } = useSession();
  // What waits for the centre, read when the inspector asks to sign out.
  const [asking, setAsking] = useState<QueueSummary | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const who = info!.inspector!;
  const ask = async () => {
    setError(null);
    try {
      setAsking(await api.queueSummary());
    } catch (e) {
      setError(failureText(w, e));
    }
  };
  const signOut = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.signOut();
      setAsking(null);
      onSignedOut();
    } catch (e) {
      setError(failureText(w, e));
    } finally {
      setBusy(false);
    }
  };
  const syncFirst = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.syncNow();
    } catch (e) {
      setError(failureText(w, e));
    } finally {
      setBusy(false);
    }
    await ask();
  };
  const unsent = asking ? asking.pending_reports + asking.pending_photos > 0 : false;
  return (
    <>
      <p id="account" class="signed-in">
        {t("settings.enrolled", { name: who.name || who.login, login: who.login })}
      </p>
      <dl class="account">
        <dt>{t("settings.server")}</dt>
        <dd id="account-server">{info?.server_url ?? "—"}</dd>
        <dt>{t("settings.badge")}</dt>
        <dd id="account-badge">{who.badge ?? "—"}</dd>
        <dt>{t("settings.cells")}</dt>
        <dd id="account-cells">{who.cells.join("、") || "—"}</dd>
        <dt>{t("settings.deviceShort")}</dt>
        <dd>
          <code id="device-id">{info?.device_id}</code>
        </dd>
      </dl>
      {asking ? (
        <div id="sign-out-confirm" class="notice">
          {unsent ? (
            <p id="sign-out-unsent" class="error">
              {t("settings.signOutUnsent", { reports: asking.pending_reports, photos: asking.pending_photos })}
            </p>
          ) : (
            <p>{t("settings.signOutKeeps", { drafts: asking.drafts })}</p>
          )}
          <div class="row">
            {unsent ? (
              <button id="sign-out-sync" disabled={busy} onClick={() => void syncFirst()}>
                {busy ? t("queue.syncing") : t("queue.syncNow")}
              </button>
            ) : (
              <button id="sign-out-yes" disabled={busy} onClick={() => void signOut()}>
                {t("settings.signOutConfirm")}
              </button>
            )}
            <button id="sign-out-no" class="primary" onClick={() => setAsking(null)}>
              {t("settings.signOutCancel")}
            </button>
          </div>
        </div>
      ) : (
        <button id="sign-out" onClick={() => void ask()}>
          {t("settings.signOut")}
        </button>
      )}
      {error && (
        <p class="error" id="sign-out-error">
          {error}
        </p>
      )}
    </>
  );
}

/** Megabytes, one decimal below ten. */
function megabytes(bytes: number): string {
  const mb = bytes / 1e6;
  return mb < 10 ? mb.toFixed(1) : mb.toFixed(0);
}

/** The offline basemap: what is installed, picking a package to install, removing it. */
function OfflineMap({ onChanged }: { onChanged: () => void }) {
  const w = useI18n();
  const { t } = w;
  const basemap = useSession().info?.basemap ?? null;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await f();
      onChanged();
    } catch (e) {
      setError(failureText(w, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h2>{t("settings.basemap")}</h2>
      {basemap ? (
        <dl class="account" id="basemap">
          <dt>{t("settings.basemap.name")}</dt>
          <dd id="basemap-name">{basemap.name}</dd>
          <dt>{t("settings.basemap.zoom")}</dt>
          <dd id="basemap-zoom">{t("settings.basemap.zoomRange", { min: basemap.min_zoom, max: basemap.max_zoom })}</dd>
          <dt>{t("settings.basemap.size")}</dt>
          <dd id="basemap-size">{t("settings.basemap.mb", { mb: megabytes(basemap.bytes), format: basemap.format.toUpperCase() })}</dd>
        </dl>
      ) : (
        <p id="basemap" class="hint">
          {t("settings.basemap.none")}
        </p>
      )}
      <div class="row">
        <label class={`button file-button${busy ? " disabled" : ""}`} id="basemap-pick">
          {busy ? t("settings.basemap.installing") : basemap ? t("settings.basemap.replace") : t("settings.basemap.pick")}
          <input
            id="basemap-input"
            type="file"
            accept=".mbtiles,application/vnd.sqlite3,application/x-sqlite3,application/octet-stream"
            disabled={busy}
            onChange={(e) => {
              const input = e.currentTarget;
              const file = input.files?.[0];
              input.value = "";
              if (file) void run(() => api.installBasemap(file));
            }}
          />
        </label>
        {basemap && (
          <button id="basemap-remove" disabled={busy} onClick={() => void run(() => api.removeBasemap())}>
            {t("settings.basemap.remove")}
          </button>
        )}
      </div>
      {error && (
        <p class="error" id="basemap-error">
          {error}
        </p>
      )}
      <p class="hint">{t("settings.basemap.hint")}</p>
    </>
  );
}

export function Settings() {
  const w = useI18n();
  const { t, lang, setLang } = w;
  const { info, reload: onChanged } = useSession();
  const issued = info?.settings.camera_serial ?? "";
  const [camera, setCamera] = useState(issued);
  // The camera the engine holds can change under the screen (signing in takes the one
  // the centre issued): the field follows it.
  useEffect(() => setCamera(issued), [issued]);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
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
  return (
    <section id="settings">
      <h1>{t("nav.settings")}</h1>
      <h2>{t("settings.account")}</h2>
      {info?.inspector ? <SignedIn onSignedOut={onChanged} /> : <SignIn onSignedIn={onChanged} />}
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
        {t("settings.keepDays")}
        <select
          id="keep-days"
          value={String(info?.settings.keep_days ?? 30)}
          onChange={(e) => void update({ keep_days: Number(e.currentTarget.value) })}
        >
          {[...new Set([...KEEP_DAYS, info?.settings.keep_days ?? 30])]
            .sort((a, b) => a - b)
            .map((days) => (
              <option key={days} value={String(days)}>
                {t("settings.keepDays.option", { days })}
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
      <OfflineMap onChanged={onChanged} />
      <p class="hint">{t("settings.version", { version: info?.version ?? "" })}</p>
    </section>
  );
}
