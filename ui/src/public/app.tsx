// The 随手拍 page: a citizen on a phone sends photos, the position, a problem type and a
// few words, without an account. The draft stays on the page until the centre has
// answered: a submission that meets no network is sent again, with the same key and the
// same photo bytes, so it is filed once however often it is retried (logic.ts).
import { useEffect, useMemo, useState } from "preact/hooks";

import { Failure, failureText, refusal } from "../shared/error";
import { useI18n as useSharedI18n, type I18n } from "../shared/i18n";
import { shrink, uuidv7 } from "../shared/pictures";
import { sayValue } from "../shared/say";
import type { Location, PublicAnswer, PublicForm, PublicReport } from "../shared/types";
import type { Key } from "./i18n";
import { body, forget, lacks, location, majors, mine, placeProblem, refreshed, remember, shortRef, type Mine, type Need } from "./logic";

const useI18n = (): I18n<Key> => useSharedI18n<Key>();

/** A JSON request to the public API; a refusal becomes a `Failure` in the API's words. */
async function request<T>(path: string, init?: RequestInit): Promise<T> {
  let resp: Response;
  try {
    resp = await fetch(path, init);
  } catch {
    throw new Failure("network", "network");
  }
  if (!resp.ok) throw await refusal(resp);
  return (await resp.json()) as T;
}

type Photo = { blob: Blob; url: string; id: string };
type Place = { state: "asking" } | { state: "got"; at: Location } | { state: "failed"; why: Key };

export function PublicPage() {
  const w = useI18n();
  const [form, setForm] = useState<PublicForm | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [sent, setSent] = useState<PublicAnswer | null>(null);
  const [list, setList] = useState<Mine[]>(() => mine());
  useEffect(() => {
    request<PublicForm>("/v1/public/form")
      .then(setForm)
      .catch((e: unknown) => setFailure(failureText(w, e)));
    // The form is asked for once; its words follow the language as it changes.
  }, []);
  return (
    <main class="public">
      <header>
        <h1>{w.t("title")}</h1>
        <button type="button" class="lang" onClick={() => w.setLang(w.lang === "zh" ? "en" : "zh")}>
          {w.t("lang")}
        </button>
        <p>{w.t("subtitle")}</p>
      </header>
      {failure && <p class="failure" role="alert">{failure}</p>}
      {!form && !failure && <p>{w.t("loading")}</p>}
      {form && !form.open && <p class="failure">{w.t("closed")}</p>}
      {form?.open && sent && (
        <section class="done" aria-live="polite">
          <h2>{w.t("done.title")}</h2>
          <p>
            {w.t("done.body")} <strong class="reference">{shortRef(sent.report)}</strong>
          </p>
          <button type="button" onClick={() => setSent(null)}>
            {w.t("done.another")}
          </button>
        </section>
      )}
      {form?.open && !sent && (
        <Draft
          form={form}
          onSent={(a, what) => {
            setList(remember({ ...a, what }));
            setSent(a);
          }}
        />
      )}
      {form?.open && <MyReports list={list} onChange={setList} />}
      {form?.open && (
        <footer>
          <p>{w.t("limit", { n: form.per_hour })}</p>
          <p>{w.t("privacy")}</p>
        </footer>
      )}
    </main>
  );
}

