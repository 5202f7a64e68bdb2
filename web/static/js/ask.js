// Asking before an irreversible act: the page's one <dialog> (base.html), its words from the catalogs.
import { $ } from "./dom.js";

/** Show question with a "yes" button labelled yes; resolves true only when that button was chosen. */
export function ask(question, yes) {
  const dialog = $("confirm");
  if (dialog.open) return Promise.resolve(false); // one question at a time
  $("confirm-text").textContent = question;
  $("confirm-yes").textContent = yes;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "yes"), { once: true });
  });
}

/** A click handler that asks first (question and yes are catalog texts, computed at click time). */
export function asking(words, act) {
  return async (e) => {
    const button = e.currentTarget;
    const [question, yes] = words();
    if (await ask(question, yes)) act(button);
  };
}
