// The village hall: pre-join check, then the program, the speaker queue, ballots and proposals.
import { $, h, patch, show } from "./dom.js";
import { config, rupiah, t } from "./i18n.js";
import { devicesOf, levelMeter, openCamera } from "./media.js";
import { programLink } from "./relay.js";
import { connectPage, credential, describe, notify } from "./live.js";
import { MAX_PHOTOS, filesProblem, removeButton, uploadPhoto } from "./photos.js";
import { closedView, isClosed } from "./closing.js";
import { ask } from "./ask.js";
import { ballots, byId, holderOf, idOf, isOpen, myVillage, proposals, queue } from "./shape.js";
import { agendaView, ballotHeader, ballotStanding, boardView, floorView } from "./views.js";

const live = connectPage();
const link = programLink(live, { onPublish: publishRight });
const HEARD = 0.02; // a level above this means the microphone hears the room
const PASS_HOURS = 8; // a hall that passed its pre-join check today goes straight back in after a reload

let stream = null;
let stopMeter = null;
let joined = false;
let rejoining = false;
let wasInteractive = null;

const myCode = () => live.me?.id;
const mode = () => myVillage(live.models, live.me)?.mode;

function setCheck(el, state, text) {
  el.dataset.state = state;
  el.textContent = text;
}

// ---- pre-join ----------------------------------------------------------------------------------

async function startCamera(devices = {}) {
  if (stream) return stream;
  setCheck($("camera-check"), "wait", t("prejoin.camera_wait"));
  try {
    stream = await openCamera(devices);
  } catch (err) {
    setCheck($("camera-check"), "bad", t("prejoin.camera_failed", { reason: err.name }));
    $("camera-state").textContent = t("prejoin.camera_failed", { reason: err.name });
    return null;
  }
  $("preview").srcObject = stream;
  const track = stream.getVideoTracks()[0];
  const size = track?.getSettings();
  setCheck($("camera-check"), "ok", t("prejoin.camera_ok", { label: track?.label ?? "" }));
  $("camera-state").textContent = size?.width ? `${size.width}×${size.height}` : t("prejoin.camera_ok", { label: "" });
  let heard = false;
  setCheck($("mic-check"), "wait", t("prejoin.mic_listen"));
  stopMeter = levelMeter(stream, $("mic-level"), (level) => {
    if (!heard && level > HEARD) {
      heard = true;
      setCheck($("mic-check"), "ok", t("prejoin.mic_ok"));
    }
  });
  return stream;
}

async function testHub() {
  setCheck($("hub-check"), "wait", t("prejoin.hub_wait"));
  const rtt = live.socket.connected ? await live.resync() : null;
  if (rtt === null) setCheck($("hub-check"), "bad", t("prejoin.hub_failed"));
  else setCheck($("hub-check"), "ok", t("prejoin.hub_ok", { ms: Math.round(rtt) }));
}

// The passed check is kept in this browser (with the devices it used), for this session and hall only.
const passKey = () => `mh:prejoin:${config.session}:${myCode()}`;

function rememberPass() {
  localStorage.setItem(passKey(), JSON.stringify({ at: Date.now(), devices: stream ? devicesOf(stream) : {} }));
}

function passedCheck() {
  try {
    const pass = JSON.parse(localStorage.getItem(passKey()) ?? "null");
    return pass && Date.now() - pass.at < PASS_HOURS * 3600_000 ? pass : null;
  } catch {
    return null;
  }
}

/** Back in after a reload or a language switch, with the devices of the check (if they are still there). */
async function rejoin(pass, interactive) {
  rejoining = true;
  if (interactive && !(await startCamera(pass.devices ?? {}))) return; // gone: the hall checks again
  join();
}

function join() {
  joined = true;
  stopMeter?.();
  show($("prejoin"), false);
  show($("live"), true);
  document.body.dataset.joined = "true";
  goLive();
  renderMe();
  $("program-title").focus?.();
}

$("camera-start").addEventListener("click", () => startCamera());
$("hub-test").addEventListener("click", testHub);
$("join").addEventListener("click", () => {
  rememberPass();
  join();
});

// ---- who I am, and being promoted --------------------------------------------------------------

