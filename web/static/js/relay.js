// The page's one peer connection to the hub's media relay.
//
// Non-trickle offer/answer over the page's own Socket.IO connection ("media.offer"). A hall that
// publishes sends its camera as two video layers (high for the program, low for the grids) and
// its microphone. What the page receives arrives on a fixed set of slots ("program", "floor",
// "grid0", ...) whose sources the hub switches by itself when the floor changes, so nothing is
// renegotiated; "media.routes" says which participant each slot shows — from the new source's
// first keyframe on, which may come well after the message: captions wait for it (pictured()).
// "media.publish {allowed}" says the page's right to send changed: withdrawn (a hall demoted), the
// hub has dropped its tracks already and the page stops sending them. "media.reconnect" says the
// relay lost this page's peer (its worker process died and was started again): the page offers anew.

import { t } from "./i18n.js";
import { holderOf } from "./shape.js";

const GATHER_TIMEOUT_MS = 2500; // a page must not wait forever for the last ICE candidate
const RETRY_MS = 2000;
const ACK_TIMEOUT_MS = 15000;
// When the link is short, Chrome shares what there is by priority: the microphone and the grids'
// low layer get theirs first, the program's high layer takes what is left.
const HIGH = { maxBitrate: 1_200_000, priority: "low" };
// The program's size. A 720p camera encoded whole under this cap is held down by Chrome's
// bitrate-for-resolution rule ("bandwidth") for ever, and 540p was still scaled down on a busy
// 2-core machine; at 360p the cap leaves the encoder room, so the layer runs at full size.
const HIGH_HEIGHT = 360;
const LOW = { maxBitrate: 150_000, priority: "high" };
const LOW_SIZE = { width: 320, height: 180, frameRate: 15 };
const MIC = { priority: "high" };
// The chair's shared screen (slides): text wants detail more than motion, at a few frames a second.
const SCREEN = { maxBitrate: 1_500_000, maxFramerate: 15, priority: "low" };
const KEYFRAME_POLL_MS = 100;
const PICTURE_WAIT_MS = 15000; // a source that never sends a picture does not keep the old caption for ever

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Keyframes a receiver has decoded (null once its peer is gone). */
async function keyframesOf(receiver) {
  try {
    let total = 0;
    (await receiver.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp") total += s.keyFramesDecoded ?? 0;
    });
    return total;
  } catch {
    return null;
  }
}

function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState !== "complete") return;
      pc.removeEventListener("icegatheringstatechange", done);
      resolve();
    };
    pc.addEventListener("icegatheringstatechange", done);
    setTimeout(resolve, GATHER_TIMEOUT_MS);
  });
}

/**
 * Offer only the hub's video codec (and its retransmissions): the relay forwards one codec, and a
 * console's 27 video m-lines listing every codec would make an offer of ~100 kB.
 */
function onlyCodec(transceiver, codec) {
  const codecs = RTCRtpReceiver.getCapabilities?.("video")?.codecs;
  if (!codecs || !transceiver.setCodecPreferences) return;
  const wanted = codecs.filter((c) => c.mimeType.toUpperCase() === `VIDEO/${codec}`);
  if (wanted.length) transceiver.setCodecPreferences([...wanted, ...codecs.filter((c) => c.mimeType === "video/rtx")]);
}

async function lowLayer(track) {
  const low = track.clone();
  try {
    await low.applyConstraints(LOW_SIZE);
  } catch {
    // a camera that cannot scale still sends: the encoder's bitrate cap below keeps the layer small
  }
  return low;
}

export class MediaLink {
  /**
   * live: the page's Live connection. videoSlots / audioSlots: the slots this page receives.
   * onTrack(slot, stream) when a slot's stream arrives; onRoutes(routes) with slot → participant;
   * onState(state) with the peer's connection state; onPublish(allowed) when the right to send changes.
   */
  constructor(live, { videoSlots = [], audioSlots = ["floor", "venue_audio"], presents = false, onTrack, onRoutes,
                      onState, onPublish } = {}) {
    Object.assign(this, { live, videoSlots, audioSlots, presents, onTrack, onRoutes, onState, onPublish });
    this.stream = null;
    this.screen = null; // the shared screen's track while the chair presents
    this.screenSender = null;
    this.pc = null;
    this.streams = new Map(); // slot → MediaStream
    this.receivers = new Map(); // slot → RTCRtpReceiver
    this.routes = {};
    this.wanted = false;
    this.attempt = 0;
    live.socket.on("media.routes", (routes) => {
      this.routes = routes;
      this.onRoutes?.(routes);
    });
    live.socket.on("media.publish", ({ allowed } = {}) => {
      if (!allowed) this.withdraw();
      this.onPublish?.(Boolean(allowed));
    });
    // a page that lost the hub re-offers once it is back: the old peer died with the connection
    live.socket.on("connect", () => this.wanted && this.connect());
    live.socket.on("media.reconnect", () => this.wanted && this.connect());
  }

