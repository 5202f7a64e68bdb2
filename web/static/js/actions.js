// What every page's live link shares, whichever way it reaches the hub (Socket.IO or plain HTTP):
// errors in the page's language, the notice, the connection banner, and idempotency keys kept for an
// action while its outcome is unknown.
import { $ } from "./dom.js";
import { t, tMaybe } from "./i18n.js";

// Outcomes after which the hub may hold the command all the same (or never saw it): the next send
// of the same action keeps its idempotency key, so a retry is applied once.
const UNSETTLED = new Set(["timeout", "offline", "unavailable", "internal", "rate_limited", "version_conflict"]);

function randomHex(bytes) {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(raw, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class ActionError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** An error in the page's language: the catalog's text for its stable code; the hub's message only
 *  for a code the catalog does not know (the hub speaks Indonesian whatever the page's language). */
export function describe(err) {
  return tMaybe(`error.${err.code}`) ?? (err.message || t("error.unknown"));
}

let noticeTimer;

/** Tell the user something: errors stay until closed, confirmations fade. */
export function notify(text, kind = "error") {
  const box = $("notice");
  $("notice-text").textContent = text;
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(noticeTimer);
  if (kind !== "error") noticeTimer = setTimeout(() => (box.hidden = true), 6000);
}
$("notice-close").addEventListener("click", () => ($("notice").hidden = true));

export function banner(state) {
  const el = $("banner");
  el.dataset.state = state;
  el.textContent = state === "online" ? "" : t(`conn.${state}`);
  el.hidden = state === "online";
}

/** Send an action with an idempotency key: ``attempt(payloadWithKey)`` resolves with the hub's ack;
 *  resolves with an ok ack or throws an ActionError. The key is kept while the outcome is unknown. */
export async function keyed(keys, name, payload, attempt) {
  const action = JSON.stringify([name, payload]);
  const key = keys.get(action) ?? randomHex(16);
  keys.set(action, key);
  try {
    const ack = await attempt({ ...payload, key });
    if (!ack?.ok) throw new ActionError(ack?.error ?? "unknown", ack?.message ?? "");
    keys.delete(action);
    return ack;
  } catch (err) {
    if (!UNSETTLED.has(err.code)) keys.delete(action);
    throw err;
  }
}
