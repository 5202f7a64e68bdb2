// The public page's screen: the live program over HLS while the session runs, its recording with
// chapters, clips and proposals after it. The playlists are the hub's (or a cache's in front of it);
// hls.js (npm) plays them through MSE, which lets it pick the rung from the measured bandwidth; a
// browser without MSE (an older iPhone) plays them natively.
import Hls from "/vendor/hls.js/hls.light.min.mjs";
import { $, h, patch } from "./dom.js";
import { config, minutes, number, t } from "./i18n.js";

const POLL_MS = 3000; // how often a waiting page asks for the live playlist (a cache answers most)
const RECORDING_EVERY = 5; // ... and, every so many polls, whether the recording is there instead
const HLS_TYPE = "application/vnd.apple.mpegurl";

const video = $("livestream");
const note = $("livestream-note");
const unmute = $("livestream-unmute");
const screen = video.closest(".screen");
const base = `/s/${encodeURIComponent(config.session)}`;
let hls = null;

function state(name, text = null) {
  document.body.dataset.player = name;
  screen.classList.toggle("live", name === "live" || name === "playback");
  video.hidden = name === "waiting";
  if (text !== null) note.textContent = text;
}

function detach() {
  hls?.destroy();
  hls = null;
  video.removeAttribute("src");
  video.load();
}

