// The moderator's console: session, floor and queue on the left; screening, ballots, participants,
// agenda, attendance and the network board in tabs on the right.
import { $, h, patch } from "./dom.js";
import { clock, config, number, rupiah, t } from "./i18n.js";
import { programLink } from "./relay.js";
import { carryIn } from "./carry.js";
import { connectPage, credential, describe, notify } from "./live.js";
import { ask, asking } from "./ask.js";
import { closedView } from "./closing.js";
import { agendaItems, attendance, ballots, byId, holderOf, idOf, isOpen, proposals, roster } from "./shape.js";
import { ballotHeader, ballotStanding, choicesView, floorView, notVoted, proposalCard } from "./views.js";
import { queueView, sessionState } from "./staff.js";
import { removeButton } from "./photos.js";

const live = connectPage();
const wholeNumber = (el) => (el.value.trim() === "" ? undefined : Number(el.value));

/** A button that sends one command; its payload is computed at click time. `confirm` gives the
 *  question and the yes-label of an irreversible act, asked first. */
function command(label, name, payload, { cls = "", key = name, confirm = null } = {}) {
  const send = (button) => live.act(name, payload(), button);
  return h("button", { type: "button", class: cls, dataset: { key },
                       onclick: confirm ? asking(confirm, send) : (e) => send(e.currentTarget) }, label);
}

// ---- tabs (arrow keys move between them, as the ARIA tabs pattern has it) ----------------------

const tabs = [...document.querySelectorAll('[role="tab"]')];
function selectTab(tab) {
  for (const other of tabs) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(other.getAttribute("aria-controls")).hidden = !selected;
  }
}
tabs.forEach((tab, i) => {
  tab.addEventListener("click", () => selectTab(tab));
  tab.addEventListener("keydown", (e) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (!step) return;
    const next = tabs[(i + step + tabs.length) % tabs.length];
    selectTab(next);
    next.focus();
  });
});
const setCount = (tab, n) => (document.querySelector(`[data-count="${tab}"]`).textContent = n ? String(n) : "");

// ---- session and floor -------------------------------------------------------------------------

// Starting and closing cannot be undone: both ask first, and the page never offers them side by side.
$("session-start").addEventListener("click", asking(() => [t("session.start_confirm"), t("session.start_yes")],
  async (button) => {
    if (await live.act("session.start", {}, button)) notify(t("session.started"), "ok");
  }));
$("session-close").addEventListener("click", asking(() => [t("session.close_confirm"), t("session.close_yes")],
  (button) => live.act("session.close", {}, button)));
const grantSeconds = () => wholeNumber($("grant-seconds"));
$("floor-next").addEventListener("click", (e) => live.act("floor.grant", { seconds: grantSeconds() }, e.currentTarget));
$("floor-extend").addEventListener("click", (e) =>
  live.act("floor.extend", { seconds: wholeNumber($("extend-seconds")) }, e.currentTarget));
$("floor-revoke").addEventListener("click", (e) => live.act("floor.revoke", {}, e.currentTarget));
$("spotlight-holder").addEventListener("click", (e) => {
  const holder = holderOf(live.models);
  if (!holder) return notify(t("floor.nobody"));
  live.act("spotlight.set", { village: holder.village }, e.currentTarget);
});
$("spotlight-clear").addEventListener("click", (e) => live.act("spotlight.set", { village: null }, e.currentTarget));

function renderSession() {
  const s = live.models.session;
  $("session-status").textContent = t(`status.${s.status}`);
  $("session-start").hidden = s.status !== "draft";
  $("session-close").hidden = s.status !== "live";
}

function villageName(code) {
  return roster(live.models).find((v) => idOf(v, "village") === code)?.name ?? code;
}

function renderFloorState() {
  const spot = live.models.floor?.spotlight;
  $("spotlight-state").textContent = spot ? t("floorctl.spotlight_on", { name: villageName(spot) }) : t("floorctl.spotlight_none");
}

// ---- screening ---------------------------------------------------------------------------------

let picked = null;

