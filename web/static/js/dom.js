// A tiny element builder: every string becomes a text node, so nothing typed by a user is ever markup.

/** h("li", {class: "x", onclick: fn, dataset: {key: "a"}}, "text", child, [more]) */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name === "class") el.className = value;
    else if (name in el && typeof value !== "string") el[name] = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export const $ = (id) => document.getElementById(id);

/**
 * Replace a container's children, keeping keyboard focus on the element with the same
 * data-key, so a live update under a moderator's cursor does not throw the focus away.
 */
export function patch(container, ...nodes) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.key : undefined;
  container.replaceChildren();
  append(container, nodes);
  if (key) container.querySelector(`[data-key="${CSS.escape(key)}"]`)?.focus();
}

/** Show or hide an element. */
export function show(el, visible) {
  el.hidden = !visible;
}