/** Play a playlist from ``start`` seconds (null: the live edge); calls ``broken`` once on a fatal error. */
function attach(url, start, broken) {
  detach();
  video.muted = true; // autoplay is allowed muted; the viewer turns the sound on
  unmute.hidden = false;
  if (Hls.isSupported()) {
    hls = new Hls({ workerPath: "/vendor/hls.js/hls.worker.js", startPosition: start ?? -1 });
    let recovered = false;
    hls.on(Hls.Events.ERROR, (_, data) => {
      if (!data.fatal) return; // hls.js retries those itself
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !recovered) {
        recovered = true; // a decode hiccup: hls.js's own recovery, once, before starting over
        hls.recoverMediaError();
      } else broken();
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    document.body.dataset.engine = "hls.js";
  } else if (video.canPlayType(HLS_TYPE)) {
    video.src = url;
    if (start !== null) video.addEventListener("loadedmetadata", () => { video.currentTime = start; }, { once: true });
    video.addEventListener("error", broken, { once: true });
    document.body.dataset.engine = "native";
  } else {
    state("waiting", t("player.unsupported"));
    return;
  }
  video.play().catch(() => {}); // refused: the controls start it
}

unmute.addEventListener("click", () => {
  video.muted = false;
  video.play().catch(() => {});
});
video.addEventListener("volumechange", () => { unmute.hidden = !video.muted; });

async function fetched(url, json) {
  try {
    const r = await fetch(url);
    if (!r.ok) return null;
    return json ? await r.json() : true;
  } catch {
    return null; // offline for a moment: the next poll asks again
  }
}

/** Wait for the program (or, once the session is over, its recording), then play it. */
async function watch() {
  for (let round = 0; ; round++) {
    if (round % RECORDING_EVERY === 0) {
      const recording = await fetched(`/api/sessions/${encodeURIComponent(config.session)}/recording`, true);
      if (recording?.vod) return playback(recording);
      if (recording?.status === "closed") state("waiting", t("player.no_recording"));
    }
    if (await fetched(`${base}/live/master.m3u8`, false)) return live();
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function live() {
  state("live");
  const again = () => {
    video.removeEventListener("ended", again);
    if (document.body.dataset.player !== "live") return; // both the error and the end came
    detach();
    state("waiting", t("player.reconnecting"));
    setTimeout(watch, POLL_MS);
  };
  attach(`${base}/live/master.m3u8`, null, again);
  video.addEventListener("ended", again); // the session closed: its recording comes next
}

// ---- the recording ----------------------------------------------------------------------------

/** ?t=90, ?t=1:30, #t=90 (a media fragment): where the recording opens, in seconds. */
function requestedStart() {
  const raw = new URLSearchParams(location.search).get("t") ?? new URLSearchParams(location.hash.slice(1)).get("t");
  if (!raw || !/^\d+(?::\d{1,2}){0,2}(?:\.\d+)?$/.test(raw)) return null;
  return raw.split(":").reduce((total, part) => total * 60 + Number(part), 0);
}

function seek(offset) {
  video.currentTime = offset;
  video.play().catch(() => {});
  const url = new URL(location.href);
  url.searchParams.set("t", String(Math.floor(offset)));
  url.hash = "";
  history.replaceState(null, "", url);
}

function at(offset, label, extra = {}) {
  const url = new URL(location.href);
  url.searchParams.set("t", String(Math.floor(offset)));
  url.hash = "";
  return h("a", { href: url.pathname + url.search, class: "chapter-link", dataset: { offset: String(offset) },
                  onclick: (e) => { e.preventDefault(); seek(offset); }, ...extra }, label);
}

function chapterTitle(c) {
  return c.kind === "turn" ? t("player.turn", { name: c.title, kecamatan: c.kecamatan }) : t("player.agenda", { title: c.title });
}

function chapterList(chapters) {
  if (!chapters.length) return h("p", { class: "empty" }, t("player.no_chapters"));
  return h("ol", { id: "chapters", class: "chapters" }, chapters.map((c, index) =>
    h("li", { class: `chapter chapter-${c.kind}`, dataset: { chapter: String(index) } },
      at(c.offset, [h("span", { class: "chapter-time" }, minutes(c.offset)), " ", chapterTitle(c)]),
      h("span", { class: "chapter-duration" }, t("player.duration", { time: minutes(c.duration) })))));
}

const megabytes = (bytes) => t("player.megabytes", { n: number(Math.max(0.1, Math.round(bytes / 1e5) / 10)) });

function showProposal(id) {
  const card = document.querySelector(`#board [data-proposal="${CSS.escape(id)}"]`);
  card?.scrollIntoView({ block: "center" });
  card?.classList.add("flash");
  setTimeout(() => card?.classList.remove("flash"), 2000);
}

function villageView(v, chapters) {
  return h("article", { class: "recording-village", dataset: { village: v.village } },
    h("h3", {}, v.name, " ", h("span", { class: "hint" }, t("floor.place", { kecamatan: v.kecamatan }))),
    v.turns.length ? h("p", { class: "recording-turns" }, t("player.turns"), " ",
      v.turns.map((i) => [at(chapters[i].offset, `${minutes(chapters[i].offset)} (${minutes(chapters[i].duration)})`), " "])) : null,
    v.proposals.length ? h("ul", { class: "recording-proposals", "aria-label": t("player.proposals") },
      v.proposals.map((p) => h("li", {}, h("a", { href: "#board-section", dataset: { proposal: p.proposal },
                                                   onclick: () => showProposal(p.proposal) }, `${p.proposal} · ${p.title}`)))) : null,
    v.clips.length ? h("ul", { class: "recording-clips", "aria-label": t("player.clips") },
      v.clips.map((c) => h("li", {}, h("a", { href: c.url, download: true, class: "clip-download" },
        t("player.download", { name: c.name })), " ", h("span", { class: "hint" }, megabytes(c.bytes ?? 0)),
        c.offset !== null ? [" ", at(c.offset, t("player.watch"))] : null))) : null);
}

function playback(recording) {
  $("live-title").textContent = t("player.recording");
  state("playback");
  const start = requestedStart();
  attach(recording.vod, start, () => state("waiting", t("player.no_recording")));
  const chapters = recording.chapters;
  const villages = recording.villages.filter((v) => v.turns.length || v.clips.length);
  const panel = $("playback");
  patch(panel,
    h("h2", { class: "section-title" }, t("player.chapters")), chapterList(chapters),
    villages.length ? [h("h2", { class: "section-title" }, t("player.villages")),
                       villages.map((v) => villageView(v, chapters))] : null);
  panel.hidden = false;
}

state("waiting");
watch();
