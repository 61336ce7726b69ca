// My grid: the inspector's cells among their neighbours, their reports as pins coloured by
// state, and where they are now with the fix's accuracy. No tile server: the cells are the
// bundled reference GeoJSON.
import { useEffect, useState } from "preact/hooks";

import { api, onSynced } from "../api";
import type { AppInfo, CellOutline, LocalReport } from "../bindings";
import { GridMap } from "../components/map";
import { translate, type Lang } from "../i18n";
import type { LonLat } from "../logic/geo";
import { watchPosition } from "../logic/position";

export function Grid({ lang, info, cells, onOpen }: { lang: Lang; info: AppInfo | null; cells: CellOutline[]; onOpen: (id: string) => void }) {
  const [reports, setReports] = useState<LocalReport[]>([]);
  const [position, setPosition] = useState<{ at: LonLat; accuracy_m: number } | null>(null);
  useEffect(() => {
    const load = () => void api.reports().then(setReports, () => {});
    load();
    const stop = onSynced(load);
    const unwatch = watchPosition((l) => setPosition(l ? { at: [l.lon, l.lat], accuracy_m: l.accuracy_m } : null));
    return () => {
      stop();
      unwatch();
    };
  }, []);
  const pins = reports
    .filter((r) => r.location)
    .map((r) => ({ id: r.id, at: [r.location!.lon, r.location!.lat] as LonLat, state: r.central_state ?? r.state }));
  return (
    <section id="grid">
      <h1>{translate(lang, "nav.grid")}</h1>
      <p id="grid-cells">
        {info?.inspector ? translate(lang, "grid.mine", { cells: info.inspector.cells.join("、") }) : translate(lang, "grid.notSignedIn")}
      </p>
      <p id="grid-position">
        {position ? translate(lang, "grid.position", { m: Math.round(position.accuracy_m) }) : translate(lang, "grid.noPosition")}
      </p>
      <GridMap cells={cells} pins={pins} position={position} onPin={onOpen} height={900} />
    </section>
  );
}
