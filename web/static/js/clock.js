// The hub's clock as seen from here: the page carries the server's time when it was rendered,
// so countdowns (granted_at + seconds) do not depend on a village PC's clock being right.
import { config } from "./i18n.js";

const navigation = performance.getEntriesByType("navigation")[0];
const renderedAt = performance.timeOrigin + (navigation ? navigation.responseStart : 0);
const offsetMs = config.now * 1000 - renderedAt;

/** Seconds since the epoch on the hub's clock. */
export function serverNow() {
  return (Date.now() + offsetMs) / 1000;
}
