// Renderers shared by the pages: the floor with its countdown, the agenda, the proposal board and
// ballot tallies. They build elements with dom.h (text only) from the read models.
import { serverNow } from "./clock.js";
import { h, patch } from "./dom.js";
import { config, minutes, number, rupiah, t } from "./i18n.js";
import { agendaItems, byId, holderOf, idOf, proposals, roster, tallies } from "./shape.js";

const ENDING_SECONDS = 30;

/** Keep every .floor box on the page showing the holder and a countdown on the hub's clock. */
export function floorView(live) {
  const boxes = [...document.querySelectorAll(".floor")];
  const part = (box, name) => box.querySelector(`[data-floor="${name}"]`);
  const tick = () => {
    const floor = live.models.floor;
    const holder = holderOf(live.models);
    const end = floor?.deadline;
    const paused = floor?.paused_at ?? null; // the holder's media is gone: the clock stands still
    const left = holder && end ? end - (paused ?? serverNow()) : null;
    let state = left === null ? "idle" : left <= 0 ? "over" : left <= ENDING_SECONDS ? "ending" : "running";
    let text = left === null ? "--:--" : left <= 0 ? t("floor.time_up") : minutes(left);
    if (left !== null && paused) [state, text] = ["paused", t("floor.paused", { time: text })];
    for (const box of boxes) {
      part(box, "countdown").textContent = text;
      box.dataset.state = state;
    }
  };
  live.watch((changed) => {
    if (!changed.has("floor") && !changed.has("roster")) return;
    const holder = holderOf(live.models);
    for (const box of boxes) {
      part(box, "name").textContent = holder ? holder.name : t("floor.nobody");
      part(box, "place").textContent = holder ? t("floor.place", { kecamatan: holder.kecamatan }) : "";
      box.dataset.holder = holder?.village ?? "";
    }
    tick();
  });
  setInterval(tick, 250);
}

/** The agenda, the open item marked. */
export function agendaView(live, container, actions = null) {
  live.watch((changed) => {
    if (!changed.has("agenda")) return;
    const items = agendaItems(live.models);
    if (!items.length) return patch(container, h("li", { class: "empty" }, t("agenda.empty")));
    patch(container, items.map((item, index) => h("li", { class: `agenda-item status-${item.status}`,
                                                          "aria-current": item.status === "open" ? "step" : null },
      h("span", { class: "agenda-title" }, item.title),
      h("span", { class: "agenda-meta" },
        item.minutes ? t("agenda.minutes", { n: item.minutes }) : "",
        " ", h("span", { class: `badge status-${item.status}` }, t(`astatus.${item.status}`))),
      actions ? actions(item, index, items) : null)));
  });
}

/** Where the hub serves a proposal's photo or its thumbnail (service/photos.py: photo_path). */
export function photoUrl(photo, thumb = false) {
  return `/api/sessions/${encodeURIComponent(config.session)}/photos/${photo}${thumb ? ".thumb" : ""}.jpg`;
}

/** A proposal's photos as thumbnails, each opening the full photo. */
function photoStrip(p) {
  const photos = p.photos ?? [];
  if (!photos.length) return null;
  const id = idOf(p, "proposal");
  return h("ul", { class: "photo-strip" }, photos.map((ph, i) => h("li", { dataset: { photo: ph.photo } },
    h("a", { href: photoUrl(ph.photo), target: "_blank", rel: "noopener" },
      h("img", { src: photoUrl(ph.photo, true), alt: t("photo.alt", { n: i + 1, id }), loading: "lazy" })))));
}

/** The map point, as a link to the open map (no map is loaded into the page). */
function pointLink(point) {
  const [lat, lng] = [point.lat.toFixed(5), point.lng.toFixed(5)];
  return h("a", { class: "proposal-titik", target: "_blank", rel: "noopener noreferrer",
                  href: `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lng}#map=17/${lat}/${lng}` },
    t("proposal.titik", { lat, lng }));
}

/** One proposal on a board: title, village, bidang, cost, status, support; extra nodes appended. */
export function proposalCard(p, ...extra) {
  const lokasi = p.lokasi ?? {};
  return h("li", { class: `proposal status-${p.status}`, dataset: { proposal: idOf(p, "proposal") } },
    h("div", { class: "proposal-head" },
      h("span", { class: "proposal-id" }, idOf(p, "proposal")),
      h("strong", { class: "proposal-title" }, p.title),
      h("span", { class: `badge status-${p.status}` }, t(`pstatus.${p.status}`))),
    h("p", { class: "proposal-meta" },
      t("proposal.from", { village: p.village_name ?? p.village, kecamatan: p.kecamatan ?? "" }), " · ",
      t(`bidang.${p.bidang}`), " · ", rupiah(p.cost)),
    h("p", { class: "proposal-detail" },
      t("proposal.where", { dusun: lokasi.dusun ?? "", rt: lokasi.rt ?? "", rw: lokasi.rw ?? "" }), " · ",
      `${number(p.volume)} ${p.unit}`, " · ", t(`sumber_dana.${p.sumber_dana}`), " · ", t(`scale.${p.scale}`),
      p.opd ? ` · ${t("proposal.opd", { name: p.opd_name ?? p.opd })}` : "",
      lokasi.titik ? [" · ", pointLink(lokasi.titik)] : null),
    p.masalah ? h("p", { class: "proposal-masalah" }, t("proposal.masalah", { text: p.masalah })) : null,
    p.description ? h("p", { class: "proposal-description" }, p.description) : null,
    p.carried_from ? h("p", { class: "proposal-origin" }, t("proposal.carried_from", {
      title: p.carried_from.title, level: t(`level.${p.carried_from.level}`), proposal: p.carried_from.proposal,
      rank: p.carried_from.rank })) : null,
    photoStrip(p),
    p.status === "rejected" && p.reject_reason ? h("p", { class: "proposal-reason" },
      t("proposal.reason", { reason: p.reject_reason })) : null,
    p.status === "merged" && p.merged_into ? h("p", { class: "proposal-reason" },
      t("proposal.merged_into", { id: p.merged_into })) : null,
    ...extra);
}

