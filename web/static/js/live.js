// The staff's and the halls' live link to the hub: Socket.IO with the page's credential, `sync` for a snapshot,
// `update` pushes applied per read model (never going back to an older version) or, for the board,
// as the rows that changed, commands with acks, and a banner whenever the link is not up.
import { io } from "/vendor/socket.io/socket.io.esm.min.js";
import { ActionError, banner, describe, keyed, notify } from "./actions.js";
import { calibrate } from "./clock.js";
import { config, tMaybe } from "./i18n.js";
import { withRows } from "./shape.js";

export { ActionError, describe, notify }; // what the staff and village pages import from here

const SYNC_TIMEOUT_MS = 8000;
const ACK_TIMEOUT_MS = 10000;
const RESYNC_RETRY_MS = 2000;
const SERVER_DROP_RETRY_MS = 1000;

/** The link's credential (#t=…): kept for this tab, then taken out of the address bar. */
export function credential() {
  const key = `mh:token:${config.session}:${config.role}`;
  const given = new URLSearchParams(location.hash.slice(1)).get("t");
  if (given) {
    sessionStorage.setItem(key, given);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(key);
}

/** POST `body` (JSON text) to a hub route with this page's credential: the reply's JSON, or an
 *  ActionError with the hub's stable code. */
export async function postJson(path, body) {
  const token = credential();
  if (!token) throw new ActionError("unauthorized", "");
  const reply = await fetch(path, { method: "POST", body,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` } });
  const data = await reply.json().catch(() => ({}));
  if (!reply.ok) throw new ActionError(data.error ?? "unknown", data.message ?? "");
  return data;
}

/** The connection refusal's code (python-socketio puts the refusal's data in the message). */
function refusalCode(err) {
  return err.data?.error ?? /'error': '([a-z_]+)'/.exec(err.message ?? "")?.[1] ?? "unauthorized";
}

export class Live {
  constructor(auth) {
    this.models = {};
    this.versions = {};
    this.me = null;
    this.state = "connecting";
    this.listeners = [];
    this.keys = new Map(); // action (name and payload) → the key of its unsettled send
    this.catchUp = null; // the snapshot asked for after a missed push, while it is on its way
    this.socket = io({ auth, transports: ["websocket"], autoConnect: false,
                       reconnectionDelay: 500, reconnectionDelayMax: 5000 });
    this.socket.on("connect", () => this.resync());
    this.socket.on("disconnect", (reason) => {
      this.setState("offline");
      // A server-side drop is not retried by the client on its own; a hall must come back by itself.
      if (reason === "io server disconnect") setTimeout(() => this.socket.connect(), SERVER_DROP_RETRY_MS);
    });
    this.socket.on("connect_error", (err) => {
      if (this.socket.active) this.setState("offline");
      else this.setState(`refused_${refusalCode(err)}`, "refused");
    });
    this.socket.on("update", (data) => this.merge(data.version, data.models, data.rows));
  }

  start() {
    banner("connecting");
    this.socket.connect();
    return this;
  }

  setState(state, bannerState = state) {
    this.state = state;
    document.body.dataset.connection = bannerState === "refused" ? "refused" : state;
    banner(tMaybe(`conn.${state}`) ? state : bannerState);
    for (const fn of this.listeners) fn(new Set(["connection"]), this);
  }

  /** Call fn(changedNames, live) after every change of the models or of the connection. */
  watch(fn) {
    this.listeners.push(fn);
    return this;
  }

  merge(version, models, rows = {}) {
    const changed = new Set();
    for (const [name, value] of Object.entries(models ?? {})) {
      if ((this.versions[name] ?? -1) > version) continue; // an older push after a newer snapshot
      this.versions[name] = version;
      this.models[name] = value;
      changed.add(name);
    }
    let gap = false;
    for (const [name, { since, ...lists }] of Object.entries(rows ?? {})) {
      const have = this.versions[name];
      if (have === undefined || have > version) continue; // the snapshot on its way has them; or older
      if (have < since) { // a push was missed: these rows alone would leave the model wrong
        gap = true;
        continue;
      }
      this.versions[name] = version;
      this.models[name] = withRows(this.models[name], lists);
      changed.add(name);
    }
    if (changed.size) for (const fn of this.listeners) fn(changed, this);
    if (gap) this.catchUp ??= this.resync().finally(() => (this.catchUp = null));
  }

  /** Ask for a snapshot (on every (re)connect); returns the round trip in ms. */
  async resync() {
    const started = performance.now();
    try {
      const reply = await this.socket.timeout(SYNC_TIMEOUT_MS).emitWithAck("sync", {});
      if (!reply?.ok) throw new ActionError(reply?.error ?? "unknown", reply?.message ?? "");
      this.me = reply.me;
      calibrate(reply.now, performance.now() - started);
      this.setState("online");
      this.merge(reply.version, reply.models);
      return performance.now() - started;
    } catch (err) {
      if (err instanceof ActionError) notify(describe(err));
      if (this.socket.connected) setTimeout(() => this.resync(), RESYNC_RETRY_MS);
      return null;
    }
  }

  /** Send a command; resolves with the ack ({ok, version}) or throws an ActionError. */
  send(name, payload = {}) {
    return keyed(this.keys, name, payload, (body) => {
      if (!this.socket.connected) throw new ActionError("offline", "");
      return this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(name, body)
        .catch(() => { throw new ActionError("timeout", ""); });
    });
  }

  /** send(), with the button busy meanwhile and any failure shown in plain words; null on failure. */
  async act(name, payload = {}, button = null) {
    if (button) button.disabled = true;
    try {
      return await this.send(name, payload);
    } catch (err) {
      notify(describe(err));
      return null;
    } finally {
      if (button) button.disabled = false;
    }
  }
}

/** Connect this page with the link's credential (the public page follows over HTTP: follow.js). */
export function connectPage() {
  const token = credential();
  if (!token) {
    banner("missing");
    return null;
  }
  return new Live({ token }).start();
}
