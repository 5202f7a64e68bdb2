// What the chair's and the moderators' consoles share: the queue with its controls, the session state.
import { h, patch } from "./dom.js";
import { clock, t } from "./i18n.js";
import { idOf, queue } from "./shape.js";

/** The speaker queue; the chair gets "give the floor", moderators also reorder and remove. */
export function queueView(live, container, { moderate, seconds = () => undefined }) {
  live.watch((changed) => {
    if (!changed.has("queue")) return;
    const entries = queue(live.models);
    if (!entries.length) return patch(container, h("li", { class: "empty" }, t("queue.empty")));
    patch(container, entries.map((e, i) => {
      const code = idOf(e, "village");
      // arrows keep each entry on one row; their names (for screen readers and tooltips) stay words
      const button = (label, name, payload, cls = "", glyph = null) => h("button", {
        type: "button", class: cls, dataset: { key: `${name}-${code}` }, "aria-label": glyph ? label : null,
        title: glyph ? label : null, onclick: (ev) => live.act(name, payload(), ev.currentTarget) }, glyph ?? label);
      return h("li", { class: `queue-entry${e.point_of_order ? " point-of-order" : ""}`, dataset: { village: code } },
        h("span", { class: "queue-pos" }, String(i + 1)),
        h("span", { class: "queue-who" },
          h("strong", {}, e.name), h("span", { class: "queue-kec" }, e.kecamatan),
          e.point_of_order ? h("span", { class: "badge point" }, t("queue.point_of_order")) : null,
          e.raised_at ? h("span", { class: "queue-time" }, t("queue.raised_at", { time: clock(e.raised_at) })) : null),
        h("span", { class: "queue-actions live-only" },
          button(t("queue.grant"), "floor.grant", () => ({ village: code, seconds: seconds() }), "primary"),
          moderate && i > 0 ? button(t("queue.up"), "queue.move", () => ({ village: code, position: i }), "icon", "▲") : null,
          moderate && i < entries.length - 1
            ? button(t("queue.down"), "queue.move", () => ({ village: code, position: i + 2 }), "icon", "▼") : null,
          // removing sits apart from giving the floor, at the row's far end
          moderate ? button(t("queue.remove"), "queue.remove", () => ({ village: code }), "danger apart") : null));
    }));
  });
}

/** "Berlangsung · Acara: …" in the masthead. */
export function sessionState(live, el) {
  live.watch((changed) => {
    if (!changed.has("session")) return;
    const s = live.models.session;
    const item = s.current_item;
    el.textContent = t(`status.${s.status}`) + (item ? ` · ${t("agenda.current", { title: item.title })}` : "");
  });
}
