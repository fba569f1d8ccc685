// helpers.mjs — the official `phoenix` client wired for node, plus event waits with deadlines.
//
// Every helper that waits takes a timeout and rejects with an error naming the topic and event it
// waited for; nothing here sleeps. Clients are created through a ClientPool, which a test file
// closes in afterEach/after, so no socket, reconnect or rejoin timer outlives its test.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { Presence, Socket } from "phoenix";
import WebSocket from "ws";

export const WAIT_MS = 5000; // default deadline for one expected event on loopback

// Resolves or rejects like `promise`, or rejects after ms with "timed out ... waiting for <what>".
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// A promise plus its resolve/reject, for callbacks registered before the event is provoked.
export function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const uniq = (prefix = "t") => `${prefix}-${crypto.randomBytes(4).toString("hex")}`;

// ---- sockets --------------------------------------------------------------------------------

// Test defaults: `ws` as the transport (node 20 has no global WebSocket), fast reconnects and
// rejoins so recovery tests take tenths of seconds, and a 5 s push timeout.
const SOCKET_DEFAULTS = {
  transport: WebSocket,
  timeout: WAIT_MS,
  reconnectAfterMs: () => 100,
  rejoinAfterMs: () => 200,
};

// Owns the phoenix sockets and raw clients of a test; closeAll() disconnects them all.
export class ClientPool {
  constructor() {
    this.sockets = [];
    this.closers = [];
  }

  // A phoenix Socket for server (not yet connected). opts go to the Socket constructor.
  socket(server, opts = {}) {
    const logger = process.env.COHORT_TEST_DEBUG ? (kind, msg, data) => console.error(`[phx] ${kind}: ${msg}`, data ?? "") : undefined;
    const socket = new Socket(server.wsUrl, { ...SOCKET_DEFAULTS, logger, ...opts });
    this.sockets.push(socket);
    return socket;
  }

  // A connected phoenix Socket.
  async connected(server, opts = {}) {
    const socket = this.socket(server, opts);
    await connect(socket);
    return socket;
  }

  // A connected socket with a joined channel: {socket, channel, response}.
  async joined(server, topic, { params = {}, socketOpts = {} } = {}) {
    const socket = await this.connected(server, socketOpts);
    const { channel, response } = await joinChannel(socket, topic, params);
    return { socket, channel, response };
  }

  // Registers something else to close (a RawWebSocket, a WsClient): fn is called by closeAll().
  track(fn) {
    this.closers.push(fn);
  }

  async closeAll() {
    const sockets = this.sockets.splice(0);
    const closers = this.closers.splice(0);
    for (const fn of closers) fn();
    await Promise.all(sockets.map((s) => disconnect(s).catch(() => {})));
  }
}

// Connects and resolves on open; rejects if the socket errors first or does not open in time.
export function connect(socket, timeoutMs = WAIT_MS) {
  const d = deferred();
  const refs = [socket.onOpen(() => d.resolve()), socket.onError((e) => d.reject(new Error(`socket error before open: ${e?.message ?? e}`)))];
  socket.connect();
  return withTimeout(d.promise, timeoutMs, `socket open (${socket.endPointURL()})`).finally(() => socket.off(refs));
}

// Disconnects and waits for the client to finish (it waits for the transport to close).
export function disconnect(socket, timeoutMs = WAIT_MS) {
  const d = deferred();
  socket.disconnect(() => d.resolve());
  return withTimeout(d.promise, timeoutMs, "socket disconnect");
}

// Resolves with the argument of the next socket-level callback: kind is "open", "close" or "error".
export function nextSocketEvent(socket, kind, timeoutMs = WAIT_MS) {
  const d = deferred();
  const register = { open: "onOpen", close: "onClose", error: "onError" }[kind];
  const ref = socket[register]((arg) => d.resolve(arg));
  return withTimeout(d.promise, timeoutMs, `socket ${kind}`).finally(() => socket.off([ref]));
}

// Resolves with the next decoded message ({join_ref, ref, topic, event, payload}) the socket
// receives for which pred holds. Register it before provoking the message.
export function nextSocketMessage(socket, pred, timeoutMs = WAIT_MS, what = "a matching socket message") {
  const d = deferred();
  const ref = socket.onMessage((msg) => {
    if (pred(msg)) d.resolve(msg);
  });
  return withTimeout(d.promise, timeoutMs, what).finally(() => socket.off([ref]));
}

