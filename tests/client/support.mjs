// support.mjs — what the tests of @cohort/client (clients/js) share: phoenix sockets that record
// what they send and receive, followers made with the client under test, and waits with
// deadlines on the client's own callbacks. Built on tests/conformance (server.mjs, helpers.mjs,
// tokens.mjs); nothing here sleeps.
import assert from "node:assert/strict";

import { followStore } from "../../clients/js/index.js";
import { ClientPool, WAIT_MS, deferred, withTimeout } from "../conformance/helpers.mjs";
import { secretOf, socketToken } from "../conformance/tokens.mjs";

export { WAIT_MS, deferred, withTimeout };

// A ClientPool whose sockets keep a log of the frames they push (phoenix's logger) and receive:
// socket.sent is [{topic, event, ref, payload}], socket.received [{topic, event, ref, payload}].
export class RecordingPool extends ClientPool {
  socket(server, opts = {}) {
    const sent = [];
    const logger = (kind, msg, data) => {
      if (kind !== "push") return;
      const m = /^(\S+) (\S+) \((\S+), (\S+)\)$/.exec(msg);
      if (m) sent.push({ topic: m[1], event: m[2], joinRef: m[3], ref: m[4], payload: data });
    };
    const socket = super.socket(server, { logger, ...opts });
    socket.sent = sent;
    socket.received = [];
    socket.onMessage((msg) => socket.received.push(msg));
    return socket;
  }
}

// The socket token of an actor for server (default: an editor, who may create and change docs).
export const tokenFor = (server, claims = { sub: "ed", name: "Ed", roles: ["editor"] }) =>
  socketToken(claims, { secret: secretOf(server) });

// A follower of key made with followStore on a new connected socket of pool, recording what its
// callbacks saw: f.log is [{kind: "state"|"patch", version}], f.errors the StoreErrors, and
// f.until(pred, what) waits until pred() holds, re-checked after every callback.
export async function follow(pool, server, key, { claims, socket, ...options } = {}) {
  const s = socket ?? (await pool.connected(server));
  const checks = [];
  const recheck = () => checks.splice(0).forEach((c) => (c() ? null : checks.push(c)));
  const log = [];
  const errors = [];
  const handle = followStore(s, key, {
    token: tokenFor(server, claims),
    ...options,
    onState: (state, version) => (log.push({ kind: "state", version }), options.onState?.(state, version), recheck()),
    onPatch: (state, version, ops) => (log.push({ kind: "patch", version }), options.onPatch?.(state, version, ops), recheck()),
    onLocks: (locks) => (options.onLocks?.(locks), recheck()),
    onError: (e) => (errors.push(e), options.onError?.(e), recheck()),
  });
  handle.socket = s;
  handle.log = log;
  handle.errors = errors;
  handle.until = (pred, what, ms = WAIT_MS) => {
    const d = deferred();
    const check = () => (pred() ? (d.resolve(), true) : false);
    if (!check()) checks.push(check);
    return withTimeout(d.promise, ms, what);
  };
  await withTimeout(handle.reached(), WAIT_MS, `the first state of ${key}`);
  return handle;
}

// The versions a follower saw after its first state rise without a gap: every patch is its
// predecessor's version + 1 (each op of a plain kind makes one version), and a state after a
// rejoin is never behind what it held.
export function assertContinuous(f) {
  let last = null;
  for (const e of f.log) {
    if (last !== null) {
      if (e.kind === "patch") assert.equal(e.version, last + 1, `patch after version ${last}: ${JSON.stringify(f.log)}`);
      else assert.ok(e.version >= last, `a rejoin went back from ${last} to ${e.version}`);
    }
    last = e.version;
  }
}

// The key's state and version as the node has it now: a fresh join without since.
export async function serverState(pool, server, key) {
  const { channel, response } = await pool.joined(server, `store:${key}`, { params: { token: tokenFor(server) } });
  channel.leave();
  return response;
}

// The replies refused with `reason` that socket received, each with the op_id its push carried.
export function refusedOps(socket, reason) {
  const opIds = new Map(socket.sent.filter((s) => s.event === "op").map((s) => [s.ref, s.payload.op_id]));
  return socket.received
    .filter((m) => m.event === "phx_reply" && m.payload?.status === "error" && m.payload.response?.reason === reason)
    .map((m) => ({ ref: m.ref, opId: opIds.get(m.ref) }));
}

// How many times each op_id was pushed on socket.
export function sendsPerOpId(socket) {
  const n = new Map();
  for (const s of socket.sent) if (s.event === "op") n.set(s.payload.op_id, (n.get(s.payload.op_id) ?? 0) + 1);
  return n;
}
