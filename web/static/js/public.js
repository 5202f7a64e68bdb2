// The public page: livestream, agenda, floor, board with citizens' advisory support, ballot tallies.
import { $, h, patch } from "./dom.js";
import { config, t } from "./i18n.js";
import { describe, notify } from "./actions.js";
import { closedView } from "./closing.js";
import { follow } from "./follow.js";
import { ballots, idOf } from "./shape.js";
import { agendaView, ballotHeader, ballotStanding, boardView, floorView } from "./views.js";

const live = follow(); // over HTTP, no Socket.IO: a cache in front carries the citizens
const supportedKey = `mh:supported:${config.session}`;
const supported = new Set(JSON.parse(localStorage.getItem(supportedKey) ?? "[]"));

function remember(id) {
  supported.add(id);
  localStorage.setItem(supportedKey, JSON.stringify([...supported]));
}

async function support(id) {
  try {
    await live.send("support.give", { proposal: id });
    remember(id);
    notify(t("support.thanks"), "ok");
  } catch (err) {
    if (err.code === "already_supported") remember(id); // the hub remembers this browser: show it as done
    else notify(describe(err));
  }
  renderBoard();
}

function supportButton(p) {
  const id = idOf(p, "proposal");
  const done = supported.has(id);
  const open = p.status === "submitted" || p.status === "accepted";
  return h("div", { class: "support" },
    h("span", { class: "support-count", dataset: { count: String(p.support ?? 0) } },
      t("support.count", { n: p.support ?? 0 })),
    open || done ? h("button", { type: "button", class: `${done ? "done" : "support-button"} live-only`, disabled: done,
                                 "aria-pressed": done ? "true" : "false", dataset: { key: `support-${id}` },
                                 onclick: (e) => {
                                   e.currentTarget.disabled = true; // one request at a time; the render restores it
                                   support(id);
                                 } },
      done ? t("support.done") : t("support.give")) : null);
}

const renderBoard = boardView(live, $("board"), {
  filter: (p) => p.status !== "rejected",
  extras: (p) => [supportButton(p)],
});

live.watch((changed) => {
  if (!changed.has("ballots") && !changed.has("board")) return;
  const list = ballots(live.models);
  if (!list.length) return patch($("ballots"), h("p", { class: "empty" }, t("ballots.none")));
  patch($("ballots"), list.slice().reverse().map((b) => h("article", { class: "ballot", dataset: { ballot: idOf(b, "ballot") } },
    ballotHeader(b), ballotStanding(b, live.models))));
});

// Over its network's hourly cap of new browsers (or with cookies refused) this browser got no token
// from the hub: it follows the session, and is told why "Dukung" is not recorded.
live.watch((changed) => {
  if (changed.has("connection") && live.me?.kind === "public") $("no-browser-token").hidden = live.me.browser;
});

floorView(live);
closedView(live);
agendaView(live, $("agenda"));
