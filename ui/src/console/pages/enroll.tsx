// 扫码登记平板: a team leader (for their team's inspectors) or an administrator picks an
// inspector and shows a one-time QR code the tablet scans in its settings (扫码登记). The
// centre makes the code, keeps only its hash and draws the QR code (SVG); the page shows
// it with the code as text for typing, and when it expires. A code works once.
import { useState } from "preact/hooks";

import { failureText } from "../../shared/error";
import type { EnrollmentCode } from "../../shared/types";
import { client } from "../client";
import { defaultServer, inspectorsOf } from "../enroll";
import { useI18n } from "../i18n";
import { when } from "../logic";
import { useSession } from "../session";

export function EnrollTablet() {
  const w = useI18n();
  const { t } = w;
  const { teams } = useSession();
  const inspectors = inspectorsOf(teams);
  const [login, setLogin] = useState(inspectors[0]?.login ?? "");
  const [server, setServer] = useState(defaultServer(window.location.origin));
  const [code, setCode] = useState<EnrollmentCode | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const make = async () => {
    setBusy(true);
    setError(null);
    setCode(null);
    try {
      setCode(await client.enrollmentCode({ login, server }));
    } catch (e) {
      setError(failureText(w, e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="enroll-tablet">
      <h2>{t("enroll.title")}</h2>
      <p class="hint">{t("enroll.hint")}</p>
      <label>
        {t("enroll.inspector")}{" "}
        <select id="enroll-inspector" value={login} onChange={(e) => setLogin(e.currentTarget.value)}>
          {inspectors.map((p) => (
            <option key={p.login} value={p.login}>
              {p.name} ({p.login})
            </option>
          ))}
        </select>
      </label>{" "}
      <label>
        {t("enroll.server")}{" "}
        <input id="enroll-server" value={server} onInput={(e) => setServer(e.currentTarget.value)} />
      </label>{" "}
      <button id="enroll-make" class="primary" disabled={busy || !login} onClick={() => void make()}>
        {t("enroll.make")}
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {code && (
        <figure id="enroll-qr">
          {/* The SVG is drawn by the centre from the code alone: no text of anyone's in it. */}
          <div class="qr" dangerouslySetInnerHTML={{ __html: code.svg }} />
          <figcaption>
            <strong>{t("enroll.for", { name: code.name, login: code.login })}</strong>
            <br />
            {t("enroll.code")} <code id="enroll-code">{code.code}</code>
            <br />
            {t("enroll.expires", { at: when(w, code.expires_at) })}
          </figcaption>
        </figure>
      )}
    </section>
  );
}
