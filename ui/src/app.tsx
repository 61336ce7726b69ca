// The app shell: a bottom navigation bar (reachable with the thumb of the hand holding the
// tablet) over one screen at a time.
import { useEffect, useState } from "preact/hooks";

import { api, type SyncStatus } from "./api";
import { translate, type Key, type Lang } from "./i18n";
import { waiting, type QueueSummary } from "./logic/queue";

type Screen = "grid" | "new" | "queue" | "tasks" | "settings";
const SCREENS: Screen[] = ["grid", "new", "queue", "tasks", "settings"];

export function App() {
  const [lang, setLang] = useState<Lang>(() => (localStorage.getItem("lang") as Lang) || "zh");
  const [screen, setScreen] = useState<Screen>("queue");
  const t = (key: Key, values?: Record<string, string | number>) => translate(lang, key, values);
  useEffect(() => {
    localStorage.setItem("lang", lang);
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  }, [lang]);
  return (
    <div class="app">
      <main>
        {screen === "queue" && <QueueScreen lang={lang} />}
        {screen === "settings" && <SettingsScreen lang={lang} setLang={setLang} />}
      </main>
      <nav>
        {SCREENS.map((s) => (
          <button key={s} id={`nav-${s}`} class={s === screen ? "active" : ""} onClick={() => setScreen(s)}>
            {t(`nav.${s}` as Key)}
          </button>
        ))}
      </nav>
    </div>
  );
}

function QueueScreen({ lang }: { lang: Lang }) {
  const [queue, setQueue] = useState<QueueSummary | null>(null);
  const [status, setStatus] = useState<SyncStatus | null>(null);
  const [busy, setBusy] = useState(false);
  const refresh = async () => {
    setQueue(await api.queueSummary());
    setStatus(await api.syncStatus());
  };
  useEffect(() => {
    void refresh();
  }, []);
  const syncNow = async () => {
    setBusy(true);
    try {
      await api.syncNow();
    } catch {
      // The failure is recorded in the sync status, in words; it is shown below.
    } finally {
      setBusy(false);
      await refresh();
    }
  };
  return (
    <section id="queue">
      <h1>{translate(lang, "nav.queue")}</h1>
      <p id="queue-summary">{queue ? waiting(lang, queue) : "…"}</p>
      <p id="queue-last-sync">
        {status?.last_success_at
          ? translate(lang, "queue.lastSync", { when: new Date(status.last_success_at).toLocaleString() })
          : translate(lang, "queue.never")}
      </p>
      {status?.last_error && <p class="error" id="queue-error">{status.last_error}</p>}
      <button id="sync-now" disabled={busy} onClick={syncNow}>
        {translate(lang, "queue.syncNow")}
      </button>
    </section>
  );
}

function SettingsScreen({ lang, setLang }: { lang: Lang; setLang: (l: Lang) => void }) {
  return (
    <section id="settings">
      <h1>{translate(lang, "nav.settings")}</h1>
      <label>
        {translate(lang, "settings.language")}
        <select id="language" value={lang} onChange={(e) => setLang((e.target as HTMLSelectElement).value as Lang)}>
          <option value="zh">中文</option>
          <option value="en">English</option>
        </select>
      </label>
    </section>
  );
}