  /** Start (or restart) the link; stream = the hall's camera and microphone, or null to only watch. */
  publish(stream) {
    this.stream = stream;
    this.wanted = true;
    return this.connect();
  }

  /** Stop sending at once and offer nothing to send from now on (the camera itself stays open). */
  withdraw() {
    this.stream = null;
    for (const sender of this.pc?.getSenders() ?? []) if (sender.track) sender.replaceTrack(null).catch(() => {});
  }

  async connect() {
    const attempt = ++this.attempt;
    this.pc?.close();
    this.pc = null;
    this.receivers.clear();
    if (!this.live.socket.connected) return; // "connect" calls again
    try {
      const ice = await this.live.socket.timeout(ACK_TIMEOUT_MS).emitWithAck("media.ice", {});
      const pc = new RTCPeerConnection({ iceServers: ice?.ok ? ice.iceServers : [], bundlePolicy: "max-bundle" });
      this.pc = pc;
      const named = [];
      const [video] = this.stream?.getVideoTracks() ?? [];
      const [audio] = this.stream?.getAudioTracks() ?? [];
      if (video) {
        const scale = Math.max(1, (video.getSettings().height ?? HIGH_HEIGHT) / HIGH_HEIGHT);
        const high = { ...HIGH, scaleResolutionDownBy: scale };
        named.push([pc.addTransceiver(video, { direction: "sendonly", sendEncodings: [high] }), "layer", "high"]);
        const low = await lowLayer(video);
        named.push([pc.addTransceiver(low, { direction: "sendonly", sendEncodings: [LOW] }), "layer", "low"]);
      }
      if (audio) named.push([pc.addTransceiver(audio, { direction: "sendonly", sendEncodings: [MIC] }), "layer", "mic"]);
      if (this.presents) {
        // always offered, empty until a screen is shared: sharing is a replaceTrack, no new offer
        const screen = pc.addTransceiver(this.screen ?? "video", { direction: "sendonly", sendEncodings: [SCREEN] });
        this.screenSender = screen.sender;
        named.push([screen, "layer", "screen"]);
      }
      for (const slot of this.videoSlots) named.push([pc.addTransceiver("video", { direction: "recvonly" }), "slot", slot]);
      for (const slot of this.audioSlots) named.push([pc.addTransceiver("audio", { direction: "recvonly" }), "slot", slot]);
      const codec = ice?.videoCodec ?? "VP8";
      for (const [transceiver] of named) if (transceiver.receiver.track.kind === "video") onlyCodec(transceiver, codec);
      const slotOfMid = new Map();
      pc.ontrack = (event) => {
        const slot = slotOfMid.get(event.transceiver.mid);
        if (!slot) return;
        const stream = new MediaStream([event.track]);
        this.streams.set(slot, stream);
        this.receivers.set(slot, event.receiver);
        this.onTrack?.(slot, stream);
      };
      pc.onconnectionstatechange = () => {
        this.onState?.(pc.connectionState);
        if (pc.connectionState === "failed" && attempt === this.attempt) setTimeout(() => this.connect(), RETRY_MS);
      };
      await pc.setLocalDescription(await pc.createOffer());
      await gathered(pc);
      const layers = {};
      const slots = {};
      for (const [transceiver, what, name] of named) {
        (what === "layer" ? layers : slots)[transceiver.mid] = name;
        if (what === "slot") slotOfMid.set(transceiver.mid, name);
      }
      const ack = await this.live.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(
        "media.offer", { sdp: pc.localDescription.sdp, layers, slots });
      if (attempt !== this.attempt) return;
      if (!ack?.ok) throw Object.assign(new Error(ack?.message ?? "media.offer"), { code: ack?.error });
      await pc.setRemoteDescription({ type: "answer", sdp: ack.sdp });
      this.onState?.("negotiated");
    } catch (err) {
      if (attempt !== this.attempt) return;
      console.warn("media link:", err.code ?? "", err.message);
      this.onState?.(err.code === "forbidden" ? "forbidden" : "failed");
      if (err.code !== "forbidden") setTimeout(() => this.wanted && attempt === this.attempt && this.connect(), RETRY_MS);
    }
  }

  /** Send this track as the screen layer (null: stop sharing). */
  async present(track) {
    if (track) track.contentHint = "detail";
    this.screen = track;
    await this.screenSender?.replaceTrack(track);
  }

  /**
   * Resolves once a video slot shows a new source's first picture: a switch lands on the new
   * source's keyframe, so the slot's decoded keyframes go up (or PICTURE_WAIT_MS passes).
   */
  async pictured(slot) {
    const receiver = this.receivers.get(slot);
    const before = receiver ? await keyframesOf(receiver) : null;
    const until = performance.now() + PICTURE_WAIT_MS;
    while (before !== null && performance.now() < until) {
      await sleep(KEYFRAME_POLL_MS);
      const now = await keyframesOf(receiver);
      if (now === null || now > before) return;
    }
  }