/** A board of proposals (filtered), with per-card extras. */
export function boardView(live, container, { filter = () => true, extras = () => [], empty = "board.empty",
                                             deps = ["board"] } = {}) {
  const render = () => {
    const list = proposals(live.models).filter(filter);
    if (!list.length) return patch(container, h("li", { class: "empty" }, t(empty)));
    patch(container, list.map((p) => proposalCard(p, ...extras(p))));
  };
  live.watch((changed) => {
    if (deps.some((d) => changed.has(d))) render();
  });
  return render;
}

/** A ballot's standing: options by points, bars, and when closed the rank and the pagu's cut line. */
export function ballotStanding(ballot, models) {
  // a secret ballot's tallies come only with its close: until then there is nothing to stand on
  if (ballot.tallies === null && !ballot.result) return h("p", { class: "tallies-hidden" }, t("ballot.hidden"));
  const board = byId(proposals(models), "proposal");
  const counts = tallies(ballot);
  const result = ballot.result ? new Map(ballot.result.map((r) => [idOf(r, "proposal"), r])) : null;
  const order = [...ballot.options].sort((a, b) => result
    ? result.get(a).rank - result.get(b).rank
    : (counts.get(b)?.points ?? 0) - (counts.get(a)?.points ?? 0));
  const top = Math.max(1, ...order.map((o) => counts.get(o)?.points ?? 0));
  const unit = ballot.method === "borda" ? "ballot.points" : "ballot.votes";
  const bar = (points) => {
    const fill = h("span");
    fill.style.width = `${(100 * points) / top}%`; // CSSOM: allowed by the CSP, unlike style attributes
    return h("div", { class: "bar", "aria-hidden": "true" }, fill);
  };
  return h("ol", { class: "standing" }, order.map((option) => {
    const points = counts.get(option)?.points ?? 0;
    const row = result?.get(option);
    const cut = row && row.fits !== null && row.fits !== undefined;
    return h("li", { class: `standing-row${cut && !row.fits ? " below-line" : ""}`, dataset: { option } },
      h("div", { class: "standing-label" },
        row ? h("span", { class: "rank" }, `#${row.rank}`) : null,
        h("span", { class: "standing-title" }, `${option} · ${board.get(option)?.title ?? ""}`),
        h("span", { class: "standing-points", dataset: { points: String(points) } }, t(unit, { n: points }))),
      bar(points),
      cut ? h("p", { class: "cut" },
        row.fits ? t("ballot.fits", { total: rupiah(row.cumulative_cost) }) : t("ballot.below_line")) : null);
  }));
}

/** A ballot's header: title, method, status, turnout, pagu; its kind (secret or open) and who may vote. */
export function ballotHeader(ballot) {
  const kind = ballot.secret ? "secret" : "nominal";
  const electorate = ballot.electorate;
  return h("div", { class: "ballot-head" },
    h("h3", { class: "ballot-title" }, ballot.title),
    h("p", { class: "ballot-meta" },
      h("span", { class: `badge status-${ballot.status}` }, t(`bstatus.${ballot.status}`)), " ",
      t(`method.${ballot.method}`), " · ", t("ballot.turnout", { n: ballot.turnout ?? 0 }),
      ballot.pagu ? ` · ${t("ballot.pagu", { pagu: rupiah(ballot.pagu) })}` : "",
      ballot.secret ? ` · ${t("ballot.secret")}` : ""),
    h("p", { class: `ballot-kind kind-${kind}`, dataset: { kind } }, t(`ballot.kind_${kind}`)),
    electorate ? h("p", { class: "ballot-electorate", dataset: { electorate: electorate.kind } },
      t(`electorate.${electorate.kind}`, { n: electorate.size }),
      electorate.kecamatan_names?.length ? ` · ${electorate.kecamatan_names.join(", ")}` : "") : null);
}

/** Who chose what on a nominal ballot (staff get the choices; a secret ballot has none to show). */
export function choicesView(ballot, models) {
  const choices = Object.entries(ballot.choices ?? {});
  if (!choices.length) return null;
  const names = byId(roster(models), "village");
  return h("details", { class: "ballot-choices", dataset: { ballot: idOf(ballot, "ballot") } },
    h("summary", {}, t("ballot.choices", { n: choices.length })),
    h("ul", { class: "choices-list" }, choices.map(([code, choice]) =>
      h("li", { dataset: { village: code } }, `${names.get(code)?.name ?? code}: ${choice.join(", ")}`))));
}

/** The electorate's villages that have not voted yet, by name (for the moderator). */
export function notVoted(ballot, models) {
  const names = byId(roster(models), "village");
  const waiting = ballot.not_voted ?? [];
  if (!waiting.length) return h("p", { class: "not-voted-none" }, t("ballot.all_voted"));
  return h("details", { class: "not-voted", open: true, dataset: { ballot: idOf(ballot, "ballot") } },
    h("summary", {}, t("ballot.not_voted", { n: waiting.length })),
    h("ul", { class: "not-voted-list" }, waiting.map((code) =>
      h("li", { dataset: { village: code } }, names.get(code)?.name ?? code))));
}
