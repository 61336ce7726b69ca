// The console's shell: sign-in, then a top bar (sections, language, who is signed in) over
// one page at a time. Pages are addressed by the URL's hash (#/review/<id>), so a link to a
// report can be shared and the browser's back button works.
import { useEffect, useState } from "preact/hooks";

import { ApiFailure, api } from "./api";
import { type Key, type Lang, translate } from "./i18n";
import { type CategoryName, categoryNames } from "./logic";
import { Cases } from "./pages/cases";
import { Conflicts } from "./pages/conflicts";
import { Devices } from "./pages/devices";
import { EvaluationPage } from "./pages/evaluation";
import { Health } from "./pages/health";
import { Review } from "./pages/review";
import type { Department, Person } from "./types";

/** What every page needs. */
export interface Ctx {
  lang: Lang;
  t: (key: Key, values?: Record<string, string | number>) => string;
  me: Person;
  names: Map<string, CategoryName>;
  departments: Department[];
  go: (hash: string) => void;
  /** The server's words for a failure, or the console's for the usual ones. */
  fail: (e: unknown) => string;
}

type Section = "review" | "cases" | "devices" | "conflicts" | "health" | "evaluation";
const SECTIONS: Section[] = ["review", "cases", "devices", "conflicts", "health", "evaluation"];

function route(hash: string): { section: Section; id: string | null } {
  const [, section, id] = hash.replace(/^#/, "").split("/");
  const s = SECTIONS.includes(section as Section) ? (section as Section) : "review";
  return { section: s, id: id || null };
}

export function Console() {
  const [lang, setLang] = useState<Lang>(() => (localStorage.getItem("console.lang") as Lang) || "zh");
  const [me, setMe] = useState<Person | null | undefined>(undefined);
  const [names, setNames] = useState<Map<string, CategoryName>>(new Map());
  const [departments, setDepartments] = useState<Department[]>([]);
  const [hash, setHash] = useState(location.hash);
  const t = (key: Key, values?: Record<string, string | number>) => translate(lang, key, values);

  useEffect(() => {
    const onHash = () => setHash(location.hash);
    window.addEventListener("hashchange", onHash);
    api.me().then(setMe, () => setMe(null));
    return () => window.removeEventListener("hashchange", onHash);
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = `Gridwalk · ${translate(lang, "title")}`;
  }, [lang]);
  useEffect(() => {
    if (!me) return;
    api.codeTables().then((tables) => setNames(categoryNames(tables)), () => {});
    api.departments().then(setDepartments, () => {});
  }, [me]);

  const fail = (e: unknown): string => {
    if (e instanceof ApiFailure) {
      if (e.code === "network") return t("error.network");
      if (e.code === "signed_out") {
        setMe(null);
        return t("error.signed_out");
      }
      return e.message;
    }
    return String(e);
  };
  const switchLang = () => {
    const next = lang === "zh" ? "en" : "zh";
    localStorage.setItem("console.lang", next);
    setLang(next);
  };

  if (me === undefined) return <p class="loading">{t("loading")}</p>;
  if (me === null) return <SignIn t={t} onSwitch={switchLang} onIn={setMe} />;

  const { section, id } = route(hash);
  const go = (h: string) => {
    location.hash = h;
  };
  const ctx: Ctx = { lang, t, me, names, departments, go, fail };
  const visible = SECTIONS.filter((s) => s !== "conflicts" || me.role === "operator");
  return (
    <div class="console">
      <header>
        <strong class="brand">{t("title")}</strong>
        <nav>
          {visible.map((s) => (
            <a key={s} href={`#/${s}`} class={s === section ? "active" : ""}>
              {t(`nav.${s}` as Key)}
            </a>
          ))}
        </nav>
        <span class="who">
          {me.name} · {t(`role.${me.role}` as Key)}
          {me.team ? ` · ${me.team}` : ""}
        </span>
        <button type="button" onClick={switchLang}>
          {t("lang.switch")}
        </button>
        <button
          type="button"
          onClick={() => {
            void api.signOut().finally(() => setMe(null));
          }}
        >
          {t("signOut")}
        </button>
      </header>
      <main>
        {section === "review" && <Review ctx={ctx} id={id} />}
        {section === "cases" && <Cases ctx={ctx} id={id} />}
        {section === "devices" && <Devices ctx={ctx} />}
        {section === "conflicts" && <Conflicts ctx={ctx} id={id} />}
        {section === "health" && <Health ctx={ctx} />}
        {section === "evaluation" && <EvaluationPage ctx={ctx} />}
      </main>
    </div>
  );
}

function SignIn(props: { t: Ctx["t"]; onSwitch: () => void; onIn: (p: Person) => void }) {
  const { t } = props;
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await api.signIn(login, password);
      props.onIn(s.user);
    } catch (err) {
      setError(err instanceof ApiFailure && err.code !== "network" ? err.message : t("error.network"));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="signin" onSubmit={submit}>
      <h1>{t("signIn.title")}</h1>
      <label class="field">
        {t("signIn.login")}
        <input name="login" autocomplete="username" value={login} onInput={(e) => setLogin(e.currentTarget.value)} />
      </label>
      <label class="field">
        {t("signIn.password")}
        <input
          name="password"
          type="password"
          autocomplete="current-password"
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </label>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="row">
        <button class="primary" type="submit" disabled={busy || !login || !password}>
          {t("signIn.submit")}
        </button>
        <button type="button" onClick={props.onSwitch}>
          {t("lang.switch")}
        </button>
      </div>
    </form>
  );
}
