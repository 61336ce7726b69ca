// The device's position, from the WebView's geolocation (on the tablet the Android
// location service answers it; on the desktop, whatever the WebView has).
import type { Location } from "../bindings";

/** A browser position as the engine takes it: WGS-84, the stated accuracy, the fix time. */
export function toLocation(p: { coords: { longitude: number; latitude: number; accuracy: number }; timestamp: number }): Location {
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

/** One position fix, or the reason there is none (in the WebView's words). */
export function currentPosition(timeoutMs = 15_000): Promise<Location> {
  return new Promise((resolve, reject) => {
    if (!("geolocation" in navigator)) {
      reject(new Error("no location service"));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve(toLocation(p)),
      (e) => reject(new Error(e.message || `error ${e.code}`)),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 10_000 },
    );
  });
}
