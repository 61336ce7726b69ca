// The app shell: a bottom navigation bar (reachable with the thumb of the hand holding the
// tablet) over one screen at a time. It loads what every screen shares once (who is signed
// in, the code table, the grid; see session.tsx) and wakes the sync worker when the network
// comes back or the app returns to the front. The language comes from the I18nProvider
// around it (main.tsx).
import { useEffect, useMemo, useState } from "preact/hooks";

import { useResource } from "../shared/resource";
import { api } from "./api";
import type { LocalReport } from "./commands";
import { useI18n, type Key } from "./i18n";
import { Detail } from "./screens/detail";
import { Grid } from "./screens/grid";
import { NewReport } from "./screens/new-report";
import { Queue } from "./screens/queue";
import { Settings } from "./screens/settings";
import { Tasks } from "./screens/tasks";
import { SessionContext, type Session } from "./session";

type Screen = "grid" | "new" | "queue" | "tasks" | "settings";
const SCREENS: Screen[] = ["grid", "new", "queue", "tasks", "settings"];

export function App() {
  const { t } = useI18n();
  const [screen, setScreen] = useState<Screen>("queue");
  const [detail, setDetail] = useState<string | null>(null);
  const [draft, setDraft] = useState<string | null>(null);
  // A new report screen per visit: its key changes each time "Report" is pressed.
  const [visit, setVisit] = useState(0);
  // Who is signed in first (every screen needs it); the grid's thousand outlines after,
  // so the first screen does not wait for the map.
  const info = useResource(api.appInfo);
  const cells = useResource(() => (info.value ? api.myGrid() : Promise.resolve([])), [info.value]);
  const codes = useResource(api.codeTable);

  useEffect(() => {
    const wake = () => void api.wakeSync().catch(() => {});
    const visible = () => document.visibilityState === "visible" && wake();
    window.addEventListener("online", wake);
    document.addEventListener("visibilitychange", visible);
    return () => {
      window.removeEventListener("online", wake);
      document.removeEventListener("visibilitychange", visible);
    };
  }, []);

  const session = useMemo<Session>(
    () => ({
      info: info.value ?? null,
      categories: codes.value?.categories ?? [],
      cells: cells.value ?? [],
      reload: () => void info.reload(),
    }),
    [info.value, codes.value, cells.value],
  );

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
    <SessionContext.Provider value={session}>
      <div class="app">
        <main>
          {!info.value ? (
            <p>…</p>
          ) : detail ? (
            <Detail
              key={detail}
              id={detail}
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
              {screen === "grid" && <Grid onOpen={open} />}
              {screen === "new" && <NewReport key={visit} draftId={draft} onDone={done} />}
              {screen === "queue" && <Queue onOpen={open} />}
              {screen === "tasks" && <Tasks onOpen={open} />}
              {screen === "settings" && <Settings />}
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
    </SessionContext.Provider>
  );
}
