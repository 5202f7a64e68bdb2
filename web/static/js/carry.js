// Carry-up from a page: a lower session's carry.json goes to the hub, which recomputes its chain first.
import { t } from "./i18n.js";
import { describe, notify, postJson } from "./live.js";

/** Upload a carry file into session `target`; says what came in, or why nothing did (null then). */
export async function carryIn(target, file, button) {
  button.disabled = true;
  try {
    const reply = await postJson(`/api/sessions/${encodeURIComponent(target)}/carry`, await file.text());
    notify(t("carry.done", { title: reply.origin_title, n: reply.carried.length }), "ok");
    return reply;
  } catch (err) {
    notify(describe(err));
    return null;
  } finally {
    button.disabled = false;
  }
}