function renderScreening() {
  const list = proposals(live.models);
  const waiting = list.filter((p) => p.status === "submitted");
  setCount("screening", waiting.length);
  const shown = [...waiting, ...list.filter((p) => p.status !== "submitted")];
  if (!shown.length) patch($("screening-list"), h("li", { class: "empty" }, t("board.empty")));
  else patch($("screening-list"), shown.map((p) => {
    const id = idOf(p, "proposal");
    const card = proposalCard(p, (p.photos ?? []).length
      ? h("div", { class: "row-actions photo-controls" }, p.photos.map((ph, i) => removeButton(live, id, ph, i))) : null);
    card.classList.toggle("picked", id === picked);
    if (p.status === "submitted") card.prepend(h("button", { type: "button", class: "pick live-only", dataset: { key: `pick-${id}` }, "aria-pressed": String(id === picked),
                               onclick: () => { picked = id; renderScreening(); $("screen-accept").focus(); } },
      t("screening.open", { id })));
    return card;
  }));
  const current = list.find((p) => idOf(p, "proposal") === picked);
  const open = current?.status === "submitted";
  $("screening-empty").hidden = open;
  $("screening-form").hidden = !open;
  if (!open) return;
  patch($("screening-proposal"), h("ul", { class: "board" }, proposalCard(current)));
  const select = $("merge-into");
  const keep = select.value;
  patch(select, list.filter((p) => idOf(p, "proposal") !== picked && ["submitted", "accepted"].includes(p.status))
    .map((p) => h("option", { value: idOf(p, "proposal") }, `${idOf(p, "proposal")} · ${p.title}`)));
  if (keep) select.value = keep;
}

async function screen(name, payload, button) {
  if (await live.act(name, { proposal: picked, ...payload }, button)) {
    $("reject-reason").value = "";
    notify(t(`screening.done_${name.split(".")[1]}`, { id: picked }), "ok");
  }
}
$("screen-accept").addEventListener("click", (e) => screen("proposal.accept", {}, e.currentTarget));
// merging and rejecting are final: the hall can no longer edit the proposal, so both ask first
$("screen-merge").addEventListener("click", async (e) => {
  const into = $("merge-into").value;
  if (!into) return notify(t("screening.merge_pick"));
  const button = e.currentTarget;
  if (await ask(t("screening.merge_confirm", { id: picked, into }), t("screening.merge_yes"))) {
    screen("proposal.merge", { into }, button);
  }
});
$("screen-reject").addEventListener("click", async (e) => {
  const reason = $("reject-reason").value.trim();
  if (!reason) {
    $("reject-reason").focus();
    return notify(t("screening.reason_needed"));
  }
  const button = e.currentTarget;
  if (await ask(t("screening.reject_confirm", { id: picked }), t("screening.reject_yes"))) {
    screen("proposal.reject", { reason }, button);
  }
});

// ---- ballots -----------------------------------------------------------------------------------

function renderBallotOptions() {
  const box = $("b-options");
  const checked = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
  const accepted = proposals(live.models).filter((p) => p.status === "accepted");
  if (!accepted.length) return patch(box, h("p", { class: "empty" }, t("ballotform.no_options")));
  patch(box, accepted.map((p) => {
    const id = idOf(p, "proposal");
    return h("label", { class: "check-label", for: `opt-${id}` },
      h("input", { type: "checkbox", id: `opt-${id}`, value: id, checked: checked.has(id) }),
      ` ${id} · ${p.title} · ${rupiah(p.cost)}`);
  }));
}

/** The roster's kecamatan as checkboxes, for an electorate "by kecamatan". */
function renderKecamatan() {
  const box = $("b-kecamatan");
  const checked = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
  const names = new Map(roster(live.models).map((v) => [v.kecamatan_code, v.kecamatan]));
  patch(box, [...names].map(([code, name]) => h("label", { class: "check-label", for: `kec-${code}` },
    h("input", { type: "checkbox", id: `kec-${code}`, value: code, checked: checked.has(code) }), ` ${name}`)));
}

$("b-electorate").addEventListener("change", () => {
  $("b-kecamatan-box").hidden = $("b-electorate").value !== "kecamatan";
});

$("b-method").addEventListener("change", () => {
  $("b-max").disabled = $("b-method").value === "borda"; // Borda ranks every option
});

