// The device's position: on the tablet from Tauri's geolocation plugin (Android's location
// service, with its permission asked for the first time), on the desktop from the WebView's
// own geolocation. Both give WGS-84 with a stated accuracy.
import type { Location } from "../../shared/types";

/** Whether this is the tablet build (the plugin exists only there). */
function onMobile(): boolean {
  return /Android|iPhone|iPad/i.test(navigator.userAgent);
}

type Fix = { coords: { longitude: number; latitude: number; accuracy: number }; timestamp: number };

const OPTIONS = { enableHighAccuracy: true, timeout: 15_000, maximumAge: 10_000 };

/** The plugin, once location permission is granted. */
async function plugin() {
  const geo = await import("@tauri-apps/plugin-geolocation");
  let status = await geo.checkPermissions();
  if (status.location !== "granted") status = await geo.requestPermissions(["location"]);
  if (status.location !== "granted") throw new Error("location permission refused");
  return geo;
}

/** A browser position as the engine takes it: WGS-84, the stated accuracy, the fix time. */
export function toLocation(p: Fix): Location {
  return {
    lon: p.coords.longitude,
    lat: p.coords.latitude,
    crs: "WGS84",
    accuracy_m: p.coords.accuracy,
    fix_time: new Date(p.timestamp).toISOString(),
    provider: "gps",
  };
}

/** A position the inspector placed on the map. Its accuracy is what a finger can place on
 * the map at this scale (never better than 3 m). */
export function manual(lon: number, lat: number, metresPerPixel: number, now: Date): Location {
  return {
    lon,
    lat,
    crs: "WGS84",
    accuracy_m: Math.max(3, Math.round(metresPerPixel * 10)),
    fix_time: now.toISOString(),
    provider: "manual",
  };
}

/** One position fix, or the reason there is none. */
export async function currentPosition(): Promise<Location> {
  if (onMobile()) return toLocation(await (await plugin()).getCurrentPosition(OPTIONS));
  return new Promise((resolve, reject) => {
    if (!("geolocation" in navigator)) {
      reject(new Error("no location service"));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve(toLocation(p)),
      (e) => reject(new Error(e.message || `error ${e.code}`)),
      OPTIONS,
    );
  });
}

/** Follows the position: `f` gets each fix, or null when there is none. Returns the stop. */
export function watchPosition(f: (l: Location | null) => void): () => void {
  if (onMobile()) {
    let stopped = false;
    let id: number | null = null;
    void plugin()
      .then((geo) => geo.watchPosition(OPTIONS, (p: Fix | null) => f(p ? toLocation(p) : null)))
      .then((n) => {
        id = n;
        if (stopped) void import("@tauri-apps/plugin-geolocation").then((geo) => geo.clearWatch(n));
      })
      .catch(() => f(null));
    return () => {
      stopped = true;
      if (id !== null) void import("@tauri-apps/plugin-geolocation").then((geo) => geo.clearWatch(id!));
    };
  }
  if (!("geolocation" in navigator)) {
    f(null);
    return () => {};
  }
  // The stop clears the watch on the geolocation that made it, whatever
  // `navigator.geolocation` holds by the time the screen goes.
  const geolocation = navigator.geolocation;
  const id = geolocation.watchPosition(
    (p) => f(toLocation(p)),
    () => f(null),
    OPTIONS,
  );
  return () => geolocation.clearWatch(id);
}
