// soak_clients.mjs — the well-behaved and the abusive clients of a soak run (soak_run.mjs), each
// written so that the run can check it at the end against the truth it kept:
//   Writer      appends 0, 1, 2, … to the items of a doc key, one op in flight, each op resent
//               with its op_id until it is acknowledged; moves to a fresh key every opsPerKey
//               ops. Truth: every key's items are exactly the sequence acknowledged.
//   Follower    follows the writer's current key, applies every patch to its own copy and checks
//               that versions chain; rejoins with `since` after any interruption.
//   Presence    a client of the presence room that the churn connects and disconnects. Truth:
//               who is joined right now.
//   LiveView    a /counter view joined the way the official LiveView client joins, mounted
//               again (new GET, new join) whenever its socket drops.
//   slowReader / flooder: a socket that stops reading while a topic is blasted at it, and one
//               that sends messages as fast as it can; both report what the node did to them.
// Nothing here waits without a deadline; pacing timers shape the load, they never stand in for
// an event.
import http from "node:http";
import { Socket } from "phoenix";
import WebSocket from "ws";

import { socketToken } from "../conformance/tokens.mjs";

export const PUSH_TIMEOUT_MS = 10_000;
const SOCKET_OPTS = { transport: WebSocket, timeout: PUSH_TIMEOUT_MS, reconnectAfterMs: () => 200, rejoinAfterMs: () => 300 };

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A phoenix Socket to node (a server.mjs handle, or a getter of the current one) that keeps
// reconnecting through restarts; `track` closes it at the end.
export function openSocket(urlOf, track, params = {}) {
  const socket = new Socket(urlOf(), { ...SOCKET_OPTS, params });
  socket.connect();
  track(() => socket.disconnect());
  return socket;
}

// One push with a deadline: resolves {status, response} for ok / error / timeout alike.
export function pushed(channel, event, payload, timeoutMs = PUSH_TIMEOUT_MS) {
  return new Promise((resolve) =>
    channel.push(event, payload, timeoutMs)
      .receive("ok", (response) => resolve({ status: "ok", response }))
      .receive("error", (response) => resolve({ status: "error", response }))
      .receive("timeout", () => resolve({ status: "timeout" })));
}

const editor = (sub) => ({ token: socketToken({ sub, roles: ["editor"] }) });

// ---- writers and their followers ---------------------------------------------------------------

export class Writer {
  constructor({ id, run, socket, opsPerKey, stats }) {
    Object.assign(this, { id, run, socket, opsPerKey, stats });
    this.keys = []; // {key, acked: [seq…]} in order of use
    this.gen = -1;
    this.nextKey();
  }

  nextKey() {
    this.channel?.leave();
    this.gen++;
    this.current = { key: `doc:soak-${this.run}-w${this.id}-${this.gen}`, acked: [] };
    this.keys.push(this.current);
    this.channel = this.socket.channel(`store:${this.current.key}`, editor(`writer-${this.id}`));
    this.channel.join(PUSH_TIMEOUT_MS);
    this.onKey?.(this.current.key);
  }

  // The next op, sent until acknowledged or until `giveUpAt`. Returns false if it gave up.
  async step(giveUpAt) {
    if (this.current.acked.length >= this.opsPerKey) this.nextKey();
    const seq = this.current.acked.length;
    const op = { name: "append", args: { item: seq }, op_id: `${this.current.key}#${seq}` };
    this.stats.sent++;
    for (let attempt = 0; Date.now() < giveUpAt; attempt++) {
      if (attempt) this.stats.resent++;
      const reply = await pushed(this.channel, "op", op);
      if (reply.status === "ok") {
        this.current.acked.push(seq);
        this.stats.acked++;
        return true;
      }
      const reason = reply.response?.reason ?? reply.status;
      this.stats.refusals[reason] = (this.stats.refusals[reason] ?? 0) + 1;
      await sleep(100); // back off before resending the same op_id
    }
    return false;
  }
}

// Follows the key a writer is on; its copy must end equal to what the node stores. It does what
// docs/cluster.md asks of a store client: a patch that does not start at its version (one was
// lost with a Redis outage) or a `resync` event makes it rejoin with `since` = its version.
export class Follower {
  constructor({ socket, problem }) {
    Object.assign(this, { socket, problem });
    this.rejoins = 0;
    this.gaps = 0;
  }

  follow(key) {
    this.subscribe({ key, version: 0, state: null, joins: 0 });
  }

  subscribe(f) {
    this.channel?.leave();
    this.f = f;
    const channel = this.socket.channel(`store:${f.key}`, () => ({ ...editor("follower"), ...(f.state ? { since: f.version } : {}) }));
    channel.on("patch", (p) => this.channel === channel && this.apply(f, p));
    channel.on("resync", () => this.channel === channel && this.subscribe(f));
    channel.join(PUSH_TIMEOUT_MS).receive("ok", (r) => this.channel === channel && this.joined(f, r));
    this.channel = channel;
  }

  joined(f, r) {
    if (f.joins++) this.rejoins++;
    if (r.state !== undefined) f.state = r.state;
    for (const p of r.patches ?? []) this.apply(f, p);
    f.version = r.version;
  }

  apply(f, p) {
    if (p.to <= f.version) return; // already had it (sent again around a rejoin)
    if (p.from !== f.version) {
      if (p.from < f.version) this.problem(`follower of ${f.key} at version ${f.version} got a patch from ${p.from} to ${p.to}`);
      this.gaps++;
      return this.subscribe(f);
    }
    f.state = applyPatch(f.state, p.ops);
    f.version = p.to;
  }
}