$("ballot-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const options = [...$("b-options").querySelectorAll("input:checked")].map((i) => i.value);
  const problems = [];
  if (!$("b-title").value.trim()) problems.push(t("validation.required", { field: t("ballotform.name") }));
  if (!$("b-method").value) problems.push(t("validation.required", { field: t("ballotform.method") }));
  if (options.length < 2) problems.push(t("ballotform.two_options"));
  const electorate = $("b-electorate").value;
  const kecamatan = [...$("b-kecamatan").querySelectorAll("input:checked")].map((i) => i.value);
  if (electorate === "kecamatan" && !kecamatan.length) problems.push(t("ballotform.choose_kecamatan"));
  const pagu = $("b-pagu").value.replace(/[^\d]/g, "");
  patch($("ballot-errors"), problems.map((p) => h("li", {}, p)));
  if (problems.length) return;
  const payload = { title: $("b-title").value.trim(), method: $("b-method").value, options,
                    allow_change: $("b-change").checked, secret: $("b-secret").checked };
  if ($("b-method").value === "approval" && $("b-max").value) payload.max_choices = Number($("b-max").value);
  if (pagu) payload.pagu = Number(pagu);
  payload.electorate = electorate;
  if (electorate === "kecamatan") payload.kecamatan = kecamatan;
  if (await live.act("ballot.open", payload, e.submitter)) {
    $("ballot-form").reset();
    $("b-kecamatan-box").hidden = true;
    renderBallotOptions();
    notify(t("ballotform.opened"), "ok");
  }
});

function renderBallots() {
  const list = ballots(live.models).slice().reverse();
  setCount("ballots", list.filter(isOpen).length);
  if (!list.length) return patch($("ballots"), h("p", { class: "empty" }, t("ballots.none")));
  patch($("ballots"), list.map((b) => {
    const id = idOf(b, "ballot");
    return h("article", { class: "ballot", dataset: { ballot: id } },
      ballotHeader(b),
      isOpen(b) ? h("div", { class: "actions live-only" },
        command(t("ballot.close"), "ballot.close", () => ({ ballot: id }), { cls: "danger", key: `close-${id}`,
          confirm: () => [t("ballot.close_confirm", { title: b.title }), t("ballot.close_yes")] })) : null,
      isOpen(b) ? notVoted(b, live.models) : null,
      ballotStanding(b, live.models),
      choicesView(b, live.models));
  }));
}

// ---- participants ------------------------------------------------------------------------------

function renderRoster() {
  const villages = roster(live.models);
  const interactive = villages.filter((v) => v.mode === "interactive").length;
  $("interactive-count").textContent = t("participants.interactive_count", { n: interactive, max: config.maxInteractive });
  const query = $("roster-filter").value.trim().toLowerCase();
  const spot = live.models.floor?.spotlight;
  const shown = villages.filter((v) => !query || `${v.name} ${v.kecamatan}`.toLowerCase().includes(query));
  patch($("roster"), shown.map((v) => {
    const code = idOf(v, "village");
    const on = v.mode === "interactive";
    return h("tr", { dataset: { village: code } },
      h("th", { scope: "row" }, v.name),
      h("td", {}, v.kecamatan),
      h("td", {}, h("span", { class: `badge mode-${v.mode}` }, t(`mode.${v.mode}`)),
        v.muted ? h("span", { class: "badge muted" }, t("participants.muted")) : null),
      h("td", { class: "row-actions live-only" },
        command(v.muted ? t("participants.unmute") : t("participants.mute"),
                v.muted ? "participant.unmute" : "participant.mute", () => ({ village: code }), { key: `mute-${code}` }),
        command(on ? t("participants.demote") : t("participants.promote"),
                on ? "village.demote" : "village.promote", () => ({ village: code }),
                { key: `mode-${code}`, cls: on ? "" : "primary" }),
        command(spot === code ? t("participants.unspotlight") : t("participants.spotlight"), "spotlight.set",
                () => ({ village: spot === code ? null : code }), { key: `spot-${code}` }),
        h("button", { type: "button", class: "danger", dataset: { key: `reissue-${code}` },
                      onclick: (e) => reissue(v, e.currentTarget) }, t("participants.reissue"))));
  }));
}

/** Revoke a (leaked) village link and show the new one: the old link stops working at once. */
async function reissue(village, button) {
  if (!confirm(t("participants.reissue_confirm", { name: village.name }))) return;
  const ack = await live.act("credential.reissue", { holder: idOf(village, "village") }, button);
  if (!ack) return;
  $("reissued-text").textContent = t("participants.reissued", { name: village.name });
  $("reissued-link").value = new URL(ack.link, location.origin).href;
  $("reissued").hidden = false;
  $("reissued-link").select();
  $("reissued-sheet").dataset.export = `joinsheet.pdf?village=${encodeURIComponent(idOf(village, "village"))}`;
}
$("reissued-sheet").addEventListener("click", (e) => download(e.currentTarget.dataset.export, e.currentTarget));
$("roster-filter").addEventListener("input", renderRoster);