  /** The slot currently showing a participant ("35.10.13.2007", "chair"), if any. */
  slotOf(participant) {
    return Object.entries(this.routes).find(([, who]) => who === participant)?.[0] ?? null;
  }
}

/** Play a slot's stream in a <video> (muted: sound comes from the audio slots). */
export function attachVideo(video, stream) {
  stream ??= null;
  if (video.srcObject !== stream) video.srcObject = stream;
  video.muted = true;
  video.play?.().catch(() => {});
}

/** Hidden <audio> elements for the audio slots (the floor holder and the venue). */
export function audioSink(container) {
  const players = new Map();
  return (slot, stream) => {
    let audio = players.get(slot);
    if (!audio) {
      audio = document.createElement("audio");
      audio.autoplay = true;
      audio.dataset.relaySlot = slot;
      container.append(audio);
      players.set(slot, audio);
    }
    audio.srcObject = stream;
    audio.play?.().catch(() => {});
  };
}

/** Who a slot shows, in words: the venue (the chair's camera) or a village with its kecamatan. */
export function captionOf(models, participant) {
  if (!participant) return "";
  if (participant === "chair") {
    const venue = models.session?.venue;
    const v = (models.roster ?? []).find((r) => r.village === venue?.code);
    const text = t("program.caption_venue", { name: venue?.name ?? "", kecamatan: v?.kecamatan ?? "" });
    if (models.floor?.screen) return t("program.caption_screen", { venue: text });
    const holder = holderOf(models);
    // the floor is paused while its holder's media is gone: the venue stands in, and says why
    return models.floor?.paused_at && holder ? t("program.caption_holder_lost", { venue: text, name: holder.name })
      : text;
  }
  const v = (models.roster ?? []).find((r) => r.village === participant);
  return v ? t("program.caption_village", { name: v.name, kecamatan: v.kecamatan }) : "";
}

/**
 * The page's link with its program screen (video[data-relay-slot=program] + caption) and the audio
 * slots wired; more video slots (the grids) go to onTrack / onRoutes.
 */
export function programLink(live, { videoSlots = ["program", "pip"], presents = false, onTrack, onRoutes,
                                     onPublish } = {}) {
  const video = document.querySelector('video[data-relay-slot="program"]');
  const pip = document.querySelector('video[data-relay-slot="pip"]');
  const caption = document.querySelector('[data-relay-caption="program"]');
  const playAudio = audioSink(document.body);
  let pictured; // who the program's picture shows (null: this page's own camera); the caption names it
  let target; // who the latest routes put on the program
  let switching = 0;
  // The hub never sends a page its own media: when the program is this page itself (the chair's
  // venue camera, a hall holding the floor), its slot is empty and the screen shows its own camera.
  let shared = null; // the chair's own screen, as a stream for its program
  const show = () => {
    const own = !pictured && link.stream;
    if (link.screen && shared?.getVideoTracks()[0] !== link.screen) shared = new MediaStream([link.screen]);
    // while the chair presents, its camera sits in a corner of the program
    const presenting = Boolean(live.models.floor?.screen) && (own ? Boolean(link.screen) : pictured === "chair");
    if (video) {
      attachVideo(video, own ? (link.screen ? shared : link.stream) : link.streams.get("program"));
      video.closest(".screen")?.classList.toggle("live", Boolean(video.srcObject));
      video.closest(".screen")?.classList.toggle("presenting", presenting); // slides are shown whole
    }
    if (pip) {
      attachVideo(pip, presenting ? (own ? link.stream : link.streams.get("pip")) : null);
      pip.hidden = !pip.srcObject;
    }
    if (caption) caption.textContent = captionOf(live.models, own ? live.me?.id : pictured);
  };
  // A new source shows from its first keyframe, which under load comes seconds after the routes;
  // until then the screen keeps what it shows, and its caption.
  const follow = async (routed) => {
    const turn = ++switching;
    target = routed;
    if (routed && pictured !== undefined && routed !== pictured) await link.pictured("program");
    if (turn !== switching) return;
    pictured = routed;
    show();
  };
  const link = new MediaLink(live, {
    videoSlots,
    presents,
    onTrack: (slot, stream) => {
      if (slot === "program" || slot === "pip") show();
      else if (stream.getAudioTracks().length) playAudio(slot, stream);
      onTrack?.(slot, stream);
    },
    onRoutes: (routes) => {
      const routed = routes.program ?? null;
      if (routed !== target) follow(routed);
      onRoutes?.(routes);
    },
    onState: (state) => {
      document.body.dataset.media = state;
    },
    onPublish: (allowed) => {
      show(); // no longer sending: the program screen shows the program, not this page's camera
      onPublish?.(allowed);
    },
  });
  live.watch((changed) => ["roster", "session", "floor"].some((name) => changed.has(name)) && show());
  link.show = show; // the page calls it when it starts or stops presenting
  window.relayLink = link; // for diagnostics from the browser console (and the page tests)
  return link;
}
