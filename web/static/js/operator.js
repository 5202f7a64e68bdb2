// The operator's page: a session from a roster CSV — pick the venue and the interactive villages, see
// every link. The hub parses the roster (POST /api/roster) and creates the session (POST /api/sessions).
import { $, h, patch, show } from "./dom.js";
import { config, t } from "./i18n.js";
import { carryIn } from "./carry.js";
import { credential, describe, notify, postJson } from "./live.js";

const token = credential();
let rosterCsv = null;
let villages = [];
let picked = new Set();

const post = (path, body) => postJson(path, JSON.stringify(body));

/** Ask the hub for the roster's villages and, once a venue is chosen, its pick of interactive ones. */
async function preview() {
  const venue = $("o-venue").value;
  try {
    const data = await post("/api/roster", { roster_csv: rosterCsv, ...(venue ? { venue } : {}) });
    villages = data.villages;
    picked = new Set(data.interactive);
    renderVenues(venue);
    renderPicks();
  } catch (err) {
    notify(describe(err));
  }
}

function renderVenues(keep) {
  const select = $("o-venue");
  patch(select, h("option", { value: "" }, t("common.choose")),
    villages.map((v) => h("option", { value: v.code }, `${v.name} · ${v.kecamatan}`)));
  select.value = keep;
  select.disabled = !villages.length;
}

function renderPicks() {
  const venue = $("o-venue").value;
  const query = $("o-filter").value.trim().toLowerCase();
  $("o-interactive-count").textContent = t("participants.interactive_count", { n: picked.size, max: config.maxInteractive });
  const shown = villages.filter((v) => !query || `${v.name} ${v.kecamatan}`.toLowerCase().includes(query));
  patch($("o-interactive"), shown.map((v) => {
    const id = `o-pick-${v.code}`;
    const input = h("input", { type: "checkbox", id, value: v.code, checked: picked.has(v.code),
                               disabled: v.code === venue }); // the venue is always interactive
    input.addEventListener("change", () => {
      if (input.checked) picked.add(v.code);
      else picked.delete(v.code);
      renderPicks();
    });
    return h("li", {}, h("label", { class: "check-label", for: id }, input, ` ${v.name} · ${v.kecamatan}`));
  }));
}

function problems() {
  const out = [];
  if (!$("o-title").value.trim()) out.push(t("validation.required", { field: t("operator.title") }));
  if (!rosterCsv) out.push(t("validation.required", { field: t("operator.roster") }));
  if (!$("o-venue").value) out.push(t("validation.required", { field: t("operator.venue") }));
  if (picked.size > config.maxInteractive) out.push(t("error.interactive_limit"));
  return out;
}

function renderLinks(links) {
  const roleName = { chair: t("chair.role"), moderator: t("moderator.role"), public: t("operator.public"),
                     village: t("village.role") };
  patch($("o-links"), links.map((link) => {
    const mode = link.village ? (link.interactive ? "interactive" : "viewonly") : "";
    return h("tr", { dataset: { role: link.role, mode } },
      h("th", { scope: "row" }, roleName[link.role] ?? link.role),
      h("td", {}, link.name ?? "—"), h("td", {}, link.kecamatan ?? "—"),
      h("td", {}, mode ? t(`mode.${mode}`) : "—"),
      h("td", { class: "link-cell" }, h("a", { href: link.url, target: "_blank", rel: "noopener" }, link.url)));
  }));
  show($("o-result"), true);
  $("o-links-title").scrollIntoView?.();
}

$("o-roster").addEventListener("change", async () => {
  const file = $("o-roster").files[0];
  rosterCsv = file ? await file.text() : null;
  if (rosterCsv) preview();
});
$("o-venue").addEventListener("change", preview);
$("o-filter").addEventListener("input", renderPicks);
$("o-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const found = problems();
  patch($("o-errors"), found.map((p) => h("li", {}, p)));
  if (found.length) return;
  const button = e.submitter;
  button.disabled = true;
  try {
    const venue = $("o-venue").value;
    const created = await post("/api/sessions", { title: $("o-title").value.trim(), roster_csv: rosterCsv, venue,
                                                  level: $("o-level").value,
                                                  interactive: [...new Set([venue, ...picked])] });
    listTargets();
    renderLinks(created.links);
    notify(t("operator.created"), "ok");
  } catch (err) {
    notify(describe(err));
  } finally {
    button.disabled = false;
  }
});

// ---- carry-up: a lower session's carry.json into a kecamatan or kabupaten session ------------------

async function listTargets() {
  const reply = await fetch("/api/sessions");
  const { sessions } = await reply.json();
  const select = $("o-target");
  const keep = select.value;
  patch(select, h("option", { value: "" }, t("common.choose")), sessions.filter((s) => s.level !== config.levels[0]).map(
    (s) => h("option", { value: s.id }, `${s.title} · ${t(`level.${s.level}`)}`)));
  select.value = keep;
}

$("o-carry").addEventListener("submit", async (e) => {
  e.preventDefault();
  const file = $("o-carry-file").files[0];
  const target = $("o-target").value;
  if (!target) return notify(t("validation.required", { field: t("operator.carry_target") }));
  if (!file) return notify(t("carry.pick_file"));
  await carryIn(target, file, e.submitter);
});

if (!token) notify(t("conn.missing"));
listTargets().catch(() => notify(t("conn.offline")));