// ---- agenda ------------------------------------------------------------------------------------

$("agenda-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const title = $("a-title").value.trim();
  if (!title) {
    $("a-title").focus();
    return notify(t("validation.required", { field: t("agendaform.title") }));
  }
  const minutes = wholeNumber($("a-minutes"));
  if (await live.act("agenda.add", { title, ...(minutes ? { minutes } : {}) }, e.submitter)) {
    $("agenda-form").reset();
    notify(t("agendaform.added", { title }), "ok");
  }
});

function renderAgenda() {
  const items = agendaItems(live.models);
  if (!items.length) return patch($("agenda-admin"), h("li", { class: "empty" }, t("agenda.empty")));
  patch($("agenda-admin"), items.map((item, i) => {
    const id = idOf(item, "item");
    return h("li", { class: `agenda-item status-${item.status}` },
      h("span", { class: "agenda-title" }, item.title),
      h("span", { class: `badge status-${item.status}` }, t(`astatus.${item.status}`)),
      h("span", { class: "row-actions live-only" },
        item.status === "open"
          ? command(t("agenda.close"), "agenda.close", () => ({ item: id }), { key: `aclose-${id}` })
          : command(t("agenda.open"), "agenda.open", () => ({ item: id }), { key: `aopen-${id}`, cls: "primary" }),
        i > 0 ? command(t("queue.up"), "agenda.move", () => ({ item: id, position: i }), { key: `aup-${id}`, cls: "icon" }) : null,
        i < items.length - 1
          ? command(t("queue.down"), "agenda.move", () => ({ item: id, position: i + 2 }), { key: `adown-${id}`, cls: "icon" })
          : null));
  }));
}

// ---- attendance and the network board ----------------------------------------------------------

function renderVillageSelect() {
  const select = $("h-village");
  const keep = select.value;
  patch(select, h("option", { value: "" }, t("common.choose")),
    roster(live.models).map((v) => h("option", { value: idOf(v, "village") }, `${v.name} · ${v.kecamatan}`)));
  select.value = keep;
}

$("headcount-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const [village, total, women] = [$("h-village").value, wholeNumber($("h-total")), wholeNumber($("h-women"))];
  if (!village || total === undefined || women === undefined) return notify(t("headcount.incomplete"));
  if (await live.act("attendance.headcount", { village, total, women }, e.submitter)) notify(t("headcount.saved"), "ok");
});

function renderAttendance() {
  const model = live.models.attendance;
  const rows = attendance(live.models);
  const totals = model?.totals ?? {};
  $("attendance-totals").textContent = t("attendance.totals", {
    present: totals.present ?? 0, villages: totals.villages ?? rows.length,
    people: number(totals.people ?? 0), women: number(totals.women ?? 0) });
  patch($("attendance"), rows.filter((r) => r.present || r.headcount).map((r) => h("tr", {},
    h("th", { scope: "row" }, r.name), h("td", {}, r.kecamatan),
    h("td", {}, r.present ? t("conn.present") : t("conn.absent")),
    h("td", {}, r.headcount ? number(r.headcount.total) : "—"),
    h("td", {}, r.headcount ? number(r.headcount.women) : "—"))));
}

// ---- delegates for the next level: edited here, saved whole (delegates.set) ------------------------

let delegatesEdited = false; // unsaved edits: a push of the list must not wipe them

function delegateRow(d = {}) {
  const villages = roster(live.models);
  const select = h("select", { class: "d-village", "aria-label": t("delegates.village") },
    h("option", { value: "" }, "—"),
    villages.map((v) => h("option", { value: idOf(v, "village") }, `${v.name} · ${v.kecamatan}`)));
  select.value = d.village ?? "";
  return h("tr", {},
    h("td", {}, h("input", { class: "d-name", maxlength: "120", value: d.name ?? "", "aria-label": t("delegates.name") })),
    h("td", {}, select),
    h("td", {}, h("input", { class: "d-role", maxlength: "80", value: d.role ?? "", "aria-label": t("delegates.role") })),
    h("td", {}, h("button", { type: "button", class: "secondary small", onclick: (e) => {
      delegatesEdited = true;
      e.currentTarget.closest("tr").remove();
    } }, t("delegates.remove"))));
}