/** (Re)connect to the relay: interactive halls send their camera and microphone, others only watch. */
function goLive() {
  const sending = mode() === "interactive" && stream && !isClosed(live.models) ? stream : null;
  $("selfview").srcObject = sending;
  document.body.dataset.publishing = sending ? "ready" : "no";
  link.publish(sending);
}

/** Demoted, the hub has stopped this hall's camera reaching anyone, and the link has stopped sending it:
 * the hall is told at once. Promoted again, renderMe offers the camera once the roster says so. */
function publishRight(allowed) {
  if (allowed) {
    if ($("notice-text").textContent === t("camera.withdrawn")) $("notice").hidden = true; // no longer true
    return;
  }
  $("selfview").srcObject = null;
  document.body.dataset.publishing = "no";
  notify(t("camera.withdrawn"));
}

function renderMe() {
  const me = myVillage(live.models, live.me);
  if (!me) return;
  $("me-name").textContent = me.name;
  $("me-detail").textContent = `${t("village.kecamatan", { name: me.kecamatan })} · ${t(`mode.${me.mode}`)}`;
  const interactive = me.mode === "interactive";
  document.body.dataset.mode = me.mode; // a view-only hall is not shown camera and microphone checks
  if (!joined) {
    $("prejoin-lead").textContent = t(interactive ? "prejoin.lead" : "prejoin.lead_viewonly");
    const pass = rejoining ? null : passedCheck();
    if (pass) rejoin(pass, interactive);
    else if (interactive && !stream && !rejoining) startCamera();
  } else {
    show($("camera-card"), interactive);
    const promoted = interactive && wasInteractive === false;
    if (promoted && !stream) show($("camera-ask"), true);
    show($("camera-on"), interactive && !stream);
    // promoted with the camera already open, or demoted while sending: offer again
    const sending = document.body.dataset.publishing === "ready";
    if (wasInteractive !== null && interactive !== wasInteractive && (sending || (interactive && stream))) goLive();
  }
  wasInteractive = interactive;
}

$("camera-on").addEventListener("click", async () => {
  if (await startCamera()) {
    stopMeter?.();
    goLive();
    show($("camera-ask"), false);
    show($("camera-on"), false);
  }
});

// ---- the floor and my hand ---------------------------------------------------------------------

function renderHand() {
  const code = myCode();
  const entries = queue(live.models);
  const position = entries.findIndex((e) => idOf(e, "village") === code) + 1;
  const holding = holderOf(live.models)?.village === code;
  let text = t("hand.idle");
  if (holding) text = t("hand.holding");
  else if (position) text = t("hand.position", { n: position, total: entries.length });
  $("hand-state").textContent = text;
  document.body.dataset.hand = holding ? "floor" : position ? "queued" : "idle";
  show($("hand-raise"), !holding && !position);
  show($("hand-order"), !holding && !position);
  show($("hand-lower"), Boolean(position));
  show($("floor-yield"), holding);
}

$("hand-raise").addEventListener("click", (e) => live.act("hand.raise", {}, e.currentTarget));
$("hand-order").addEventListener("click", (e) => live.act("hand.raise", { point_of_order: true }, e.currentTarget));
$("hand-lower").addEventListener("click", (e) => live.act("hand.lower", {}, e.currentTarget));
$("floor-yield").addEventListener("click", (e) => live.act("floor.yield", {}, e.currentTarget));

// ---- ballots -----------------------------------------------------------------------------------

const receipts = new Map(); // ballot → record number of this page's last vote
const ballotBoxes = new Map(); // ballot → {article, form, standing, signature}

/** This village's own vote on a ballot: the personal "mine" read model. */
function myVote(ballot) {
  return live.models.mine?.votes?.[idOf(ballot, "ballot")] ?? null;
}

// A secret vote's receipt is shown to this page alone (the hub keeps it nowhere in clear): kept in
// this browser so a reload still shows it.
const receiptKey = (ballot) => `mh:receipt:${config.session}:${ballot}`;
const secretReceipt = (ballot) => localStorage.getItem(receiptKey(ballot));

/** Where this village stands on a ballot: voted (the roll is public), may vote, or outside the electorate. */
function standing(ballot, vote) {
  const me = myCode();
  const voted = Boolean(vote) || Boolean(ballot.voters?.includes(me))
    || Boolean(ballot.secret && secretReceipt(idOf(ballot, "ballot")));
  const eligible = voted || !ballot.not_voted || ballot.not_voted.includes(me);
  return { voted, eligible };
}

