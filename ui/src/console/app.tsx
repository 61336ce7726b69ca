// The console's shell: sign-in, then a top bar (sections, language, who is signed in) over
// one page at a time. Pages are addressed by the URL's hash (#/review/<id>), so a link to a
// report can be shared and the browser's back button works. The language comes from the
// I18nProvider around it (main.tsx); who is signed in, with the category names and the
// departments, goes to the pages through the session context (session.tsx).
import { useEffect, useMemo, useState } from "preact/hooks";

import { Failure, failureText } from "../shared/error";
import { useResource } from "../shared/resource";
import type { Person } from "../shared/types";
import { client } from "./client";
import { onSignedOut } from "./http";
import { useI18n, type Key } from "./i18n";
import { categoryNames, route, sectionsFor, teamName } from "./logic";
import { AuditTrail, Import, People, Tablets } from "./pages/admin";
import { Cases } from "./pages/cases";
import { Conflicts } from "./pages/conflicts";
import { Devices } from "./pages/devices";
import { EvaluationPage } from "./pages/evaluation";
import { Handling } from "./pages/handling";
import { Health } from "./pages/health";
import { MapPage } from "./pages/map";
import { Components } from "./pages/components";
import { OverviewPage } from "./pages/overview";
import { Review } from "./pages/review";
import { SessionContext, type Session } from "./session";

export function Console() {
  const { t, lang, setLang } = useI18n();
  // Whoever the session cookie names; null when nobody is signed in.
  const me = useResource<Person | null>(() => client.me().catch(() => null));
  const names = useResource(async () => (me.value ? categoryNames(await client.codeTables()) : new Map()), [me.value]);
  const departments = useResource(async () => (me.value ? client.departments() : []), [me.value]);
  const teams = useResource(async () => (me.value ? client.teams() : []), [me.value]);
  const [hash, setHash] = useState(location.hash);

  useEffect(() => {
    const onHash = () => setHash(location.hash);
    window.addEventListener("hashchange", onHash);
    const stop = onSignedOut(() => me.set(null));
    return () => {
      window.removeEventListener("hashchange", onHash);
      stop();
    };
  }, []);
  useEffect(() => {
    document.title = `Gridwalk · ${t("title")}`;
  }, [lang]);
  const session = useMemo<Session | null>(
    () =>
      me.value
        ? { me: me.value, names: names.value ?? new Map(), departments: departments.value ?? [], teams: teams.value ?? [] }
        : null,
    [me.value, names.value, departments.value, teams.value],
  );
  const switchLang = () => setLang(lang === "zh" ? "en" : "zh");

  if (me.value === undefined) return <p class="loading">{t("loading")}</p>;
  if (!session) return <SignIn onSwitch={switchLang} onIn={me.set} />;

  const visible = sectionsFor(session.me.role);
  const { section, id, refused, query } = route(hash, visible);
  return (
    <SessionContext.Provider value={session}>
      <div class={`console section-${section ?? "none"}`}>
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
            {session.me.name} · {t(`role.${session.me.role}` as Key)}
            {session.me.team && session.teams.some((tm) => tm.code === session.me.team)
              ? ` · ${teamName(session.me.team, session.teams)}`
              : ""}
            {session.me.department ? ` · ${session.departments.find((d) => d.code === session.me.department)?.name ?? session.me.department}` : ""}
          </span>
          <button type="button" onClick={switchLang}>
            {t("lang.switch")}
          </button>
          <button
            type="button"
            onClick={() => {
              void client.signOut().finally(() => me.set(null));
            }}
          >
            {t("signOut")}
          </button>
        </header>
        <main>
          {refused && (
            <p class="error" id="not-allowed" role="alert">
              {t("nav.notAllowed", { section: t(`nav.${refused}` as Key), role: t(`role.${session.me.role}` as Key) })}
            </p>
          )}
          {section === "handling" && <Handling id={id} query={query} />}
          {section === "review" && <Review id={id} query={query} />}
          {section === "cases" && <Cases id={id} query={query} />}
          {section === "map" && <MapPage query={query} />}
          {section === "components" && <Components id={id} />}
          {section === "overview" && <OverviewPage />}
          {section === "devices" && <Devices />}
          {section === "conflicts" && <Conflicts id={id} />}
          {section === "health" && <Health />}
          {section === "evaluation" && <EvaluationPage />}
          {section === "people" && <People />}
          {section === "tablets" && <Tablets />}
          {section === "import" && <Import />}
          {section === "audit" && <AuditTrail />}
        </main>
      </div>
    </SessionContext.Provider>
  );
}

function SignIn(props: { onSwitch: () => void; onIn: (p: Person) => void }) {
  const w = useI18n();
  const { t } = w;
  const [login, setLogin] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const s = await client.signIn({ login, password });
      props.onIn(s.user);
    } catch (err) {
      // A refused sign-in says why in the server's words: the catalogue's words for its
      // kind (`signed_out`: "sign in again") speak of a session that never was.
      setError(err instanceof Failure && err.kind !== "network" ? failureText(w, err) : t("error.network"));
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