function renderDelegates() {
  if (delegatesEdited) return;
  const list = live.models.delegates ?? [];
  patch($("delegates"), list.length ? list.map(delegateRow) : []);
}

$("delegates").addEventListener("input", () => (delegatesEdited = true));
$("delegate-add").addEventListener("click", () => {
  delegatesEdited = true;
  const row = delegateRow();
  $("delegates").append(row);
  row.querySelector(".d-name").focus();
});
$("delegates-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const delegates = [...$("delegates").querySelectorAll("tr")].map((tr) => {
    const [name, village, role] = [".d-name", ".d-village", ".d-role"].map((c) => tr.querySelector(c).value.trim());
    return { name, ...(village ? { village } : {}), ...(role ? { role } : {}) };
  });
  if (delegates.some((d) => !d.name)) return notify(t("delegates.unnamed"));
  if (await live.act("delegates.set", { delegates }, e.submitter)) {
    delegatesEdited = false;
    notify(t("delegates.saved", { count: delegates.length }), "ok");
  }
});

let network = {}; // participant → the relay's latest statistics ("network" every few seconds)
const lostBefore = new Map(); // participant → packets lost at the report before
let lossy = new Set(); // participants whose loss grew since the report before
live.socket.on("network", (report) => {
  lossy = new Set(Object.entries(report).filter(([code, media]) =>
    media.packets_lost_in > (lostBefore.get(code) ?? media.packets_lost_in)).map(([code]) => code));
  for (const [code, media] of Object.entries(report)) lostBefore.set(code, media.packets_lost_in);
  network = report;
  renderNetwork();
});

// Sites with problems first (dropped, then losing packets, then never joined), each by kecamatan.
const NET_RANK = { disconnected: 0, lossy: 1, never: 2, connected: 3, publishing: 3 };
const PROBLEMS = new Set(["disconnected", "lossy"]);

function netState(row) {
  const code = idOf(row, "village");
  if (!row.present) return row.joined_at ? "disconnected" : "never";
  if (lossy.has(code)) return "lossy";
  return network[code]?.publishing?.length ? "publishing" : "connected";
}

function renderNetworkFilters() {
  const select = $("net-kecamatan");
  const keep = select.value;
  const names = [...new Set(roster(live.models).map((v) => v.kecamatan))].sort((a, b) => a.localeCompare(b));
  patch(select, h("option", { value: "" }, t("network.all_kecamatan")), names.map((k) => h("option", { value: k }, k)));
  select.value = keep;
}

function renderNetwork() {
  const modes = byId(roster(live.models), "village");
  const [kecamatan, wanted] = [$("net-kecamatan").value, $("net-state").value];
  const fits = (state) => !wanted || state === wanted || (wanted === "problem" && PROBLEMS.has(state))
    || (wanted === "connected" && state === "publishing");
  const rows = attendance(live.models).map((r) => ({ r, state: netState(r) }))
    .filter(({ r, state }) => (!kecamatan || r.kecamatan === kecamatan) && fits(state))
    .sort((a, b) => NET_RANK[a.state] - NET_RANK[b.state] || a.r.kecamatan.localeCompare(b.r.kecamatan)
      || a.r.name.localeCompare(b.r.name));
  $("net-count").textContent = t("network.count", { n: rows.length });
  patch($("network"), rows.map(({ r, state }) => {
    const code = idOf(r, "village");
    const mode = modes.get(code)?.mode ?? "viewonly";
    const media = network[code];
    return h("tr", { class: `net-${state}`, dataset: { village: code } },
      h("td", {}, r.kecamatan), h("th", { scope: "row" }, r.name),
      h("td", {}, t(`mode.${mode}`)),
      h("td", {}, h("span", { class: `net-state net-${state}` }, t(`network.${state}`))),
      h("td", {}, r.present ? t("network.now") : r.left_at ? clock(r.left_at) : "—"),
      h("td", { class: "num" }, media ? t("network.kbps", { n: Math.round(media.bitrate_in / 1000) }) : "—"),
      h("td", { class: "num" }, media ? String(media.packets_lost_in) : "—"));
  }));
}
$("net-kecamatan").addEventListener("change", renderNetwork);
$("net-state").addEventListener("change", renderNetwork);