function receiptBox(code) {
  return h("div", { class: "secret-receipt" },
    h("p", { class: "receipt-code", dataset: { receipt: code } }, t("vote.receipt", { code })),
    h("p", { class: "hint" }, t("vote.receipt_hint")),
    h("a", { href: `/s/${encodeURIComponent(config.session)}/receipt`, class: "button", target: "_blank",
      rel: "noopener" }, t("vote.verify")));
}

function voteForm(ballot, vote) {
  const id = idOf(ballot, "ballot");
  const borda = ballot.method === "borda";
  const board = byId(proposals(live.models), "proposal");
  const receipt = receipts.get(id);
  const { voted, eligible } = standing(ballot, vote);
  const code = ballot.secret ? secretReceipt(id) : null;
  const status = voted
    ? h("p", { class: "vote-receipt", role: "status", dataset: { ballot: id } },
        ballot.secret ? t("vote.recorded_secret")
          : receipt ? t("vote.recorded_number", { n: receipt }) : t("vote.recorded"))
    : null;
  const kept = code ? receiptBox(code) : null;
  if (!isOpen(ballot)) return h("div", {}, status, kept);
  if (!eligible) return h("p", { class: "hint not-eligible", dataset: { ballot: id } }, t("vote.not_eligible"));
  if (voted && !ballot.allow_change) return h("div", {}, status, kept, h("p", { class: "hint" }, t("vote.final")));
  const name = `vote-${id}`;
  const rows = ballot.options.map((option, i) => {
    const inputId = `${name}-${option}`;
    const label = `${option} · ${board.get(option)?.title ?? ""}`;
    if (!borda) {
      return h("li", {}, h("label", { class: "check-label", for: inputId },
        h("input", { type: "checkbox", id: inputId, name, value: option, checked: Boolean(vote?.includes(option)) }),
        " ", label));
    }
    const rank = vote ? vote.indexOf(option) + 1 : 0;
    const select = h("select", { id: inputId, name, dataset: { option } },
      h("option", { value: "" }, t("vote.unranked")),
      ballot.options.map((_, r) => h("option", { value: String(r + 1), selected: rank === r + 1 }, String(r + 1))));
    return h("li", { class: "rank-row" }, h("label", { for: inputId }, label), select);
  });
  const hint = borda ? t("vote.hint_borda") : t("vote.hint_approval", { n: ballot.max_choices });
  const form = h("form", { class: "vote-form", novalidate: true, dataset: { ballot: id } },
    h("p", { class: "hint" }, hint),
    h("ul", { class: "vote-options" }, rows),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, vote ? t("vote.change") : t("vote.cast"))));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    castVote(ballot, form, e.submitter);
  });
  return h("div", {}, status, form);
}

function chosen(ballot, form) {
  if (ballot.method !== "borda") {
    return [...form.querySelectorAll("input:checked")].map((i) => i.value);
  }
  const ranked = [...form.querySelectorAll("select")].filter((s) => s.value)
    .map((s) => [Number(s.value), s.dataset.option]);
  const ranks = ranked.map(([r]) => r);
  if (new Set(ranks).size !== ranks.length) return { error: t("vote.ranks_unique") };
  return ranked.sort((a, b) => a[0] - b[0]).map(([, option]) => option);
}

async function castVote(ballot, form, button) {
  const choice = chosen(ballot, form);
  if (choice.error) return notify(choice.error);
  if (!choice.length) return notify(t("vote.choose_one"));
  if (choice.length > ballot.max_choices) return notify(t("vote.too_many", { n: ballot.max_choices }));
  if (!ballot.allow_change && !(await ask(t("vote.final_confirm"), t("vote.final_yes")))) return; // cannot be undone
  const id = idOf(ballot, "ballot");
  const ack = await live.act("ballot.cast", { ballot: id, choice }, button);
  if (!ack) return;
  receipts.set(id, ack.version);
  if (ack.receipt) {
    localStorage.setItem(receiptKey(id), ack.receipt);
    renderBallots();
    return notify(t("vote.recorded_secret"), "ok");
  }
  // The hub pushes nobody a village's own votes: the snapshot holds them, and this ack says the one
  // just sent is on the record.
  live.merge(ack.version, { mine: { votes: { ...(live.models.mine?.votes ?? {}), [id]: choice } } });
  notify(t("vote.recorded_number", { n: ack.version }), "ok");
}

