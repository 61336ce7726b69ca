// 系统管理, for administrators only: 人员 (everyone, disable and enable, a new console
// password), 终端 (every enrolled tablet, revoke a lost one), 数据导入 (the city's grid,
// code table and people from its files) and 管理日志 (every administrative act, by whom). Each act is recorded by the server with the signed-in
// administrator as its actor; the pages only ask and show.
import { useState } from "preact/hooks";

import { failureText } from "../../shared/error";
import { useResource } from "../../shared/resource";
import type { Account, ImportAnswer } from "../../shared/types";
import { client } from "../client";
import { upload } from "../http";
import { useI18n, type Key } from "../i18n";
import { teamName, when } from "../logic";
import { useSession } from "../session";
import { EnrollTablet } from "./enroll";

/** Runs an administrative act, then reloads; says what failed in words. */
function useAct(reload: () => Promise<void>) {
  const w = useI18n();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (act: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await act();
      await reload();
    } catch (e) {
      setError(failureText(w, e));
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, run };
}

export function People() {
  const w = useI18n();
  const { t } = w;
  const { me, teams, departments } = useSession();
  const people = useResource(client.adminUsers);
  const act = useAct(people.reload);
  const [setting, setSetting] = useState<string | null>(null);
  const [password, setPassword] = useState("");
  const home = (a: Account) =>
    a.person.team
      ? teamName(a.person.team, teams)
      : a.person.department
        ? (departments.find((d) => d.code === a.person.department)?.name ?? a.person.department)
        : "";
  return (
    <section>
      <h1>
        {t("nav.people")} <button onClick={() => void people.reload()}>{t("refresh")}</button>
      </h1>
      {people.error && <p class="error">{failureText(w, people.error)}</p>}
      {act.error && (
        <p class="error" role="alert">
          {act.error}
        </p>
      )}
      {people.value && (
        <table class="grid-table people">
          <thead>
            <tr>
              <th>{t("people.login")}</th>
              <th>{t("people.name")}</th>
              <th>{t("people.role")}</th>
              <th>{t("people.home")}</th>
              <th>{t("people.status")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {people.value.map((a) => (
              <tr key={a.person.id} data-login={a.person.login} class={a.disabled_at ? "waiting" : ""}>
                <td>{a.person.login}</td>
                <td>{a.person.name}</td>
                <td>{t(`role.${a.person.role}` as Key)}</td>
                <td>{home(a)}</td>
                <td>{a.disabled_at ? t("people.disabledAt", { at: when(w, a.disabled_at) }) : t("people.active")}</td>
                <td>
                  <div class="row">
                    {a.person.login !== me.login &&
                      (a.disabled_at ? (
                        <button disabled={act.busy} onClick={() => void act.run(() => client.enableUser(a.person.login))}>
                          {t("people.enable")}
                        </button>
                      ) : (
                        <button disabled={act.busy} onClick={() => void act.run(() => client.disableUser(a.person.login))}>
                          {t("people.disable")}
                        </button>
                      ))}
                    {a.person.role !== "inspector" && (
                      <button disabled={act.busy} onClick={() => setSetting(setting === a.person.login ? null : a.person.login)}>
                        {t("people.setPassword")}
                      </button>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {setting && (
        <form
          class="ask"
          onSubmit={(e) => {
            e.preventDefault();
            const login = setting;
            void act.run(async () => {
              await client.setPassword(login, { password });
              setSetting(null);
              setPassword("");
            });
          }}
        >
          <label class="field">
            {t("people.newPassword", { login: setting })}
            <input name="new-password" type="password" autocomplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          </label>
          <div class="row">
            <button class="primary" type="submit" disabled={act.busy || password.length === 0}>
              {t("action.confirm")}
            </button>
            <button type="button" onClick={() => setSetting(null)}>
              {t("action.cancel")}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

export function Tablets() {
  const w = useI18n();
  const { t } = w;
  const tablets = useResource(client.adminDevices);
  const act = useAct(tablets.reload);
  return (
    <section>
      <h1>
        {t("nav.tablets")} <button onClick={() => void tablets.reload()}>{t("refresh")}</button>
      </h1>
      {tablets.error && <p class="error">{failureText(w, tablets.error)}</p>}
      {act.error && (
        <p class="error" role="alert">
          {act.error}
        </p>
      )}
      {tablets.value && tablets.value.length === 0 && <p class="empty">{t("devices.empty")}</p>}
      {tablets.value && tablets.value.length > 0 && (
        <table class="grid-table tablets">
          <thead>
            <tr>
              <th>{t("tablets.id")}</th>
              <th>{t("people.login")}</th>
              <th>{t("tablets.enrolled")}</th>
              <th>{t("devices.lastSeen")}</th>
              <th>{t("people.status")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tablets.value.map((d) => (
              <tr key={d.id} data-device={d.id} class={d.revoked_at ? "waiting" : ""}>
                <td>
                  {d.model ?? t("tablets.noModel")} <span class="hint">{d.id}</span>
                </td>
                <td>{d.login}</td>
                <td>{when(w, d.enrolled_at)}</td>
                <td>{d.last_seen ? when(w, d.last_seen) : t("devices.never")}</td>
                <td>{d.revoked_at ? t("tablets.revokedAt", { at: when(w, d.revoked_at) }) : t("people.active")}</td>
                <td>
                  {!d.revoked_at && (
                    <button
                      disabled={act.busy}
                      onClick={() => {
                        if (confirm(t("tablets.confirmRevoke", { login: d.login }))) void act.run(() => client.revokeDevice(d.id));
                      }}
                    >
                      {t("tablets.revoke")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <EnrollTablet />
    </section>
  );
}

export function AuditTrail() {
  const w = useI18n();
  const { t } = w;
  const acts = useResource(() => client.audit({}));
  return (
    <section>
      <h1>
        {t("nav.audit")} <button onClick={() => void acts.reload()}>{t("refresh")}</button>
      </h1>
      {acts.error && <p class="error">{failureText(w, acts.error)}</p>}
      {acts.value && (
        <table class="grid-table admin-acts">
          <thead>
            <tr>
              <th>{t("report.at")}</th>
              <th>{t("audit.actor")}</th>
              <th>{t("audit.action")}</th>
              <th>{t("audit.subject")}</th>
              <th>{t("audit.detail")}</th>
            </tr>
          </thead>
          <tbody>
            {acts.value.map((a) => (
              <tr key={a.id}>
                <td>{when(w, a.at)}</td>
                <td>{a.actor}</td>
                {/* An act this console has no name for yet is shown as the server records it. */}
                <td>{w.has(`adminAct.${a.action}`) ? t(`adminAct.${a.action}` as Key) : a.action}</td>
                <td>{a.subject}</td>
                <td>{a.detail ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

type ImportKindName = "grid" | "components" | "codes" | "people" | "departments";

/** Kinds read from a GIS file (a Shapefile as one .zip). */
const geographic = (what: ImportKindName) => what === "grid" || what === "components";

/** 数据导入: a city's grid, code table or people from its own files, checked as the command
 * line checks them. The report lists every problem with its row; nothing is stored until
 * the whole file passes (and never when only checking). */
export function Import() {
  const w = useI18n();
  const { t } = w;
  const [what, setWhat] = useState<ImportKindName>("grid");
  const [file, setFile] = useState<File | null>(null);
  const [version, setVersion] = useState("");
  const [crs, setCrs] = useState("");
  const [newArea, setNewArea] = useState(false);
  const [retire, setRetire] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [answer, setAnswer] = useState<{ checked: boolean; value: ImportAnswer } | null>(null);
  const send = async (check: boolean) => {
    if (!file) return;
    setBusy(true);
    setError(null);
    setAnswer(null);
    try {
      const value = await upload<ImportAnswer>(
        "/v1/console/admin/import",
        {
          what,
          name: file.name,
          check: check ? "true" : null,
          version: what === "codes" ? version : null,
          crs: geographic(what) && crs.trim() ? crs.trim() : null,
          new_area: what === "grid" && newArea ? "true" : null,
          retire_missing: geographic(what) && retire ? "true" : null,
        },
        file,
      );
      setAnswer({ checked: check, value });
    } catch (e) {
      setError(failureText(w, e));
    } finally {
      setBusy(false);
    }
  };
  const accept = geographic(what) ? ".geojson,.json,.gpkg,.zip" : ".csv,.xlsx";
  const verdict = answer
    ? answer.value.problems.length > 0
      ? "import.refused"
      : answer.value.stored
        ? "import.stored"
        : "import.checked"
    : null;
  return (
    <section class="import">
      <h1>{t("nav.import")}</h1>
      <p class="hint">{t("import.hint")}</p>
      <form
        class="ask"
        onSubmit={(e) => {
          e.preventDefault();
          void send(false);
        }}
      >
        <label class="field">
          {t("import.what")}
          <select name="what" value={what} onChange={(e) => setWhat(e.currentTarget.value as ImportKindName)}>
            <option value="grid">{t("import.grid")}</option>
            <option value="components">{t("import.components")}</option>
            <option value="codes">{t("import.codes")}</option>
            <option value="people">{t("import.people")}</option>
            <option value="departments">{t("import.departments")}</option>
          </select>
        </label>
        <label class="field">
          {t("import.file")}
          <input name="file" type="file" accept={accept} onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
        </label>
        {what === "codes" && (
          <label class="field">
            {t("import.version")}
            <input name="version" value={version} onInput={(e) => setVersion(e.currentTarget.value)} />
          </label>
        )}
        {geographic(what) && (
          <>
            <label class="field">
              {t("import.crs")}
              <input name="crs" value={crs} onInput={(e) => setCrs(e.currentTarget.value)} />
            </label>
            {what === "grid" && (
              <label>
                <input name="new-area" type="checkbox" checked={newArea} onChange={(e) => setNewArea(e.currentTarget.checked)} />{" "}
                {t("import.newArea")}
              </label>
            )}
            <label>
              <input name="retire-missing" type="checkbox" checked={retire} onChange={(e) => setRetire(e.currentTarget.checked)} />{" "}
              {t(what === "grid" ? "import.retireCells" : "import.retireComponents")}
            </label>
          </>
        )}
        <div class="row">
          <button type="button" name="check" disabled={busy || !file} onClick={() => void send(true)}>
            {t("import.check")}
          </button>
          <button class="primary" type="submit" name="import" disabled={busy || !file || (what === "codes" && !version.trim())}>
            {t("import.run")}
          </button>
        </div>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {answer && verdict && (
        <div class="import-report" data-stored={String(answer.value.stored)}>
          <p class={answer.value.problems.length > 0 ? "error" : "ok"} role="status">
            {t(verdict as Key, { summary: answer.value.summary })}
          </p>
          {answer.value.problems.length > 0 && (
            <table class="grid-table import-problems">
              <thead>
                <tr>
                  <th>{t("import.row")}</th>
                  <th>{t("import.code")}</th>
                  <th>{t("import.problem")}</th>
                  <th>{t("import.at")}</th>
                </tr>
              </thead>
              <tbody>
                {answer.value.problems.map((p, i) => (
                  <tr key={i}>
                    <td>{p.row > 0 ? p.row : ""}</td>
                    <td>{p.code ?? ""}</td>
                    <td>{p.message}</td>
                    <td>{p.at ? `${p.at[0].toFixed(6)}, ${p.at[1].toFixed(6)}` : ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </section>
  );
}