// Records every decoded message matching pred until off() is called: {list, off(), waitFor(n)}.
export function recordSocketMessages(socket, pred = () => true) {
  const list = [];
  let waiter = null;
  const ref = socket.onMessage((msg) => {
    if (!pred(msg)) return;
    list.push(msg);
    if (waiter && list.length >= waiter.n) waiter.d.resolve(list.slice());
  });
  return {
    list,
    off: () => socket.off([ref]),
    // Resolves with the list once it holds n messages.
    waitFor(n, timeoutMs = WAIT_MS, what = `${n} messages`) {
      if (list.length >= n) return Promise.resolve(list.slice());
      waiter = { n, d: deferred() };
      return withTimeout(waiter.d.promise, timeoutMs, `${what} (have ${list.length})`);
    },
  };
}

// ---- channels -------------------------------------------------------------------------------

// Joins and resolves with the first outcome {status: "ok"|"error"|"timeout", response}. The
// client's join push keeps its hooks across rejoins; later outcomes are ignored here.
export function joinResult(channel, timeoutMs = WAIT_MS) {
  const d = deferred();
  channel
    .join(timeoutMs)
    .receive("ok", (response) => d.resolve({ status: "ok", response }))
    .receive("error", (response) => d.resolve({ status: "error", response }))
    .receive("timeout", () => d.resolve({ status: "timeout", response: null }));
  return withTimeout(d.promise, timeoutMs + 1000, `join reply on ${channel.topic}`);
}

// Creates a channel on socket, joins it and resolves to {channel, response}; a refused join rejects.
export async function joinChannel(socket, topic, params = {}, timeoutMs = WAIT_MS) {
  const channel = socket.channel(topic, params);
  const r = await joinResult(channel, timeoutMs);
  if (r.status !== "ok") throw new Error(`join ${topic}: ${r.status} ${JSON.stringify(r.response)}`);
  return { channel, response: r.response };
}

// Pushes and resolves to the reply {status, response}; rejects when no reply comes in time.
export function push(channel, event, payload = {}, timeoutMs = WAIT_MS) {
  const d = deferred();
  channel
    .push(event, payload, timeoutMs)
    .receive("ok", (response) => d.resolve({ status: "ok", response }))
    .receive("error", (response) => d.resolve({ status: "error", response }))
    .receive("timeout", () => d.reject(new Error(`no reply to "${event}" on ${channel.topic} within ${timeoutMs} ms`)));
  return withTimeout(d.promise, timeoutMs + 1000, `reply to "${event}" on ${channel.topic}`);
}

// Pushes an event that gets no reply (shout, push_back): the client's reply timer is dropped so it
// neither fires later nor keeps the process alive. Only valid on a joined channel.
export function cast(channel, event, payload = {}) {
  assert.ok(channel.canPush(), `cast "${event}": ${channel.topic} is not joined`);
  channel.push(event, payload).cancelTimeout();
}

// Resolves with the payload of the next `event` on channel.
export function nextEvent(channel, event, timeoutMs = WAIT_MS) {
  const d = deferred();
  const ref = channel.on(event, (payload) => d.resolve(payload));
  return withTimeout(d.promise, timeoutMs, `"${event}" on ${channel.topic}`).finally(() => channel.off(event, ref));
}

// Resolves with the payloads of the next n `event`s on channel, in arrival order.
export function collectEvents(channel, event, n, timeoutMs = WAIT_MS) {
  const d = deferred();
  const got = [];
  const ref = channel.on(event, (payload) => {
    got.push(payload);
    if (got.length === n) d.resolve(got);
  });
  return withTimeout(d.promise, timeoutMs, `${n} "${event}" events on ${channel.topic}`)
    .catch((err) => {
      err.message += ` (got ${got.length})`;
      throw err;
    })
    .finally(() => channel.off(event, ref));
}

// ---- binary ---------------------------------------------------------------------------------

// An ArrayBuffer holding bytes (a Uint8Array or an array of numbers), as the client wants it.
export function arrayBuffer(bytes) {
  const u8 = Uint8Array.from(bytes);
  return u8.buffer;
}

export function assertBytes(actual, expected, what = "bytes") {
  assert.ok(actual instanceof ArrayBuffer, `${what}: expected an ArrayBuffer, got ${Object.prototype.toString.call(actual)} ${JSON.stringify(actual)}`);
  assert.deepEqual(Buffer.from(actual), Buffer.from(expected), what);
}

// ---- the well-behaved bystander -------------------------------------------------------------

