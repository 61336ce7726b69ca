// 城市地图: every report the work queues' filter matches, on the centre's grid, coloured by
// state and clustered as it zooms out (../city-map.tsx). The filter is the queues' own
// (the same form, kept in the address: `#/map?state=dispatched&due=overdue`), by default
// every report not yet settled; the map reads again whenever the centre says something
// changed. Clicking a report opens it on its page.
import { failureText } from "../../shared/error";
import { useResource } from "../../shared/resource";
import type { QueueSort } from "../../shared/types";
import { CityMap } from "../city-map";
import { client } from "../client";
import { useI18n } from "../i18n";
import { useLive } from "../live";
import type { QueueQuery } from "../logic";
import { MAP_STATES, mapRequest } from "../map-logic";
import { QueueFilters } from "../queue";

export function MapPage(props: { query: QueueQuery }) {
  const w = useI18n();
  const { t } = w;
  const asked = mapRequest(props.query);
  const grid = useResource(client.grid);
  // The order is checked by the centre (an unknown one is refused in words).
  const map = useResource(() => client.map({ ...asked, sort: asked.sort as QueueSort | undefined }), [JSON.stringify(asked)]);
  const live = useLive(map.reload);
  const m = map.value;
  return (
    <section class="map-page">
      <h1>
        {t("nav.map")}{" "}
        {m && <small class="map-total">{t("map.total", { n: m.points.length })}</small>}
        <span class={`live ${live ? "on" : "off"}`} title={t(live ? "queue.live" : "queue.offline")}>
          ●
        </span>
      </h1>
      <QueueFilters section="map" id={null} query={props.query} states={MAP_STATES} all="map.openStates" />
      {m?.truncated && (
        <p class="notice" role="status">
          {t("map.truncated", { n: m.total, shown: m.points.length })}
        </p>
      )}
      {map.error && <p class="error">{failureText(w, map.error)}</p>}
      {grid.error && <p class="error">{failureText(w, grid.error)}</p>}
      {grid.value && grid.value.features.length === 0 && <p class="notice">{t("map.noGrid")}</p>}
      {m && m.points.length === 0 && <p class="empty">{t("map.empty")}</p>}
      {m && grid.value ? <CityMap points={m.points} grid={grid.value} /> : !map.error && <p class="loading">{t("loading")}</p>}
    </section>
  );
}
