// The chair's console: the 25 interactive villages, the floor large, the queue with one-click
// "give the floor", the board with tallies and the agenda.
import { $, h, patch } from "./dom.js";
import { t } from "./i18n.js";
import { connectPage } from "./live.js";
import { attendance, ballots, byId, holderOf, idOf, isOpen, roster } from "./shape.js";
import { agendaView, ballotHeader, ballotStanding, boardView, floorView } from "./views.js";
import { queueView, sessionState } from "./staff.js";

const live = connectPage();

function renderGrid() {
  const present = byId(attendance(live.models), "village");
  const holder = holderOf(live.models)?.village;
  const muted = new Set(live.models.floor?.muted ?? []);
  const interactive = roster(live.models).filter((v) => v.mode === "interactive");
  $("grid-count").textContent = t("chair.count", {
    present: interactive.filter((v) => present.get(idOf(v, "village"))?.present).length, total: interactive.length });
  patch($("village-grid"), interactive.map((v) => {
    const code = idOf(v, "village");
    const here = Boolean(present.get(code)?.present);
    const speaking = code === holder;
    return h("li", { class: `tile${speaking ? " speaking" : ""}${here ? " present" : " absent"}`,
                     dataset: { village: code } },
      // the speaking indicator lights for the floor holder; the relay's audio levels will drive it too
      h("span", { class: "speaking-dot", "aria-hidden": "true", dataset: { speaking: speaking ? "floor" : "" } }),
      h("span", { class: "tile-name" }, v.name),
      h("span", { class: "tile-kecamatan" }, v.kecamatan),
      h("span", { class: "tile-state" },
        here ? t("conn.present") : t("conn.absent"),
        muted.has(code) ? ` · ${t("participants.muted")}` : "",
        speaking ? ` · ${t("chair.speaking")}` : ""));
  }));
}

function renderBallots() {
  const list = ballots(live.models).filter((b) => isOpen(b) || b.result);
  if (!list.length) return patch($("ballots"), h("p", { class: "empty" }, t("ballots.none")));
  patch($("ballots"), list.slice().reverse().slice(0, 2).map((b) =>
    h("article", { class: "ballot", dataset: { ballot: idOf(b, "ballot") } }, ballotHeader(b), ballotStanding(b, live.models))));
}

queueView(live, $("queue"), { moderate: false });
floorView(live);
agendaView(live, $("agenda"));
boardView(live, $("board"), { filter: (p) => p.status === "accepted" || p.status === "submitted" });
sessionState(live, $("session-state"));
live.watch((changed) => {
  if (["roster", "attendance", "floor"].some((n) => changed.has(n))) renderGrid();
  if (changed.has("ballots") || changed.has("board")) renderBallots();
});