// The doc kind's patches are add / replace / remove on object members and "-" appends: enough
// of RFC 6902 for the soak's writers (the conformance tests check the full applier).
function applyPatch(state, ops) {
  const doc = structuredClone(state);
  for (const { op, path, value } of ops) {
    const parts = path.split("/").slice(1).map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
    const last = parts.pop();
    const parent = parts.reduce((node, p) => node[p], doc);
    if (Array.isArray(parent) && op === "add") parent.splice(last === "-" ? parent.length : Number(last), 0, value);
    else if (op === "remove") Array.isArray(parent) ? parent.splice(Number(last), 1) : delete parent[last];
    else parent[last] = value;
  }
  return doc;
}

// ---- presence ----------------------------------------------------------------------------------

export class PresenceMember {
  constructor({ user, urlOf, topic }) {
    Object.assign(this, { user, urlOf, topic });
    this.socket = null;
  }
  get joined() {
    return this.socket !== null;
  }
  join() {
    this.socket = new Socket(this.urlOf(), SOCKET_OPTS);
    this.socket.connect();
    this.socket.channel(this.topic, { user_id: this.user }).join(PUSH_TIMEOUT_MS);
  }
  leave() {
    this.socket?.disconnect();
    this.socket = null;
  }
}

// ---- live views --------------------------------------------------------------------------------

function get(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: PUSH_TIMEOUT_MS }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c) => (text += c)).on("end", () => resolve({ status: res.statusCode, text }));
    });
    req.on("timeout", () => req.destroy(new Error(`timeout: GET ${url}`)));
    req.on("error", reject);
  });
}

// A /counter view: GET the page, join its lv: topic on /live with the page's session and CSRF
// token; whenever the socket drops, it mounts again from a fresh GET (what the official client
// does after a failed rejoin).
export class LiveView {
  constructor({ baseOf, stats }) {
    Object.assign(this, { baseOf, stats });
    this.mounted = false;
    this.diffs = 0;
    this.closed = false;
  }

  async mount() {
    while (!this.closed) {
      try {
        await this.mountOnce();
        return;
      } catch {
        this.stats.mountRetries++;
        await sleep(300);
      }
    }
  }

  async mountOnce() {
    const base = this.baseOf();
    const page = await get(`${base}/counter`);
    const m = /<div id="(phx-[^"]+)" data-phx-main data-phx-session="([^"]+)"/.exec(page.text);
    const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page.text)?.[1];
    if (!m || !csrf) throw new Error(`GET /counter: ${page.status}`);
    const socket = new Socket(`${base.replace("http", "ws")}/live`, { ...SOCKET_OPTS, params: { _csrf_token: csrf } });
    const channel = socket.channel(`lv:${m[1]}`, { url: `${base}/counter`, params: { _csrf_token: csrf, _mounts: 0 }, session: m[2], static: null, sticky: false });
    channel.on("diff", () => this.diffs++);
    this.socket = socket;
    this.channel = channel;
    socket.connect();
    const reply = await new Promise((resolve) => channel.join(PUSH_TIMEOUT_MS)
      .receive("ok", () => resolve("ok")).receive("error", (e) => resolve(JSON.stringify(e))).receive("timeout", () => resolve("timeout")));
    if (reply !== "ok") {
      socket.disconnect();
      throw new Error(`join lv: ${reply}`);
    }
    this.mounted = true;
    this.stats.mounts++;
    socket.onError(() => this.remount());
  }

  // The socket dropped (a node restart): drop this mount and make a new one.
  remount() {
    if (!this.mounted || this.closed) return;
    this.mounted = false;
    this.socket.disconnect();
    this.mount();
  }

  click() {
    if (this.mounted) this.channel.push("event", { type: "click", event: "inc", value: { by: "1", value: "" } }, PUSH_TIMEOUT_MS);
  }

  close() {
    this.closed = true;
    this.socket?.disconnect();
  }
}

// ---- abusers -----------------------------------------------------------------------------------

// A raw WebSocket (ws) on /socket: joins topic, then stops reading while `blast` fills the topic.
// Resolves {closedByNode, code}: whether the node dropped it once it resumed reading.
export async function slowReader(wsUrl, topic, blast) {
  const ws = new WebSocket(`${wsUrl}/websocket?vsn=2.0.0`);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const joined = new Promise((resolve) => ws.once("message", resolve));
  ws.send(JSON.stringify(["1", "1", topic, "phx_join", { user_id: "slow" }]));
  await joined;
  ws._socket.pause(); // the kernel buffers fill, then the node's queue for it
  await blast();
  const closed = new Promise((resolve) => ws.once("close", (code) => resolve({ closedByNode: true, code })));
  ws._socket.resume();
  const result = await Promise.race([closed, sleep(PUSH_TIMEOUT_MS).then(() => ({ closedByNode: false, code: null }))]);
  ws.terminate();
  return result;
}

// Sends n heartbeats as fast as the socket takes them, then reports how they were answered.
export async function flooder(wsUrl, n) {
  const ws = new WebSocket(`${wsUrl}/websocket?vsn=2.0.0`);
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const seen = { ok: 0, refused: 0, closeCode: null };
  ws.on("message", (data) => (String(data).includes('"ok"') ? seen.ok++ : seen.refused++));
  const closed = new Promise((resolve) => ws.once("close", (code) => resolve((seen.closeCode = code))));
  for (let i = 0; i < n && ws.readyState === WebSocket.OPEN; i++) ws.send(JSON.stringify([null, String(i), "phoenix", "heartbeat", {}]));
  await Promise.race([closed, sleep(2000)]); // what the node answered within 2 s of the flood
  ws.terminate();
  return seen;
}