// ---- carry-up: a lower level's proposals come in here; once a ballot is closed, this one's go up ----

function renderCarry() {
  const level = live.models.session?.level;
  $("carry-form").hidden = !level || level === config.levels[0]; // the lowest level takes nothing in
  const ranked = ballots(live.models).some((b) => b.status === "closed");
  $("carry-export").hidden = !level || level === config.levels.at(-1) || !ranked; // the highest sends nothing up
}
$("carry-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const file = $("carry-file").files[0];
  if (!file) return notify(t("carry.pick_file"));
  if (await carryIn(config.session, file, $("carry-import"))) $("carry-file").value = "";
});

// ---- wiring ------------------------------------------------------------------------------------

programLink(live).publish(null); // moderators watch and listen; they publish nothing

floorView(live);
closedView(live);
sessionState(live, $("session-state"));
queueView(live, $("queue"), { moderate: true, seconds: grantSeconds });
live.watch((changed) => {
  const any = (...names) => names.some((n) => changed.has(n));
  if (any("session")) renderSession();
  if (any("session", "ballots")) renderCarry();
  if (any("floor", "roster")) renderFloorState();
  if (any("board")) {
    renderScreening();
    renderBallotOptions();
  }
  if (any("ballots", "board", "roster")) renderBallots();
  if (any("roster")) renderKecamatan();
  if (any("roster", "floor")) renderRoster();
  if (any("roster")) renderVillageSelect();
  if (any("agenda")) renderAgenda();
  if (any("attendance")) renderAttendance();
  if (any("delegates", "roster")) renderDelegates();
  if (any("roster")) renderNetworkFilters();
  if (any("attendance", "roster")) renderNetwork();
});

// ---- exports: the session's sheets and its log, fetched with this page's credential -------------

/** A staff route of this session, with this page's credential; a refusal throws in the page's language. */
async function api(path, init = {}) {
  const reply = await fetch(`/api/sessions/${encodeURIComponent(config.session)}/${path}`,
    { ...init, headers: { Authorization: `Bearer ${credential()}` } });
  if (!reply.ok) {
    const body = await reply.json().catch(() => null);
    throw new Error(body?.error ? describe({ code: body.error, message: body.message }) : reply.statusText);
  }
  return reply;
}