function Draft({ form, onSent }: { form: PublicForm; onSent: (a: PublicAnswer, what: string) => void }) {
  const w = useI18n();
  // One key for this draft, made once: every retry of it is the same submission.
  const [key] = useState(uuidv7);
  const [kind, setKind] = useState<"event" | "component">("event");
  const [major, setMajor] = useState("");
  const [category, setCategory] = useState("");
  const [photos, setPhotos] = useState<Photo[]>([]);
  const [words, setWords] = useState("");
  const [address, setAddress] = useState("");
  const [place, setPlace] = useState<Place>({ state: "asking" });
  const [sending, setSending] = useState(false);
  const [tried, setTried] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const groups = useMemo(() => majors(form.categories, kind), [form, kind]);
  const minors = groups.find((g) => g.name === major)?.minors ?? [];

  const locate = () => {
    if (!("geolocation" in navigator)) {
      setPlace({ state: "failed", why: "place.none" });
      return;
    }
    setPlace({ state: "asking" });
    navigator.geolocation.getCurrentPosition(
      (p) => setPlace({ state: "got", at: location(p) }),
      (e) => setPlace({ state: "failed", why: placeProblem(e.code) }),
      { enableHighAccuracy: true, timeout: 20_000, maximumAge: 60_000 },
    );
  };
  useEffect(locate, []);

  const add = async (files: FileList | null) => {
    if (!files) return;
    const room = form.max_photos - photos.length;
    const made: Photo[] = [];
    for (const f of [...files].slice(0, room)) {
      try {
        const { blob } = await shrink(f);
        made.push({ blob, url: URL.createObjectURL(blob), id: uuidv7() });
      } catch (e) {
        setProblem(failureText(w, e));
      }
    }
    setPhotos((p) => [...p, ...made]);
  };

  const at = place.state === "got" ? place.at : null;
  const needs: Need[] = lacks({ category: category || null, photos: photos.length, words, place: at });

  const send = async () => {
    setTried(true);
    setProblem(null);
    if (needs.length > 0 || !at) return;
    const report: PublicReport = {
      key,
      kind,
      category,
      description: words,
      address,
      location: at,
      photo_ids: photos.map((p) => p.id),
    };
    setSending(true);
    try {
      const a = await request<PublicAnswer>("/v1/public/reports", {
        method: "POST",
        body: body(
          report,
          photos.map((p) => p.blob),
        ),
      });
      const picked = form.categories.find((c) => c.kind === kind && c.code === category);
      onSent(a, [picked?.name, words.trim().slice(0, 30)].filter(Boolean).join(" · "));
    } catch (e) {
      const f = Failure.from(e);
      setProblem(f.kind === "network" ? w.t("network") : failureText(w, e));
    } finally {
      setSending(false);
    }
  };

  return (
    <form
      class="draft"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <fieldset>
        <legend>{w.t("field.kind")}</legend>
        <div class="kinds" role="radiogroup">
          {(["event", "component"] as const).map((k) => (
            <label key={k}>
              <input
                type="radio"
                name="kind"
                checked={kind === k}
                onChange={() => {
                  setKind(k);
                  setMajor("");
                  setCategory("");
                }}
              />
              {w.t(`kind.${k}`)}
            </label>
          ))}
        </div>
        <label>
          {w.t("field.major")}
          <select
            name="major"
            value={major}
            onChange={(e) => {
              setMajor(e.currentTarget.value);
              setCategory("");
            }}
          >
            <option value="">—</option>
            {groups.map((g) => (
              <option key={g.name} value={g.name}>
                {g.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {w.t("field.minor")}
          <select name="category" value={category} disabled={!major} onChange={(e) => setCategory(e.currentTarget.value)}>
            <option value="">—</option>
            {minors.map((c) => (
              <option key={c.code} value={c.code}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      </fieldset>

      <fieldset>
        <legend>{w.t("field.photos", { max: form.max_photos })}</legend>
        <div class="photos">
          {photos.map((p) => (
            <figure key={p.id}>
              <img src={p.url} alt="" />
              <button
                type="button"
                onClick={() => {
                  URL.revokeObjectURL(p.url);
                  setPhotos((all) => all.filter((x) => x.id !== p.id));
                }}
              >
                {w.t("photo.remove")}
              </button>
            </figure>
          ))}
        </div>
        {photos.length < form.max_photos && (
          <label class="add-photo">
            {w.t("photo.add")}
            <input
              type="file"
              name="photo"
              accept="image/*"
              capture="environment"
              multiple
              onChange={(e) => {
                const input = e.currentTarget;
                void add(input.files).then(() => (input.value = ""));
              }}
            />
          </label>
        )}
      </fieldset>

      <label>
        {w.t("field.words")}
        <textarea
          name="description"
          maxLength={form.max_words}
          rows={3}
          placeholder={w.t("field.words.hint", { max: form.max_words })}
          value={words}
          onInput={(e) => setWords(e.currentTarget.value)}
        />
      </label>
      <label>
        {w.t("field.address")}
        <input
          name="address"
          placeholder={w.t("field.address.hint")}
          value={address}
          onInput={(e) => setAddress(e.currentTarget.value)}
        />
      </label>

      <p class={`place ${place.state}`} aria-live="polite">
        <strong>{w.t("field.place")}</strong>{" "}
        {place.state === "asking" && w.t("place.asking")}
        {place.state === "got" && w.t("place.got", { m: Math.round(place.at.accuracy_m) })}
        {place.state === "failed" && (
          <>
            {w.t(place.why)} <span class="hint">{w.t("place.why")}</span>
          </>
        )}
        {place.state !== "asking" && (
          <button type="button" onClick={locate}>
            {w.t("place.retry")}
          </button>
        )}
      </p>

      {tried && needs.length > 0 && (
        <ul class="needs" role="alert">
          {needs.map((n) => (
            <li key={n}>{w.t(n)}</li>
          ))}
        </ul>
      )}
      {problem && (
        <p class="failure" role="alert">
          {problem}
        </p>
      )}
      <button type="submit" class="send" disabled={sending}>
        {sending ? w.t("sending") : problem ? w.t("send.again") : w.t("send")}
      </button>
    </form>
  );
}

function MyReports({ list, onChange }: { list: Mine[]; onChange: (l: Mine[]) => void }) {
  const w = useI18n();
  const [problem, setProblem] = useState<string | null>(null);
  const [gone, setGone] = useState<Set<string>>(new Set());
  const refresh = async () => {
    setProblem(null);
    let kept = list;
    const missing = new Set<string>();
    for (const m of list) {
      try {
        kept = refreshed(await request<PublicAnswer>(`/v1/public/reports/${encodeURIComponent(m.report)}`));
      } catch (e) {
        const f = Failure.from(e);
        if (f.kind === "not_found") missing.add(m.report);
        else {
          setProblem(f.kind === "network" ? w.t("network.refresh") : failureText(w, e));
          break;
        }
      }
    }
    setGone(missing);
    onChange(kept);
  };
  return (
    <section class="mine">
      <h2>{w.t("mine")}</h2>
      {list.length === 0 ? (
        <p>{w.t("mine.none")}</p>
      ) : (
        <>
          <ul>
            {list.map((m) => (
              <li key={m.report} data-report={m.report}>
                <time>{new Date(m.received_at).toLocaleString(w.locale)}</time>{" "}
                <span class="state">{gone.has(m.report) ? w.t("mine.gone") : sayValue(w.lang, "state", m.state)}</span>
                {m.case_no && <span> · {w.t("mine.case", { no: m.case_no })}</span>}
                {m.what && <span class="what">{m.what}</span>}
                <code>{w.t("mine.ref", { ref: shortRef(m.report) })}</code>
                {gone.has(m.report) && (
                  <button type="button" onClick={() => onChange(forget(m.report))}>
                    {w.t("mine.forget")}
                  </button>
                )}
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => void refresh()}>
            {w.t("mine.refresh")}
          </button>
        </>
      )}
      {problem && <p class="failure">{problem}</p>}
    </section>
  );
}