function renderBallots() {
  const list = ballots(live.models).slice().sort((a, b) => (isOpen(b) ? 1 : 0) - (isOpen(a) ? 1 : 0));
  if (!list.length) {
    ballotBoxes.clear();
    return patch($("ballots"), h("p", { class: "empty" }, t("ballots.none")));
  }
  const articles = list.map((b) => {
    const id = idOf(b, "ballot");
    const vote = myVote(b);
    // Tallies move with every village's vote; the form is rebuilt only when what it offers changes,
    // so a hall's half-made choice is not wiped by someone else's vote.
    const signature = JSON.stringify([b.status, b.options, vote, receipts.get(id) ?? null, standing(b, vote)]);
    let box = ballotBoxes.get(id);
    if (!box) {
      box = { form: h("div"), standing: h("div"), head: h("div"), signature: null };
      box.article = h("article", { class: "ballot", dataset: { ballot: id } }, box.head, box.form, box.standing);
      ballotBoxes.set(id, box);
    }
    if (box.signature !== signature) {
      patch(box.form, voteForm(b, vote));
      box.signature = signature;
    }
    patch(box.head, ballotHeader(b));
    patch(box.standing, ballotStanding(b, live.models));
    return box.article;
  });
  const current = [...$("ballots").children];
  if (articles.length !== current.length || articles.some((a, i) => a !== current[i])) {
    $("ballots").replaceChildren(...articles);
  }
}

// ---- proposals ---------------------------------------------------------------------------------

const form = $("proposal-form");
const field = (name) => form.elements.namedItem(name);
const RUPIAH = /^\s*(rp\.?)?\s*[\d.\s]+$/i;

// name → (value) → problem (a catalog key and its parameters) or null
const CHECKS = {
  title: textRule(200), description: textRule(2000), masalah: textRule(1000), bidang: textRule(), dusun: textRule(100),
  rt: textRule(10), rw: textRule(10), unit: textRule(30), sumber_dana: textRule(), scale: textRule(),
  volume: (v) => (v.trim() === "" ? ["validation.required"]
    : Number(v) > 0 && Number(v) <= 1e9 ? null : ["validation.positive"]),
  cost: (v) => (v.trim() === "" ? ["validation.required"]
    : RUPIAH.test(v) && parseRupiah(v) >= 1 ? null : ["validation.rupiah"]),
};

function textRule(max = Infinity) {
  return (v) => (v.trim() === "" ? ["validation.required"] : v.trim().length > max ? ["validation.too_long", { max }] : null);
}

function parseRupiah(text) {
  return Number(text.replace(/[^\d]/g, ""));
}

const DEGREES = /^\s*-?\d{1,3}(\.\d+)?\s*$/;

/** The map point typed (or found), {lat, lng}; null when both are empty; undefined when it is not one. */
function point() {
  const [lat, lng] = [field("lat").value.trim(), field("lng").value.trim()];
  if (!lat && !lng) return null;
  if (!DEGREES.test(lat) || !DEGREES.test(lng)) return undefined;
  const [y, x] = [Number(lat), Number(lng)];
  return Math.abs(y) <= 90 && Math.abs(x) <= 180 ? { lat: y, lng: x } : undefined;
}

function showErrors(messages) {
  patch($("proposal-errors"), messages.map((m) => h("li", {}, m)));
}

function validate() {
  const problems = [];
  for (const [name, check] of Object.entries(CHECKS)) {
    const input = field(name);
    const problem = check(input.value);
    input.setAttribute("aria-invalid", problem ? "true" : "false");
    if (problem) problems.push([input, t(problem[0], { field: t(`proposal.field.${name}`), ...problem[1] })]);
  }
  const badPoint = point() === undefined;
  for (const name of ["lat", "lng"]) field(name).setAttribute("aria-invalid", badPoint ? "true" : "false");
  if (badPoint) problems.push([field("lat"), t("validation.point")]);
  const photos = [...field("photos").files];
  const had = editing ? (byId(proposals(live.models), "proposal").get(editing)?.photos?.length ?? 0) : 0;
  const photoProblem = filesProblem(photos, had);
  if (photoProblem) problems.push([field("photos"), t(`error.${photoProblem}`)]);
  return problems;
}

