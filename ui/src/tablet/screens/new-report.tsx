// New report: built for one hand and few taps. Opening the screen starts a draft and asks
// for a position at once; the common case is then a photo, a category (a recent pick is one
// tap, 大类 → 小类 two), and Submit. Everything is saved to the device as it is entered, so
// leaving the screen, a crash or a flat battery loses nothing; an untouched draft is
// removed on leaving. A 部件 report names its component: scanned from the QR code on it
// (扫码), or picked from the nearest of its 小类 (附近部件, also small squares on the map).
import { useEffect, useRef, useState } from "preact/hooks";

import { Failure, failureText, fieldProblems } from "../../shared/error";
import type { Category, ComponentInfo, PhotoStage } from "../../shared/types";
import { api } from "../api";
import type { DraftPatch, LocalReport, NearComponent, TakenComponent } from "../commands";
import { GridMap } from "../components/map";
import { Thumb } from "../components/photos";
import { CategoryPicker } from "../components/picker";
import { useI18n, type Key } from "../i18n";
import { keyOf, label, remember } from "../logic/categories";
import { componentName, distance, NEAR_LIMIT, nearQuery, replaced, spots } from "../logic/components";
import { currentPosition, manual } from "../logic/position";
import { cellNamer, clipDefaults, clipFrom, flagText, when } from "../logic/report";
import { useSession } from "../session";

export interface NewReportProps {
  /** Continue this draft instead of starting one. */
  draftId?: string | null;
  onDone: (report: LocalReport) => void;
}

const RECENT = "recentCategories";

function isEmpty(r: LocalReport): boolean {
  return !r.photos.length && !r.category && !r.description.trim() && !r.clips.length && !r.address.trim();
}

