// raw_redis.mjs — a bare Redis client (RESP2 over a loopback TCP socket) for the cluster trust
// tests: it plays a client of the cluster's Redis that knows the Redis password but not the
// cluster's secret, and writes whatever bytes it wants on the cluster's channels.
//
//   const r = await RawRedis.connect(port, {user, password});  // AUTH when a password is given
//   await r.call("PUBLISH", channel, bytes)    → the reply (number, string, array, Error object)
//   r.onMessage((channel, payload: Buffer) => ...); await r.call("SUBSCRIBE", channel)
//   r.close()
// Also: seal(secret, node, channel, body) — the seal a node puts on its messages (docs/cluster.md
// "Trust"), computed independently of the C++ code, so a test can show that a message sealed
// with the right secret is accepted where the same message without it is not.
// Every call has a deadline; a connection is closed by close() or when the test process exits.
import crypto from "node:crypto";
import net from "node:net";

import { WAIT_MS, deferred, withTimeout } from "../conformance/helpers.mjs";

function encode(args) {
  const parts = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
  }
  return Buffer.concat(parts);
}

// One RESP2 value from buf at offset: [value, next offset], or null when incomplete.
function parse(buf, at) {
  const eol = buf.indexOf("\r\n", at);
  if (eol < 0) return null;
  const kind = String.fromCharCode(buf[at]);
  const line = buf.toString("utf8", at + 1, eol);
  switch (kind) {
    case "+": return [line, eol + 2];
    case "-": return [new Error(line), eol + 2];
    case ":": return [Number(line), eol + 2];
    case "$": {
      const n = Number(line);
      if (n < 0) return [null, eol + 2];
      if (buf.length < eol + 2 + n + 2) return null;
      return [buf.subarray(eol + 2, eol + 2 + n), eol + 2 + n + 2];
    }
    case "*": {
      const n = Number(line);
      const out = [];
      let next = eol + 2;
      for (let i = 0; i < n; i++) {
        const r = parse(buf, next);
        if (!r) return null;
        out.push(r[0]);
        next = r[1];
      }
      return [out, next];
    }
    default: throw new Error(`RESP: unexpected '${kind}'`);
  }
}

export class RawRedis {
  static async connect(port, { user = null, password = null } = {}) {
    const socket = net.connect(port, "127.0.0.1");
    const open = deferred();
    socket.once("connect", open.resolve);
    socket.once("error", open.reject);
    await withTimeout(open.promise, WAIT_MS, `a raw connection to redis on ${port}`);
    const r = new RawRedis(socket);
    if (password !== null) {
      const ok = await r.call("AUTH", ...(user ? [user] : []), password);
      if (ok instanceof Error) throw new Error(`raw client AUTH refused: ${ok.message}`);
    }
    return r;
  }

  constructor(socket) {
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.waiting = [];
    this.listeners = [];
    socket.on("data", (chunk) => this.#read(chunk));
    socket.on("error", () => {});
  }

  #read(chunk) {
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      const r = parse(this.buf, 0);
      if (!r) return;
      this.buf = this.buf.subarray(r[1]);
      const v = r[0];
      if (Array.isArray(v) && Buffer.isBuffer(v[0]) && v[0].toString() === "message") {
        for (const fn of this.listeners) fn(v[1].toString(), v[2]);
      } else {
        this.waiting.shift()?.resolve(v);
      }
    }
  }

  // The reply to one command (an Error object for an error reply).
  call(...args) {
    const d = deferred();
    this.waiting.push(d);
    this.socket.write(encode(args));
    return withTimeout(d.promise, WAIT_MS, `redis reply to ${args[0]}`);
  }

  onMessage(fn) {
    this.listeners.push(fn);
  }

  close() {
    this.socket.destroy();
  }
}

// The cluster key nodes derive from their secret, and the seal they put on a message.
export function clusterKey(secret) {
  return crypto.createHmac("sha256", secret).update("cohort cluster v1").digest();
}

// Stamps rise with every seal made here, as a node's do (two seals in one millisecond differ).
let lastStamp = 0n;
const nextStamp = () => (lastStamp = BigInt(Date.now()) << 20n > lastStamp ? BigInt(Date.now()) << 20n : lastStamp + 1n);

export function seal(secret, node, channel, body, stamp = nextStamp()) {
  const signed = Buffer.concat([
    Buffer.from(`${node.toString(16).padStart(8, "0")} ${stamp.toString(16).padStart(16, "0")}\n`),
    Buffer.isBuffer(body) ? body : Buffer.from(body),
  ]);
  const ch = Buffer.from(channel);
  const tag = crypto.createHmac("sha256", clusterKey(secret))
    .update(ch.length.toString(16).padStart(8, "0")).update(ch).update(signed).digest("base64url");
  return Buffer.concat([Buffer.from(`S1 ${tag} `), signed]);
}