// ---- the map point and photos ------------------------------------------------------------------

$("p-locate").addEventListener("click", () => {
  const state = $("p-locate-state");
  if (!navigator.geolocation) return (state.textContent = t("proposal.locate_failed", { reason: "-" }));
  state.textContent = t("proposal.locating");
  navigator.geolocation.getCurrentPosition((where) => {
    field("lat").value = where.coords.latitude.toFixed(6);
    field("lng").value = where.coords.longitude.toFixed(6);
    state.textContent = t("proposal.located", { m: Math.round(where.coords.accuracy) });
  }, (err) => (state.textContent = t("proposal.locate_failed", { reason: err.message || err.code })),
  { enableHighAccuracy: true, timeout: 15000 });
});

/** Send the photos one after another, the bar showing each; the first refusal stops the rest. */
async function sendPhotos(proposal, files) {
  const bar = $("photo-bar");
  show($("photo-progress"), true);
  try {
    for (const [i, file] of files.entries()) {
      $("photo-progress-text").textContent = t("photo.uploading", { i: i + 1, total: files.length, name: file.name });
      bar.value = 0;
      await uploadPhoto(proposal, file, (fraction) => (bar.value = fraction));
    }
    notify(t("photo.uploaded", { n: files.length }), "ok");
  } catch (err) {
    notify(describe(err));
  } finally {
    show($("photo-progress"), false);
  }
}

/** The id of this hall's proposal that was not on the board before (the ack says only the record number). */
async function newOwnProposal(before, waitMs = 10000) {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const fresh = proposals(live.models).find((p) => p.village === myCode() && !before.has(idOf(p, "proposal")));
    if (fresh) return idOf(fresh, "proposal");
    await new Promise((done) => setTimeout(done, 100));
  }
  return null;
}

const ownIds = () => new Set(proposals(live.models).filter((p) => p.village === myCode()).map((p) => idOf(p, "proposal")));

/** An own proposal's photo controls: add one (while in play and under the cap), remove each. */
function photoControls(p) {
  const id = idOf(p, "proposal");
  const photos = p.photos ?? [];
  const controls = [];
  if (["submitted", "accepted"].includes(p.status) && photos.length < MAX_PHOTOS) {
    const input = h("input", { type: "file", accept: "image/jpeg,image/png", class: "visually-hidden",
                               id: `photo-add-${id}`, dataset: { key: `photo-input-${id}` } });
    input.addEventListener("change", () => {
      const files = [...input.files];
      const problem = filesProblem(files, photos.length);
      if (problem) return notify(t(`error.${problem}`));
      if (files.length) sendPhotos(id, files);
    });
    controls.push(h("label", { class: "button live-only photo-add", for: input.id }, t("photo.add")), input);
  }
  photos.forEach((ph, i) => controls.push(removeButton(live, id, ph, i)));
  return controls.length ? [h("div", { class: "row-actions photo-controls" }, controls)] : [];
}

// A hall may edit its own proposal until it is screened: the form then holds that proposal.
let editing = null; // the proposal's id while editing, else null (a new proposal)

function editButton(p) {
  const id = idOf(p, "proposal");
  return h("button", { type: "button", class: "edit live-only", dataset: { key: `edit-${id}` },
                       onclick: () => startEdit(p) }, t("proposal.edit"));
}

function startEdit(p) {
  editing = idOf(p, "proposal");
  const titik = p.lokasi?.titik;
  const values = { ...p, ...(p.lokasi ?? {}), volume: String(p.volume), cost: String(p.cost),
                   lat: titik ? String(titik.lat) : "", lng: titik ? String(titik.lng) : "" };
  for (const name of [...Object.keys(CHECKS), "lat", "lng", "opd"]) field(name).value = values[name] ?? "";
  renderEditing();
  field("title").focus();
}

function stopEdit() {
  editing = null;
  form.reset();
  $("p-cost-preview").textContent = "";
  showErrors([]);
  renderEditing();
}

