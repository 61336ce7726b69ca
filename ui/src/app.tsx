// The app shell: a bottom navigation bar (reachable with the thumb of the hand holding the
// tablet) over one screen at a time. It loads what every screen shares once (who is signed
// in, the code table, the grid) and wakes the sync worker when the network comes back or
// the app returns to the front.
import { useEffect, useState } from "preact/hooks";

import { api } from "./api";
import type { AppInfo, CellOutline, LocalReport } from "./bindings";
import { translate, type Key, type Lang } from "./i18n";
import type { Category } from "./logic/categories";
import { Detail } from "./screens/detail";
import { Grid } from "./screens/grid";
import { NewReport } from "./screens/new-report";
import { Queue } from "./screens/queue";
import { Settings } from "./screens/settings";
import { Tasks } from "./screens/tasks";

type Screen = "grid" | "new" | "queue" | "tasks" | "settings";
const SCREENS: Screen[] = ["grid", "new", "queue", "tasks", "settings"];

export function App() {
  const [lang, setLang] = useState<Lang>(() => (localStorage.getItem("lang") as Lang) || "zh");
  const [screen, setScreen] = useState<Screen>("queue");
  const [detail, setDetail] = useState<string | null>(null);
  const [draft, setDraft] = useState<string | null>(null);
  // A new report screen per visit: its key changes each time "Report" is pressed.
  const [visit, setVisit] = useState(0);
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [categories, setCategories] = useState<Category[]>([]);
  const [cells, setCells] = useState<CellOutline[]>([]);
  const t = (key: Key, values?: Record<string, string | number>) => translate(lang, key, values);

  // Who is signed in first (every screen needs it); the grid's thousand outlines after,
  // so the first screen does not wait for the map.
  const loadInfo = async () => {
    setInfo(await api.appInfo());
    setCells(await api.myGrid());
  };
  useEffect(() => {
    void loadInfo();
    void api.codeTable().then((c) => setCategories(c.categories));
    const wake = () => void api.wakeSync().catch(() => {});
    const visible = () => document.visibilityState === "visible" && wake();
    window.addEventListener("online", wake);
    document.addEventListener("visibilitychange", visible);
    return () => {
      window.removeEventListener("online", wake);
      document.removeEventListener("visibilitychange", visible);
    };
  }, []);
  useEffect(() => {
    localStorage.setItem("lang", lang);
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  }, [lang]);

  const go = (s: Screen) => {
    setDetail(null);
    if (s === "new") {
      setDraft(null);
      setVisit((v) => v + 1);
    }
    setScreen(s);
  };
  const open = (r: LocalReport | string) => setDetail(typeof r === "string" ? r : r.id);
  const done = () => {
    setDraft(null);
    setScreen("queue");
  };
  return (
    <div class="app">
      <main>
        {!info ? (
          <p>…</p>
        ) : detail ? (
          <Detail
            key={detail}
            lang={lang}
            id={detail}
            categories={categories}
            onBack={() => setDetail(null)}
            onContinue={(id) => {
              setDetail(null);
              setDraft(id);
              setVisit((v) => v + 1);
              setScreen("new");
            }}
          />
        ) : (
          <>
            {screen === "grid" && <Grid lang={lang} info={info} cells={cells} onOpen={open} />}
            {screen === "new" && (
              <NewReport key={visit} lang={lang} info={info} categories={categories} cells={cells} draftId={draft} onDone={done} />
            )}
            {screen === "queue" && <Queue lang={lang} categories={categories} onOpen={open} />}
            {screen === "tasks" && <Tasks lang={lang} categories={categories} onOpen={open} />}
            {screen === "settings" && <Settings lang={lang} setLang={setLang} info={info} onChanged={() => void loadInfo()} />}
          </>
        )}
      </main>
      <nav>
        {SCREENS.map((s) => (
          <button key={s} id={`nav-${s}`} class={s === screen && !detail ? "active" : ""} onClick={() => go(s)}>
            {t(`nav.${s}` as Key)}
          </button>
        ))}
      </nav>
    </div>
  );
}