// A client that joins its own room and can prove, at any time, that the node still serves it:
// check() asserts a ping reply and a shout broadcast (round trip through PubSub) both arrive.
// socketOpts go to the Socket (e.g. heartbeatIntervalMs to outlive a short idle timeout).
export async function bystander(pool, server, topic = uniq("room:bystander"), socketOpts = {}) {
  const { socket, channel } = await pool.joined(server, topic, { params: { user_id: "bystander" }, socketOpts });
  const closes = [];
  socket.onClose((e) => closes.push(e));
  return {
    socket,
    channel,
    async check(what = "after the bad input") {
      assert.equal(closes.length, 0, `bystander socket was closed ${what}: ${JSON.stringify(closes.map((e) => e?.code))}`);
      const token = uniq("ping");
      const reply = await push(channel, "ping", { token });
      assert.deepEqual(reply, { status: "ok", response: { token } }, `bystander ping ${what}`);
      const shout = uniq("shout");
      const heard = deferred();
      const ref = channel.on("shout", (p) => p?.shout === shout && heard.resolve(p));
      cast(channel, "shout", { shout });
      await withTimeout(heard.promise, WAIT_MS, `bystander shout ${what}`).finally(() => channel.off("shout", ref));
    },
  };
}

// ---- presence -------------------------------------------------------------------------------

// A joined room client with a phoenix.js Presence attached: {socket, channel, presence, user,
// onSync(fn), onJoin(fn), onLeave(fn), log, reconnects()}. The Presence's onJoin / onLeave /
// onSync callbacks (one each in phoenix.js) fan out to every fn registered here, and every
// onJoin / onLeave call is also recorded in `log` from the first presence_state on, as
// {kind: "join"|"leave", key, current, changed}: `current` is the key's presence as the
// callback saw it (undefined for a new key; for a leave, what remains), `changed` the joined /
// left presence; both deep-copied. reconnects() counts socket re-opens after the first one
// (an idle close, a dropped connection). socketOpts go to the Socket.
export async function presenceClient(pool, server, topic, user, socketOpts = {}) {
  const socket = await pool.connected(server, socketOpts);
  let reopened = 0;
  socket.onOpen(() => reopened++);
  const channel = socket.channel(topic, { user_id: user });
  const presence = new Presence(channel);
  const fns = { sync: [], join: [], leave: [] };
  const log = [];
  const copy = (p) => (p === undefined ? undefined : structuredClone({ ...p }));
  presence.onSync(() => fns.sync.forEach((fn) => fn()));
  presence.onJoin((key, current, joined) => {
    log.push({ kind: "join", key, current: copy(current), changed: copy(joined) });
    fns.join.forEach((fn) => fn(key, current, joined));
  });
  presence.onLeave((key, current, left) => {
    log.push({ kind: "leave", key, current: copy(current), changed: copy(left) });
    fns.leave.forEach((fn) => fn(key, current, left));
  });
  const joined = deferred();
  channel.join(WAIT_MS).receive("ok", () => joined.resolve()).receive("error", (e) => joined.reject(new Error(JSON.stringify(e))));
  await withTimeout(joined.promise, WAIT_MS, `join ${topic} as ${user} on ${server.url}`);
  return {
    socket,
    channel,
    presence,
    user,
    log,
    reconnects: () => reopened,
    onSync: (fn) => fns.sync.push(fn),
    onJoin: (fn) => fns.join.push(fn),
    onLeave: (fn) => fns.leave.push(fn),
  };
}

// {key: [sorted meta descriptions]} of what a phoenix.js Presence lists (presence.list()), for
// comparisons and failure messages. Keys come out sorted.
export function presenceView(presence, describe = (m) => m.status ?? "-") {
  const entries = presence.list((key, { metas }) => [key, metas.map(describe).sort()]);
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

// The same view of a raw {key: {metas}} object (a presence_state payload), through the
// client's static Presence.list.
export const stateView = (state, describe) => presenceView({ list: (by) => Presence.list(state, by) }, describe);

// A predicate for untilPresence: the keys presence.list() gives are exactly `want`.
export const sameKeys = (want) => (p) => JSON.stringify(p.list((key) => key).sort()) === JSON.stringify([...want].sort());

// Resolves once pred(client.presence) holds, re-checking on every sync; rejects at the deadline
// with the last view seen.
export function untilPresence(client, pred, what, timeoutMs = WAIT_MS) {
  const d = deferred();
  const check = () => pred(client.presence) && d.resolve();
  client.onSync(check);
  check();
  return withTimeout(d.promise, timeoutMs, `${client.user}: ${what}`).catch((err) => {
    err.message += ` — last view ${JSON.stringify(presenceView(client.presence))}`;
    throw err;
  });
}
