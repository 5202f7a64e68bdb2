// The chair's console: the 25 interactive villages, the floor large, the queue with one-click
// "give the floor", the board with tallies and the agenda.
import { $, h, patch } from "./dom.js";
import { config, t } from "./i18n.js";
import { connectPage, notify } from "./live.js";
import { openCamera } from "./media.js";
import { attachVideo, programLink } from "./relay.js";
import { attendance, ballots, byId, holderOf, idOf, isOpen, roster } from "./shape.js";
import { agendaView, ballotHeader, ballotStanding, boardView, floorView } from "./views.js";
import { queueView, sessionState } from "./staff.js";
import { closedView } from "./closing.js";

const live = connectPage();
const GRID = config.maxInteractive; // one low-layer slot per interactive village
const talking = new Set(); // villages whose audio level says they are talking now (from the relay)
const link = programLink(live, {
  videoSlots: ["program", ...Array.from({ length: GRID }, (_, i) => `grid${i}`)],
  presents: true,
  onTrack: attachTiles,
  onRoutes: attachTiles,
});

/** Each tile shows the slot the hub routes that village's low layer to. */
function attachTiles() {
  for (const video of document.querySelectorAll("#village-grid video[data-tile]")) {
    const slot = link.slotOf(video.dataset.tile);
    attachVideo(video, slot ? link.streams.get(slot) : null);
  }
}

live.socket.on("speaking", ({ participant, speaking: now }) => {
  if (now) talking.add(participant);
  else talking.delete(participant);
  const tile = document.querySelector(`#village-grid [data-village="${CSS.escape(participant)}"]`);
  if (tile) tile.dataset.speakingNow = String(now);
});

// The chair sits at the venue: its camera and microphone are the venue's feed.
openCamera().then((stream) => link.publish(stream), (err) => {
  notify(t("prejoin.camera_failed", { reason: err.name }));
  link.publish(null);
});

// Slides and screen share: the screen goes on the program for everyone, the camera into a corner.
async function present(button) {
  let stream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: 15 }, audio: false });
  } catch (err) {
    if (err.name !== "NotAllowedError") notify(t("chair.present_failed", { reason: err.name }));
    return;
  }
  const [track] = stream.getVideoTracks();
  track.addEventListener("ended", () => stopPresenting()); // the browser's own "stop sharing"
  await link.present(track); // the picture flows before the program switches to it
  if (!(await live.act("screen.start", {}, button))) await stopPresenting();
  link.show();
}

async function stopPresenting(button = null) {
  const track = link.screen;
  await link.present(null);
  track?.stop();
  if (live.models.floor?.screen) await live.act("screen.stop", {}, button);
  link.show();
}

$("present").addEventListener("click", (e) => (link.screen ? stopPresenting(e.currentTarget) : present(e.currentTarget)));

function renderPresenting() {
  const sharing = Boolean(live.models.floor?.screen);
  // a console reloaded while presenting has lost its screen: the program goes back to the camera
  if (sharing && !link.screen && live.state === "online") live.act("screen.stop");
  $("present").textContent = link.screen ? t("chair.present_stop") : t("chair.present");
  $("present").disabled = live.models.session?.status !== "live";
}

function renderGrid() {
  const attending = byId(attendance(live.models), "village");
  // the chair sits at the venue: while this console is connected, the venue hall is there
  const venue = live.models.session?.venue?.code;
  const present = (code) => Boolean(attending.get(code)?.present) || (code === venue && live.state === "online");
  const holder = holderOf(live.models)?.village;
  const muted = new Set(live.models.floor?.muted ?? []);
  const interactive = roster(live.models).filter((v) => v.mode === "interactive");
  $("grid-count").textContent = t("chair.count", {
    present: interactive.filter((v) => present(idOf(v, "village"))).length, total: interactive.length });
  patch($("village-grid"), interactive.map((v) => {
    const code = idOf(v, "village");
    const here = present(code);
    const speaking = code === holder;
    return h("li", { class: `tile${speaking ? " speaking" : ""}${here ? " present" : " absent"}`,
                     dataset: { village: code, speakingNow: String(talking.has(code)) } },
      h("video", { class: "tile-video", autoplay: true, muted: true, playsinline: true, dataset: { tile: code } }),
      // the dot marks the floor holder; the tile's ring marks who the relay hears talking
      h("span", { class: "speaking-dot", "aria-hidden": "true", dataset: { speaking: speaking ? "floor" : "" } }),
      h("span", { class: "tile-name" }, v.name),
      h("span", { class: "tile-kecamatan" }, v.kecamatan),
      h("span", { class: "tile-state" },
        here ? t("conn.present") : t("conn.absent"),
        code === venue ? ` · ${t("chair.venue")}` : "",
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
closedView(live);
live.watch((changed) => {
  if (["roster", "attendance", "floor", "session", "connection"].some((n) => changed.has(n))) {
    renderGrid();
    attachTiles();
  }
  if (changed.has("ballots") || changed.has("board")) renderBallots();
  if (["floor", "session", "connection"].some((n) => changed.has(n))) renderPresenting();
});
