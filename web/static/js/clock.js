// The hub's clock as seen from here: the page carries the server's time when it was rendered,
// so countdowns (granted_at + seconds) do not depend on a village PC's clock being right.
import { config } from "./i18n.js";

const navigation = performance.getEntriesByType("navigation")[0];
const renderedAt = performance.timeOrigin + (navigation ? navigation.responseStart : 0);
let offsetMs = config.now * 1000 - renderedAt;

/** Re-read the hub's clock (each sync carries it), so a page left open for hours stays right. */
export function calibrate(hubNow, roundTripMs) {
  if (typeof hubNow === "number") offsetMs = hubNow * 1000 + roundTripMs / 2 - Date.now();
}

/** Seconds since the epoch on the hub's clock. */
export function serverNow() {
  return (Date.now() + offsetMs) / 1000;
}
