// @cohort/client — follows Cohort store keys and presence from JavaScript, over the official
// `phoenix` Socket (a peer dependency: the app creates and connects the socket).
//
// What it owns: a local copy of one store key's state, kept equal to the node's by applying the
// RFC 6902 patches the node broadcasts (with fast-json-patch), in version order; catching up with
// `since` after a gap, a "resync", a reconnect or a node restart; ops with an op_id, resent with
// the same id while the outcome is unknown (a reply lost with the connection, "unavailable" in a
// cluster fail-over), so each is applied at most once; locks whose lease is renewed until
// unlocked; a sorted presence list. The wire protocol is docs/protocol.md ("Store channel").
// What it must never do: apply a patch whose `from` is not the version it holds, resend an op
// under a new op_id, or report a refusal as anything but a StoreError whose `reason` is the wire
// name. Browsers and Node alike; no timers outlive leave().
import { Presence } from "phoenix";
import { applyPatch } from "fast-json-patch/index.mjs";

// Retries of one op while its outcome is unknown: up to `attempts` replies of "unavailable" or
// reply timeouts, waiting base · 2^n ms between them (capped at max, with jitter). The defaults
// ride out a cluster fail-over (a lease of 3 s, docs/cluster.md) with room to spare.
const RETRY_DEFAULTS = { attempts: 12, baseMs: 100, maxMs: 2000 };
// How long one attempt waits for its reply before it is resent (with the same op_id).
const REPLY_TIMEOUT_MS = 10_000;
// A lease is renewed when this fraction of its ttl has passed.
const RENEW_FRACTION = 1 / 3;

// A refusal from the node, or the client's own ("timeout": no reply after every retry; "left":
// the handle was left while the op waited). `reason` is the wire name (docs/protocol.md, "Store
// refusals"); `details` holds the whole reply ({reason, detail?, field?, path?, holder?, ...}).
export class StoreError extends Error {
  constructor(details) {
    const d = details && typeof details === "object" ? details : { reason: String(details ?? "unknown") };
    const reason = typeof d.reason === "string" ? d.reason : "unknown";
    super(d.detail ? `${reason}: ${d.detail}` : reason);
    this.name = "StoreError";
    this.reason = reason;
    this.details = d;
  }
}

// 36 characters, random: crypto.randomUUID where the page may use it (secure contexts, Node),
// else the same format from crypto.getRandomValues (which plain-http pages have too).
function randomId() {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === "function") return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const call = (fn, ...args) => {
  if (typeof fn === "function") fn(...args);
};

// Follows the store key `key` ("<kind>:<id>") on `socket` (a phoenix Socket of the node's
// /socket endpoint). Returns a StoreFollower at once; its first state arrives through onState
// (and `await follower.reached()`). See index.d.ts for the options.
export function followStore(socket, key, options = {}) {
  return new StoreFollower(socket, key, options);
}

export class StoreFollower {
  #socket;
  #opts;
  #retry;
  #channel = null;
  #joined = false; // the current channel has its join reply and may take pushes
  #left = false;
  #pending = new Set(); // ops without an outcome yet
  #leases = new Map(); // path -> {ttlMs, autoRenew, timer}: locks this handle holds
  #waiters = []; // {version, resolve, reject}

  constructor(socket, key, options = {}) {
    if (!socket || typeof socket.channel !== "function") throw new TypeError("followStore: socket must be a phoenix Socket");
    if (typeof key !== "string" || !key.includes(":")) throw new TypeError(`followStore: key must be "<kind>:<id>", got ${JSON.stringify(key)}`);
    if (options.since != null && options.state === undefined)
      throw new TypeError("followStore: `since` needs the `state` at that version (the base the patches apply to)");
    this.#socket = socket;
    this.#opts = options;
    this.#retry = { ...RETRY_DEFAULTS, ...(options.retry ?? {}) };
    this.key = key;
    this.topic = `store:${key}`;
    this.state = options.since != null ? options.state : undefined;
    this.version = options.since != null ? options.since : null; // null: no state yet
    this.locks = {};
    this.#join();
  }