function renderEditing() {
  show($("proposal-editing"), Boolean(editing));
  $("proposal-editing-text").textContent = editing ? t("proposal.editing", { id: editing }) : "";
  $("proposal-send").textContent = t(editing ? "proposal.save" : "proposal.submit");
}
$("proposal-cancel").addEventListener("click", stopEdit);

field("cost").addEventListener("input", () => {
  const v = field("cost").value;
  $("p-cost-preview").textContent = RUPIAH.test(v) && parseRupiah(v) ? rupiah(parseRupiah(v)) : "";
});

form.addEventListener("submit", async (e) => {
  e.preventDefault();
  const problems = validate();
  showErrors(problems.map(([, m]) => m));
  if (problems.length) return problems[0][0].focus();
  const v = (name) => field(name).value.trim();
  const payload = {
    title: v("title"), description: v("description"), masalah: v("masalah"), bidang: v("bidang"),
    lokasi: { dusun: v("dusun"), rt: v("rt"), rw: v("rw"), titik: point() },
    volume: Number(v("volume")), unit: v("unit"), cost: parseRupiah(v("cost")),
    sumber_dana: v("sumber_dana"), scale: v("scale"), opd: v("opd") || null,
  };
  const photos = [...field("photos").files];
  const button = e.submitter;
  button.disabled = true;
  try {
    const before = ownIds();
    const ack = editing ? await live.send("proposal.edit", { proposal: editing, ...payload })
      : await live.send("proposal.submit", payload);
    notify(editing ? t("proposal.edited", { id: editing }) : t("proposal.sent", { n: ack.version }), "ok");
    const target = editing ?? (photos.length ? await newOwnProposal(before) : null);
    stopEdit();
    if (target && photos.length) await sendPhotos(target, photos);
  } catch (err) {
    showErrors([describe(err)]);
  } finally {
    button.disabled = false;
  }
});

boardView(live, $("my-proposals"), { filter: (p) => p.village === myCode(), empty: "proposal.none_mine",
                                     extras: (p) => [...(p.status === "submitted" ? [editButton(p)] : []),
                                                     ...photoControls(p)] });
boardView(live, $("board"), { filter: (p) => p.status !== "rejected" });

// ---- where this hall's carried proposals stand at the next level: other sessions' records, so polled ----

const ONWARD_SECONDS = 20;

function onwardRow(r) {
  return h("li", { class: "onward-row", dataset: { proposal: r.proposal, status: r.status } },
    h("span", { class: "proposal-id" }, r.proposal), " → ",
    t("onward.at", { title: r.title, level: t(`level.${r.level}`), here: r.here }), ": ",
    h("span", { class: `badge cstatus-${r.status}` }, t(`cstatus.${r.status}`)),
    r.rank ? ` · ${t("onward.rank", { rank: r.rank })}` : "",
    r.reject_reason ? ` · ${t("onward.reason", { reason: r.reject_reason })}` : "");
}

async function renderOnward() {
  try {
    const reply = await fetch(`/api/sessions/${encodeURIComponent(config.session)}/onward`,
      { headers: { Authorization: `Bearer ${credential()}` } });
    if (!reply.ok) return;
    const { onward } = await reply.json();
    patch($("onward"), onward.length ? onward.map(onwardRow) : h("li", { class: "empty" }, t("onward.empty")));
  } catch {
    // the hub is out of reach: the next round asks again
  }
}

// ---- wiring ------------------------------------------------------------------------------------

floorView(live);
closedView(live);
renderOnward();
setInterval(renderOnward, ONWARD_SECONDS * 1000);
agendaView(live, $("agenda"));
live.watch((changed) => {
  // a closed session has nothing to check before joining: straight to its results
  if (changed.has("session") && isClosed(live.models) && !joined) join();
  if (changed.has("connection")) {
    $("join").disabled = live.state !== "online";
    if (live.state === "online") setCheck($("hub-check"), "ok", t("prejoin.hub_connected"));
    else if (!joined) setCheck($("hub-check"), "bad", t("prejoin.hub_failed"));
  }
  if (changed.has("roster")) renderMe();
  if (changed.has("queue") || changed.has("floor")) renderHand();
  if (["ballots", "board", "mine"].some((n) => changed.has(n))) renderBallots();
});
