// My grid: the inspector's cells among their neighbours, their reports as pins coloured by
// state, and where they are now with the fix's accuracy. No tile server: the cells are the
// bundled reference GeoJSON. The words about the position and the dot on the map come from
// one value, the latest fix (or none), so they cannot disagree.
import { useEffect, useState } from "preact/hooks";

import type { LonLat } from "../../shared/geo";
import { useResource } from "../../shared/resource";
import { api, onSynced } from "../api";
import { GridMap } from "../components/map";
import { useI18n } from "../i18n";
import { watchPosition } from "../logic/position";
import { useSession } from "../session";

export function Grid({ onOpen }: { onOpen: (id: string) => void }) {
  const { t } = useI18n();
  const { info, cells } = useSession();
  const reports = useResource(api.reports);
  const [here, setHere] = useState<{ at: LonLat; accuracy_m: number } | null>(null);
  useEffect(() => {
    const stop = onSynced(() => void reports.reload());
    const unwatch = watchPosition((l) => setHere(l ? { at: [l.lon, l.lat], accuracy_m: l.accuracy_m } : null));
    return () => {
      stop();
      unwatch();
    };
  }, []);
  const pins = (reports.value ?? [])
    .filter((r) => r.location)
    .map((r) => ({ id: r.id, at: [r.location!.lon, r.location!.lat] as LonLat, state: r.central_state ?? r.state }));
  return (
    <section id="grid">
      <h1>{t("nav.grid")}</h1>
      <p id="grid-cells">{info?.inspector ? t("grid.mine", { cells: info.inspector.cells.join("、") }) : t("grid.notSignedIn")}</p>
      <p id="grid-position">{here ? t("grid.position", { m: Math.round(here.accuracy_m) }) : t("grid.noPosition")}</p>
      <p class="legend" id="grid-legend">
        <span>
          <svg width="18" height="18" viewBox="-9 -9 18 18" aria-hidden="true">
            <circle r="7" fill="#1b5fbf" stroke="#fff" stroke-width="2" />
          </svg>
          {t("grid.legendMe")}
        </span>
        <span>
          <svg width="18" height="22" viewBox="-10 -33 20 34" aria-hidden="true">
            <path d="M0,0 L-9,-19 A10,10 0 1,1 9,-19 Z" fill="#5c4a32" />
          </svg>
          {t("grid.legendReports")}
        </span>
      </p>
      <GridMap cells={cells} pins={pins} position={here} positionLabel={t("grid.me")} onPin={onOpen} height={900} />
    </section>
  );
}
