// Photos of a proposal's location: uploaded over HTTP with the page's credential (the body is the file
// itself), with progress; the hub re-encodes them and says no with a stable code. Removing one is a
// command over the channel (proposal.photo_remove).
import { ask } from "./ask.js";
import { h } from "./dom.js";
import { ActionError, credential, notify } from "./live.js";
import { config, t } from "./i18n.js";

export const MAX_PHOTOS = 3; // per proposal, as rooms/photos.py says
export const MAX_BYTES = 5 * 1024 * 1024; // per upload, as service/photos.py says
const TYPES = new Set(["image/jpeg", "image/png"]);

const base = (proposal) =>
  `/api/sessions/${encodeURIComponent(config.session)}/proposals/${encodeURIComponent(proposal)}/photos`;

/** The first problem of these files before any is sent (the hub checks again): an error code, or null. */
export function filesProblem(files, already = 0) {
  if (already + files.length > MAX_PHOTOS) return "too_many_photos";
  if (files.some((f) => !TYPES.has(f.type))) return "not_an_image";
  if (files.some((f) => f.size > MAX_BYTES)) return "too_large";
  return null;
}

function randomKey() {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Send one file; onProgress(fraction) while it goes. Resolves with the ack, rejects with an ActionError.
 *  XMLHttpRequest, not fetch: only it reports upload progress. */
export function uploadPhoto(proposal, file, onProgress = () => {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${base(proposal)}?key=${randomKey()}`);
    xhr.setRequestHeader("Authorization", `Bearer ${credential()}`);
    xhr.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      let reply = null;
      try {
        reply = JSON.parse(xhr.responseText);
      } catch {
        // a proxy's page, not the hub's answer
      }
      if (reply?.ok) resolve(reply);
      else reject(new ActionError(reply?.error ?? (xhr.status === 413 ? "too_large" : "unknown"), reply?.message ?? ""));
    };
    xhr.onerror = () => reject(new ActionError("offline", ""));
    xhr.send(file);
  });
}

/** "Hapus foto n": asks first (a removed photo's files are gone), then proposal.photo_remove. */
export function removeButton(live, proposal, photo, index) {
  const n = index + 1;
  return h("button", {
    type: "button", class: "ghost live-only photo-remove", dataset: { key: `photo-remove-${photo.photo}` },
    onclick: async (e) => {
      const button = e.currentTarget;
      if (!(await ask(t("photo.remove_confirm", { n, id: proposal }), t("photo.remove_yes")))) return;
      if (await live.act("proposal.photo_remove", { proposal, photo: photo.photo }, button)) {
        notify(t("photo.removed"), "ok");
      }
    } }, t("photo.remove", { n }));
}
