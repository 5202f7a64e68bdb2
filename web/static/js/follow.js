// The public page's live link: the public snapshot polled over plain HTTP (/s/{id}/live.json, which a
// cache in front answers for thousands of citizens at the cost of one request a second to the hub),
// and "Dukung" as a POST that carries the hub's browser cookie. No Socket.IO connection: the same
// models, watch() and send() as live.js's Live, so the views do not know the difference.
import { ActionError, banner, keyed } from "./actions.js";
import { calibrate } from "./clock.js";
import { config } from "./i18n.js";

const POLL_MS = 1000;
const BACKOFF_MAX_MS = 8000; // a hub or cache that does not answer is asked again less and less often
const ACK_TIMEOUT_MS = 10000;
const COMMANDS = { "support.give": "support" }; // what a citizen may do, and where it is posted

export class Follower {
  constructor(session) {
    this.base = `/s/${encodeURIComponent(session)}`;
    this.models = {};
    this.version = -1;
    this.etag = null;
    this.held = {}; // model → its JSON as last shown, to tell the views only what changed
    // the page's scripts never see the HttpOnly cookie; the page was told whether it holds one
    this.me = { kind: "public", id: null, browser: config.browser === true };
    this.state = "connecting";
    this.listeners = [];
    this.keys = new Map();
    this.failures = 0;
  }

  start() {
    banner("connecting");
    this.poll();
    return this;
  }

  /** Call fn(changedNames, live) after every change of the models or of the connection. */
  watch(fn) {
    this.listeners.push(fn);
    return this;
  }

  tell(changed) {
    for (const fn of this.listeners) fn(changed, this);
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    document.body.dataset.connection = state;
    banner(state);
    this.tell(new Set(["connection"]));
  }

  async poll() {
    try {
      // the ETag is sent by hand and the browser's own cache left out, so a 304 reaches this code as one
      const response = await fetch(`${this.base}/live.json`, {
        cache: "no-store", headers: this.etag ? { "If-None-Match": this.etag } : {} });
      if (response.status === 200) {
        const body = await response.json();
        if (body.version >= this.version) this.take(body, response.headers.get("ETag"));
      } else if (response.status !== 304) {
        throw new Error(`HTTP ${response.status}`);
      }
      this.failures = 0;
      this.setState("online");
    } catch {
      this.failures += 1;
      this.setState("offline");
    }
    setTimeout(() => this.poll(), Math.min(POLL_MS * 2 ** this.failures, BACKOFF_MAX_MS));
  }

  take(body, etag) {
    this.version = body.version;
    this.etag = etag;
    const changed = new Set();
    for (const [name, value] of Object.entries(body.models)) {
      const text = JSON.stringify(value);
      if (this.held[name] === text) continue;
      this.held[name] = text;
      this.models[name] = value;
      changed.add(name);
    }
    if (changed.size) this.tell(changed);
  }

  /** Send a citizen's command; resolves with the ack ({ok, version}) or throws an ActionError. */
  send(name, payload = {}) {
    const path = COMMANDS[name];
    if (!path) return Promise.reject(new ActionError("forbidden", ""));
    return keyed(this.keys, name, payload, async (body) => {
      const started = performance.now();
      let response;
      try {
        response = await fetch(`${this.base}/${path}`, {
          method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
          signal: AbortSignal.timeout(ACK_TIMEOUT_MS) });
      } catch (err) {
        throw new ActionError(err.name === "TimeoutError" ? "timeout" : "offline", "");
      }
      const ack = await response.json().catch(() => ({ ok: false, error: "internal" }));
      if (ack.ok) calibrate(ack.now, performance.now() - started);
      return ack;
    });
  }
}

/** Follow this page's session. */
export function follow() {
  return new Follower(config.session).start();
}