export function NewReport({ draftId, onDone }: NewReportProps) {
  const w = useI18n();
  const { t, lang } = w;
  const { info, categories, cells } = useSession();
  const [report, setReport] = useState<LocalReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [fields, setFields] = useState<Record<string, string>>({});
  const [gps, setGps] = useState<{ state: "locating" | "failed" | "done"; why?: string }>({ state: "locating" });
  const [busy, setBusy] = useState<string | null>(null);
  const [picking, setPicking] = useState(true);
  const [clip, setClip] = useState<ReturnType<typeof clipDefaults> | null>(null);
  const [recent, setRecent] = useState<string[]>(() => JSON.parse(localStorage.getItem(RECENT) ?? "[]"));
  const [near, setNear] = useState<NearComponent[]>([]);
  const [notice, setNotice] = useState<string | null>(null);
  const latest = useRef<LocalReport | null>(null);
  const submitted = useRef(false);
  // Changes go to the engine one after another, in the order they were made: a blur's
  // save must land before the Submit it was followed by.
  const chain = useRef<Promise<unknown>>(Promise.resolve());
  const serial = <T,>(f: () => Promise<T>): Promise<T> => {
    const next = chain.current.then(f, f);
    chain.current = next.catch(() => {});
    return next;
  };
  latest.current = report;

  const apply = (r: LocalReport) => {
    setReport(r);
    setError(null);
    setFields({});
  };
  const fail = (e: unknown) => {
    setError(failureText(w, e));
    setFields(fieldProblems(w, Failure.from(e)));
  };

  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const r = draftId ? await api.report(draftId) : await api.createDraft();
        if (!live) return;
        apply(r);
        setPicking(!r.category);
        if (r.location) {
          setGps({ state: "done" });
          return;
        }
        try {
          const fix = await currentPosition();
          // A photo may have placed it meanwhile, or the inspector by hand: keep theirs.
          const now = latest.current;
          if (live && now && (!now.location || now.location.provider === "photo_exif")) {
            apply(await api.setLocation(now.id, fix));
          }
          if (live) setGps({ state: "done" });
        } catch (e) {
          if (live) setGps({ state: "failed", why: failureText(w, e) });
        }
      } catch (e) {
        if (live) fail(e);
      }
    })();
    return () => {
      live = false;
      const r = latest.current;
      if (r && r.state === "draft" && !submitted.current && isEmpty(r)) void api.deleteDraft(r.id).catch(() => {});
    };
  }, [draftId]);

  // The nearby components of the report's 小类, again whenever its 小类 or position changes.
  const query = report ? nearQuery(report) : null;
  const queryKey = query ? `${query.category}@${query.lon},${query.lat}` : "";
  useEffect(() => {
    if (!query) {
      setNear([]);
      return;
    }
    let live = true;
    api.componentsNear(query.category, query.lon, query.lat, NEAR_LIMIT).then(
      (list) => live && setNear(list),
      () => live && setNear([]),
    );
    return () => {
      live = false;
    };
  }, [queryKey]);

  if (!report) return <section id="new-report">{error ? <p class="error">{error}</p> : <p>…</p>}</section>;

  const patch = async (p: DraftPatch) => {
    try {
      apply(await serial(() => api.updateDraft(report.id, p)));
    } catch (e) {
      fail(e);
    }
  };
  const addPhoto = async (stage: PhotoStage, input: HTMLInputElement) => {
    const files = Array.from(input.files ?? []);
    input.value = "";
    setBusy(t("report.processing"));
    try {
      for (const f of files) apply(await serial(() => api.addPhoto(report.id, stage, f)));
    } catch (e) {
      fail(e);
    } finally {
      setBusy(null);
    }
  };
  const pick = async (c: Category) => {
    const next = remember(recent, keyOf(c));
    setRecent(next);
    localStorage.setItem(RECENT, JSON.stringify(next));
    setPicking(false);
    await patch({ kind: c.kind, category: c.code });
  };
  const took = (taken: TakenComponent) => {
    apply(taken.report);
    setPicking(false);
    const change = replaced(taken, categories, lang);
    setNotice(change ? t("component.replaced", change) : null);
  };
  const scanComponent = async (input: HTMLInputElement) => {
    const picture = input.files?.[0];
    input.value = "";
    if (!picture) return;
    setBusy(t("component.scanning"));
    try {
      took(await serial(() => api.componentScan(report.id, picture)));
    } catch (e) {
      fail(e);
    } finally {
      setBusy(null);
    }
  };
  const takeComponent = async (id: string) => {
    try {
      took(await serial(() => api.takeComponent(report.id, id)));
    } catch (e) {
      fail(e);
    }
  };
  const clearComponent = async () => {
    setNotice(null);
    await patch({ component_id: null });
  };
  const submit = async () => {
    try {
      const r = await serial(() => api.finalize(report.id));
      submitted.current = true;
      onDone(r);
    } catch (e) {
      fail(e);
    }
  };
  const saveClip = async () => {
    if (!clip) return;
    try {
      apply(await api.addClip(report.id, clipFrom(clip)));
      setClip(null);
    } catch (e) {
      fail(e);
    }
  };

  const chosen = categories.find((c) => c.kind === report.kind && c.code === report.category);
  const loc = report.location;
  const photo = (stage: PhotoStage, key: Key) => (
    <label class="button photo-button" id={`photo-${stage}`}>
      {t(key)}
      <input
        id={`photo-${stage}-input`}
        type="file"
        accept="image/*"
        capture="environment"
        multiple
        onChange={(e) => void addPhoto(stage, e.currentTarget)}
      />
    </label>
  );
  return (
    <section id="new-report" data-report={report.id}>
      <h1>{t("report.new")}</h1>

      <h2>{t("report.photos")}</h2>
      <div class="photos">
        {report.photos.map((p) => (
          <Thumb key={p.id} photo={p} onRemove={() => void api.removePhoto(p.id).then(apply, fail)} />
        ))}
      </div>
      <div class="row">
        {photo("before", "report.addBefore")}
        {photo("after", "report.addAfter")}
      </div>
      {busy && <p class="busy">{busy}</p>}

      <h2>{t("report.location")}</h2>
      <p id="location-status">
        {loc
          ? `${t(`report.provider.${loc.provider}` as Key)} · ${t("report.accuracy", { m: Math.round(loc.accuracy_m) })}`
          : gps.state === "failed"
            ? t("report.noGps", { why: gps.why ?? "" })
            : t("report.locating")}
      </p>
      {report.cell && (
        <p id="report-cell" title={report.cell}>
          {t("report.cell", { cell: cellNamer(w, cells)(report.cell) })}
        </p>
      )}
      <ul id="location-flags" class="warnings">
        {report.location_flags.map((f, i) => (
          <li key={i}>{flagText(w, f, cellNamer(w, cells))}</li>
        ))}
      </ul>
      <GridMap
        cells={cells}
        marker={loc ? [loc.lon, loc.lat] : null}
        zoomToMarker={loc ? 120 : undefined}
        height={360}
        spots={spots(near, report.component_id)}
        onSpot={(id) => void takeComponent(id)}
        onPlace={(at, mpu) => void api.setLocation(report.id, manual(at[0], at[1], mpu, new Date())).then(apply, fail)}
      />
      <p class="hint">{t("report.dragHint")}</p>

      <h2>{t("category.title")}</h2>
      {chosen && !picking ? (
        <p id="category-chosen">
          {t(`kind.${chosen.kind}`)} · {chosen.major_name} · <strong>{label(chosen, lang)}</strong> ({chosen.code}){" "}
          <button type="button" id="category-change" onClick={() => setPicking(true)}>
            {t("category.change")}
          </button>
        </p>
      ) : (
        <CategoryPicker recent={recent} onPick={(c) => void pick(c)} />
      )}

      {report.kind === "component" && (
        <div id="component">
          <h2>{t("component.title")}</h2>
          {notice && (
            <p class="notice" id="component-notice">
              {notice}
            </p>
          )}
          {report.component_id ? (
            <p id="component-chosen">
              <ChosenComponent id={report.component_id} near={near} />{" "}
              <button type="button" id="component-clear" onClick={() => void clearComponent()}>
                {t("component.clear")}
              </button>
            </p>
          ) : (
            <p class="hint">{t("component.none")}</p>
          )}
          <label class="button photo-button" id="component-scan-button">
            {t("component.scan")}
            <input id="component-scan" type="file" accept="image/*" capture="environment" onChange={(e) => void scanComponent(e.currentTarget)} />
          </label>
          <h3>{t("component.near")}</h3>
          {!query ? (
            <p class="hint">{t("component.nearNeedsPlace")}</p>
          ) : near.length ? (
            <ul id="component-near" class="choices">
              {near.map((n) => {
                const d = distance(n.distance_m);
                return (
                  <li key={n.component.id}>
                    <button
                      type="button"
                      data-component={n.component.id}
                      class={n.component.id === report.component_id ? "chosen" : ""}
                      onClick={() => void takeComponent(n.component.id)}
                    >
                      <strong>{componentName(n.component, categories, lang)}</strong> · {t(d.key, d)} · {n.component.id}
                    </button>
                  </li>
                );
              })}
            </ul>
          ) : (
            <p class="hint" id="component-near-none">
              {t("component.nearNone")}
            </p>
          )}
        </div>
      )}

      <label class="field">
        {t("report.description")}
        <textarea
          id="description"
          rows={3}
          value={report.description}
          class={fields.description ? "invalid" : ""}
          onChange={(e) => void patch({ description: e.currentTarget.value })}
        />
      </label>
      <label class="field">
        {t("report.address")}
        <input id="address" value={report.address} onChange={(e) => void patch({ address: e.currentTarget.value })} />
      </label>
      <div class="row toggles">
        <label>
          <input id="urgent" type="checkbox" checked={report.urgency === "urgent"} onChange={(e) => void patch({ urgency: e.currentTarget.checked ? "urgent" : "normal" })} />
          {t("report.urgent")}
        </label>
        <label>
          <input id="handled" type="checkbox" checked={report.handled_on_spot} onChange={(e) => void patch({ handled_on_spot: e.currentTarget.checked })} />
          {t("report.handled")}
        </label>
      </div>

      <h2>{t("report.clips")}</h2>
      <ul id="clips">
        {report.clips.map((c, i) => (
          <li key={i}>
            {t("report.clipLine", { camera: c.camera_serial, badge: c.officer_badge, from: when(w, c.start), to: when(w, c.end) })}
            <button type="button" onClick={() => void api.removeClip(report.id, i).then(apply, fail)}>
              {t("report.remove")}
            </button>
          </li>
        ))}
      </ul>
      {clip ? (
        <div class="clip-form">
          {(
            [
              ["camera_serial", "report.camera", "text"],
              ["officer_badge", "report.badge", "text"],
              ["start", "report.start", "datetime-local"],
              ["end", "report.end", "datetime-local"],
              ["file_name", "report.file", "text"],
            ] as const
          ).map(([name, key, type]) => (
            <label class="field" key={name}>
              {t(key)}
              <input
                id={`clip-${name}`}
                // Preact types `type` per input kind; both kinds here take a string value.
                type={type as string as "text"}
                value={clip[name]}
                class={fields[`clip.${name}`] ? "invalid" : ""}
                onInput={(e) => setClip({ ...clip, [name]: e.currentTarget.value })}
              />
            </label>
          ))}
          <button type="button" id="clip-save" onClick={() => void saveClip()}>
            {t("report.saveClip")}
          </button>
        </div>
      ) : (
        <button
          type="button"
          id="clip-add"
          onClick={() => setClip(clipDefaults(new Date(), info?.settings.camera_serial ?? null, info?.inspector?.badge ?? null))}
        >
          {t("report.addClip")}
        </button>
      )}

      {error && (
        <p class="error" id="report-error">
          {error}
        </p>
      )}
      <div class="row actions">
        <button type="button" id="save-draft" onClick={() => onDone(report)}>
          {t("report.saveDraft")}
        </button>
        <button type="button" id="submit" class="primary" onClick={() => void submit()}>
          {t("report.submit")}
        </button>
      </div>
    </section>
  );
}

/** The chosen component by name and ID: its name from the nearby list, or from the engine
 * when it is not among them (scanned further away, or the list not loaded yet). */
function ChosenComponent({ id, near }: { id: string; near: NearComponent[] }) {
  const { lang } = useI18n();
  const { categories } = useSession();
  const listed = near.find((n) => n.component.id === id)?.component;
  const [fetched, setFetched] = useState<ComponentInfo | null>(null);
  useEffect(() => {
    if (listed) return;
    let live = true;
    api.component(id).then(
      (c) => live && setFetched(c),
      () => live && setFetched(null),
    );
    return () => {
      live = false;
    };
  }, [id, !!listed]);
  const c = listed ?? (fetched?.id === id ? fetched : null);
  return (
    <span>
      {c && <strong>{componentName(c, categories, lang)}</strong>} <code id="component-id">{id}</code>
    </span>
  );
}