async function save(reply) {
  const url = URL.createObjectURL(await reply.blob());
  // the hub names the file (Content-Disposition); a blob link would otherwise save as a random name
  const named = /filename="([^"]+)"/.exec(reply.headers.get("Content-Disposition") ?? "")?.[1];
  const link = h("a", { href: url, download: named ?? `${config.session}-export` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

async function download(path, button) {
  button.disabled = true;
  try {
    await save(await api(path));
  } catch (err) {
    notify(t("export.failed", { reason: err.message }));
  } finally {
    button.disabled = false;
  }
}

for (const button of document.querySelectorAll("[data-export]")) {
  button.addEventListener("click", () => download(button.dataset.export, button));
}


// The minutes are built in the background on the hub (a long session's take a while): start the job,
// show its progress, download what it made.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
$("minutes-build").addEventListener("click", async (e) => {
  const button = e.currentTarget;
  const bar = $("minutes-progress");
  button.disabled = true;
  bar.hidden = false;
  try {
    let job = await (await api("minutes.pdf/job", { method: "POST" })).json();
    while (job.state === "running") {
      bar.value = job.progress;
      $("minutes-state").textContent = t("export.minutes_building", { percent: Math.round(job.progress * 100) });
      await sleep(400);
      job = await (await api(`jobs/${encodeURIComponent(job.job)}`)).json();
    }
    if (job.state === "failed") throw new Error(describe({ code: job.error, message: job.message }));
    bar.value = 1;
    await save(await api(`jobs/${encodeURIComponent(job.job)}/file`));
    $("minutes-state").textContent = t("export.minutes_ready");
  } catch (err) {
    $("minutes-state").textContent = "";
    notify(t("export.failed", { reason: err.message }));
  } finally {
    button.disabled = false;
    bar.hidden = true;
  }
});

// ---- the RTMP push: its state changes by itself (the far end drops, comes back), so it is polled --

const BROADCAST_POLL_MS = 4000;

function renderBroadcast(pushes) {
  const list = $("broadcast-state");
  list.hidden = pushes.length === 0;
  patch(list, pushes.map((push) => h("li", { class: `broadcast-${push.state}`, title: push.detail || null },
    t("broadcast.line", {
      target: push.target,
      state: t(`broadcast.state.${push.state}`, { reason: t(`broadcast.reason.${push.reason}`) }),
    }))));
}

async function pollBroadcast() {
  try {
    const reply = await fetch(`/api/sessions/${encodeURIComponent(config.session)}/broadcast`,
      { headers: { Authorization: `Bearer ${credential()}` }, cache: "no-store" });
    if (reply.ok) renderBroadcast((await reply.json()).pushes);
  } catch {
    // the hub is out of reach: the page's connection line says so already
  } finally {
    setTimeout(pollBroadcast, BROADCAST_POLL_MS);
  }
}

pollBroadcast();

// ---- recordings: their size, the disk's free space, the recorder's state, the session archive -----

const STORAGE_POLL = 10_000; // ms: the folder is walked on each poll, in the hub's thread
const bytes = (n) => (n >= 1 << 30 ? `${number(n / (1 << 30))} GB` : `${number(n / (1 << 20))} MB`);
const recordingState = {
  recording: () => t("storage.state_recording"),
  refused: (r) => t("storage.state_refused", { reason: r.reason }),
  off: () => t("storage.state_off"),
};

function partState(part) {
  if (part.state === "stopped") return t("storage.state_stopped", { reason: part.reason });
  if (part.state === "restarting") return t("storage.state_restarting", { reason: part.reason });
  return null;
}

async function pollStorage() {
  const state = $("storage-state");
  try {
    const reply = await fetch(`/api/sessions/${encodeURIComponent(config.session)}/storage`,
      { headers: { Authorization: `Bearer ${credential()}` } });
    const report = await reply.json();
    if (!reply.ok) throw new Error(report?.message ?? reply.statusText);
    const used = Math.round(report.used * 100);
    $("storage-usage").textContent = t("storage.usage", {
      recordings: bytes(report.recordings_bytes), session: bytes(report.session_bytes),
      free: bytes(report.free_bytes), total: bytes(report.total_bytes), used });
    const rec = report.recording;
    const lines = [recordingState[rec.state]?.(rec) ?? rec.state, ...rec.parts.map(partState).filter(Boolean)];
    if (report.warn) lines.unshift(t("storage.warn", { used }));
    state.textContent = lines.join(" · ");
    state.dataset.kind = report.warn || rec.state === "refused" || lines.length > 1 ? "warn" : "ok";
  } catch (err) {
    state.textContent = t("storage.unavailable", { reason: err.message });
    state.dataset.kind = "warn";
  }
}
pollStorage();
setInterval(pollStorage, STORAGE_POLL);

// The hub tells the archive's length up front: the bar follows the bytes as they arrive.
$("archive-download").addEventListener("click", async (e) => {
  const button = e.currentTarget, bar = $("archive-progress"), status = $("archive-status");
  button.disabled = true;
  try {
    const reply = await fetch(`/api/sessions/${encodeURIComponent(config.session)}/archive.tar`,
      { headers: { Authorization: `Bearer ${credential()}` } });
    if (!reply.ok) throw new Error((await reply.json().catch(() => null))?.message ?? reply.statusText);
    const total = Number(reply.headers.get("Content-Length")) || 0;
    const reader = reply.body.getReader(), parts = [];
    let done = 0;
    bar.hidden = false;
    for (;;) {
      const { done: finished, value } = await reader.read();
      if (finished) break;
      parts.push(value);
      done += value.length;
      bar.value = total ? done / total : 0;
      status.textContent = t("storage.archive_progress", { done: bytes(done), total: bytes(total) });
    }
    const url = URL.createObjectURL(new Blob(parts, { type: "application/x-tar" }));
    const link = h("a", { href: url, download: `${config.session}-arsip.tar` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    status.textContent = t("storage.archive_done", { total: bytes(done) });
  } catch (err) {
    notify(t("export.failed", { reason: err.message }));
    status.textContent = "";
  } finally {
    bar.hidden = true;
    button.disabled = false;
  }
});