  // Runs op `name` with `args`. Resolves {version} (the version it made, or the current one for
  // lock/unlock/renew); rejects with a StoreError. expectVersion: refused "conflict" unless the
  // key is at that version. While the socket is down the op waits and is sent after the rejoin.
  op(name, args = {}, { expectVersion } = {}) {
    if (this.#left) return Promise.reject(new StoreError({ reason: "left", detail: "the follower was left" }));
    const payload = { name, args, op_id: randomId() };
    if (expectVersion !== undefined) payload.expect_version = expectVersion;
    return new Promise((resolve, reject) => {
      const op = { payload, failures: 0, push: null, timer: null, resolve, reject };
      this.#pending.add(op);
      this.#send(op);
    });
  }

  // Takes the lock on `path` (a JSON Pointer). With ttlMs it is a lease, renewed every third of
  // ttlMs until unlock() or leave() unless autoRenew is false. A lock ends with the channel on
  // the node; after a rejoin the follower takes it again (onError hears if that is refused).
  async lock(path, { ttlMs, autoRenew = true } = {}) {
    const reply = await this.op("lock", ttlMs ? { path, ttl_ms: ttlMs } : { path });
    this.#dropLease(path);
    const lease = { ttlMs, autoRenew: autoRenew && !!ttlMs, timer: null };
    this.#leases.set(path, lease);
    this.#scheduleRenew(path, lease);
    return reply;
  }

  // Extends this handle's own lease on path (ttlMs: the new ttl; default the lock's).
  renew(path, { ttlMs } = {}) {
    const ttl = ttlMs ?? this.#leases.get(path)?.ttlMs;
    return this.op("renew", ttl ? { path, ttl_ms: ttl } : { path });
  }

  // Ends this handle's lock on path (and its renewals).
  unlock(path) {
    this.#dropLease(path);
    return this.op("unlock", { path });
  }

  // Resolves once the follower holds version `version` or later (0: its first state); rejects
  // with StoreError "left" if it is left first.
  reached(version = 0) {
    if (this.#left) return Promise.reject(new StoreError({ reason: "left" }));
    if (this.#joined && this.version !== null && this.version >= version) return Promise.resolve(this.version);
    return new Promise((resolve, reject) => this.#waiters.push({ version, resolve, reject }));
  }

  // Stops following: leaves the channel (the node ends this handle's locks), stops renewals,
  // and rejects every op still waiting with StoreError "left".
  leave() {
    if (this.#left) return;
    this.#left = true;
    this.#joined = false;
    for (const path of [...this.#leases.keys()]) this.#dropLease(path);
    for (const op of this.#pending) {
      clearTimeout(op.timer);
      op.push?.cancelTimeout();
      op.reject(new StoreError({ reason: "left", detail: "the follower was left" }));
    }
    this.#pending.clear();
    for (const w of this.#waiters.splice(0)) w.reject(new StoreError({ reason: "left" }));
    const channel = this.#channel;
    this.#channel = null;
    channel?.leave();
  }

  // --- the channel ---------------------------------------------------------------------------

  // A new channel instance on the topic; its join (and every rejoin phoenix makes after a
  // reconnect) carries the version held now, through the params function.
  #join() {
    const channel = this.#socket.channel(this.topic, () => this.#joinParams());
    const mine = (fn) => (...args) => {
      if (channel === this.#channel) fn(...args);
    };
    this.#channel = channel;
    this.#joined = false;
    channel.on("patch", mine((p) => this.#onPatch(p)));
    channel.on("lock", mine((p) => this.#onLock(p)));
    channel.on("unlock", mine((p) => this.#onUnlock(p)));
    channel.on("resync", mine(() => this.#rejoin()));
    channel.onError(mine(() => this.#onChannelDown()));
    channel
      .join()
      .receive("ok", mine((r) => this.#onJoined(r)))
      .receive("error", mine((r) => this.#onJoinRefused(r)))
      .receive("timeout", mine(() => this.#onChannelDown()));
  }

  #joinParams() {
    const t = this.#opts.token;
    const token = typeof t === "function" ? t() : t;
    const params = {};
    if (token) params.token = token;
    if (this.version !== null) params.since = this.version;
    return params;
  }

  // Leaves the current channel and joins a fresh one with since: the version held.
  #rejoin() {
    if (this.#left) return;
    this.#onChannelDown();
    const old = this.#channel;
    this.#channel = null;
    old?.leave();
    this.#join();
  }

  // The local copy cannot be trusted (a patch that does not apply, since ahead of the node):
  // the next join reads the whole state.
  #forgetAndRejoin() {
    this.version = null;
    this.state = undefined;
    this.#rejoin();
  }

  #onJoined(r) {
    if ("state" in r) {
      this.state = r.state;
    } else {
      for (const p of r.patches ?? []) {
        if (p.to <= this.version) continue;
        if (p.from !== this.version || !this.#apply(p.ops)) return this.#forgetAndRejoin();
        this.version = p.to;
      }
      if (this.version !== r.version) return this.#forgetAndRejoin();
    }
    this.version = r.version;
    this.locks = { ...(r.locks ?? {}) };
    this.#joined = true;
    call(this.#opts.onState, this.state, this.version);
    call(this.#opts.onLocks, this.locks);
    this.#wake();
    for (const [path, lease] of this.#leases) this.#retake(path, lease);
    for (const op of this.#pending) if (!op.push && !op.timer) this.#send(op);
  }

  #onJoinRefused(r) {
    this.#joined = false;
    // since is ahead of the node (its storage went back): start again from its state.
    if (r?.reason === "future_version") {
      this.version = null;
      this.state = undefined;
    }
    call(this.#opts.onError, new StoreError(r));  // phoenix retries the join (rejoinAfterMs)
  }

  // The socket dropped or the channel crashed: every op in flight lost its reply; each is sent
  // again, with its op_id, once the channel is back.
  #onChannelDown() {
    this.#joined = false;
    for (const op of this.#pending) {
      op.push?.cancelTimeout();
      op.push = null;
    }
  }

  #onPatch(p) {
    if (this.version === null || p.to <= this.version) return; // before the join reply, or seen
    if (p.from !== this.version) return this.#rejoin(); // a gap: catch up with since
    if (!this.#apply(p.ops)) return this.#forgetAndRejoin();
    this.version = p.to;
    call(this.#opts.onPatch, this.state, this.version, p.ops);
    this.#wake();
  }

  // Applies ops to a copy (the old state object is left as it was); false when they do not apply.
  #apply(ops) {
    try {
      this.state = applyPatch(this.state, ops, true, false).newDocument;
      return true;
    } catch {
      return false;
    }
  }

  #onLock(p) {
    const entry = { holder: p.holder };
    if (p.expires_in_ms !== undefined) entry.expires_in_ms = p.expires_in_ms;
    this.locks = { ...this.locks, [p.path]: entry };
    call(this.#opts.onLocks, this.locks);
  }

  #onUnlock(p) {
    const { [p.path]: _gone, ...rest } = this.locks;
    this.locks = rest;
    call(this.#opts.onLocks, this.locks);
  }

  #wake() {
    this.#waiters = this.#waiters.filter((w) => {
      if (this.version < w.version) return true;
      w.resolve(this.version);
      return false;
    });
  }

  // --- ops -----------------------------------------------------------------------------------

  // One attempt, when the channel may take it (else it waits for the join).
  #send(op) {
    if (!this.#joined || this.#left) return;
    const push = this.#channel.push("op", op.payload, this.#opts.replyTimeoutMs ?? REPLY_TIMEOUT_MS);
    op.push = push;
    const current = (fn) => (arg) => {
      if (op.push === push) fn(arg);
    };
    push
      .receive("ok", current((r) => this.#settle(op, () => op.resolve(r))))
      .receive("error", current((r) => (r?.reason === "unavailable" ? this.#again(op, r) : this.#settle(op, () => op.reject(new StoreError(r))))))
      .receive("timeout", current(() => this.#again(op, { reason: "timeout", detail: "no reply from the node" })));
  }

  #settle(op, fn) {
    op.push = null;
    this.#pending.delete(op);
    fn();
  }

  // The outcome is unknown: send the same op (same op_id) again after a backoff, or give up.
  #again(op, reply) {
    op.push = null;
    op.failures++;
    if (op.failures >= this.#retry.attempts) return this.#settle(op, () => op.reject(new StoreError(reply)));
    const { baseMs, maxMs } = this.#retry;
    const delay = Math.min(maxMs, baseMs * 2 ** (op.failures - 1)) * (0.5 + Math.random() / 2);
    op.timer = setTimeout(() => {
      op.timer = null;
      this.#send(op);
    }, delay);
  }

  // --- leases --------------------------------------------------------------------------------

  #scheduleRenew(path, lease) {
    if (!lease.autoRenew || this.#left) return;
    clearTimeout(lease.timer);
    lease.timer = setTimeout(() => this.#renewLease(path, lease), lease.ttlMs * RENEW_FRACTION);
  }

  #renewLease(path, lease) {
    lease.timer = null;
    if (this.#leases.get(path) !== lease) return;
    if (!this.#joined) return; // the rejoin takes the lock again
    this.op("renew", { path, ttl_ms: lease.ttlMs }).then(
      () => this.#leases.get(path) === lease && this.#scheduleRenew(path, lease),
      (err) => this.#lostLease(path, lease, err),
    );
  }

  // After a rejoin: the node ended the old channel's locks; take them again.
  #retake(path, lease) {
    clearTimeout(lease.timer);
    lease.timer = null;
    this.op("lock", lease.ttlMs ? { path, ttl_ms: lease.ttlMs } : { path }).then(
      () => this.#leases.get(path) === lease && this.#scheduleRenew(path, lease),
      (err) => this.#lostLease(path, lease, err),
    );
  }

  #lostLease(path, lease, err) {
    if (this.#leases.get(path) !== lease || err.reason === "left") return;
    this.#dropLease(path);
    err.details = { ...err.details, path };
    call(this.#opts.onError, err);
  }

  #dropLease(path) {
    const lease = this.#leases.get(path);
    if (!lease) return;
    clearTimeout(lease.timer);
    this.#leases.delete(path);
  }
}

// Presence on a phoenix channel (joined by the caller, before or after this call): onSync gets
// the list [{id, metas, count}] sorted by id after every change; onJoin / onLeave get phoenix's
// (id, current, changed). Returns {presence, list()}.
export function followPresence(channel, { onSync, onJoin, onLeave } = {}) {
  const presence = new Presence(channel);
  const list = () =>
    presence
      .list((id, { metas }) => ({ id, metas, count: metas.length }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  presence.onSync(() => call(onSync, list()));
  if (onJoin) presence.onJoin(onJoin);
  if (onLeave) presence.onLeave(onLeave);
  return { presence, list };
}
