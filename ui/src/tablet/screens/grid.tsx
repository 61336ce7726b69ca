// My grid: the inspector's cells among their neighbours, their reports as pins coloured by
// state, and where they are now with the fix's accuracy. No tile server: the cells are the
// bundled reference GeoJSON.
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
  const [position, setPosition] = useState<{ at: LonLat; accuracy_m: number } | null>(null);
  useEffect(() => {
    const stop = onSynced(() => void reports.reload());
    const unwatch = watchPosition((l) => setPosition(l ? { at: [l.lon, l.lat], accuracy_m: l.accuracy_m } : null));
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
      <p id="grid-position">{position ? t("grid.position", { m: Math.round(position.accuracy_m) }) : t("grid.noPosition")}</p>
      <GridMap cells={cells} pins={pins} position={position} onPin={onOpen} height={900} />
    </section>
  );
}
