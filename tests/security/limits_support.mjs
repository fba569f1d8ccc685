// limits_support.mjs — what the per-client limit tests (limits_*.test.mjs) share: reading a
// node's /metrics and its resident memory, a bystander's round-trip latency before and during an
// attack (printed, so that the figures can be reported), and clients bound to another loopback
// address (a bystander that is not the attacker's address).
//
//   metric(server, name, limit)        → the value of name{limit="<limit>"} (admin listener)
//   untilMetric(server, name, limit, pred, what)  → waits, with a deadline, for pred(value)
//   rssKb(server)                      → VmRSS of the node, in KiB (/proc/<pid>/status)
//   rssSampler(server)                 → {stop() → {before, peak, after}} sampling every 20 ms
//   latencyProbe(channel, {paceMs})    → {sample(n), during(promise)} round trips of "ping"
//   report(attack, before, during)     → prints the figures as a [limits] line
//   untilStderr(server, pred, what)    → waits until pred() holds after the node wrote to stderr
//   boundTransport(address)            → a `ws` class whose connections leave from address
//   rawRequest / rawUpgrade / rawGet   → one raw request from a chosen local address
// Every wait has a deadline; nothing sleeps in place of an event.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import WebSocket from "ws";

import { WAIT_MS, deferred, push, uniq, withTimeout } from "../conformance/helpers.mjs";
import { httpRequest } from "../conformance/wire.mjs";

// The value of `name{limit="<limit>"}` (or of `name` when limit is null) in the node's /metrics.
export async function metric(server, name, limit = null) {
  assert.ok(server.adminUrl, "metric(): start the node with {admin: true}");
  const r = await httpRequest(`${server.adminUrl}/metrics`);
  assert.equal(r.status, 200, `/metrics: ${r.body}`);
  const series = limit === null ? name : `${name}{limit="${limit}"}`;
  for (const line of r.body.split("\n")) {
    const space = line.lastIndexOf(" ");
    if (space > 0 && line.slice(0, space) === series) return Number(line.slice(space + 1));
  }
  throw new Error(`/metrics has no series ${series}:\n${r.body}`);
}

// Waits until pred(value of the series) holds, re-reading /metrics on each of the node's
// answers; rejects at the deadline with the last value.
export async function untilMetric(server, name, limit, pred, what, timeoutMs = WAIT_MS) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await metric(server, name, limit);
    if (pred(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${name}{limit="${limit}"} is ${last}`);
    await new Promise((resolve) => setImmediate(resolve)); // the next read is the next event
  }
}

// The node's resident set size in KiB.
export function rssKb(server) {
  const status = fs.readFileSync(`/proc/${server.proc.pid}/status`, "utf8");
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  assert.ok(m, `no VmRSS in /proc/${server.proc.pid}/status`);
  return Number(m[1]);
}

// Samples the node's RSS every 20 ms from now until stop(): {before, peak, after} in KiB.
export function rssSampler(server) {
  const before = rssKb(server);
  let peak = before;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssKb(server));
    } catch {
      // the node exited: the test's own assertions say so
    }
  }, 20);
  return {
    before,
    stop() {
      clearInterval(timer);
      const after = rssKb(server);
      peak = Math.max(peak, after);
      return { before, peak, after };
    },
  };
}

const round = (x) => Math.round(x * 100) / 100;

// Summary of round trips in ms: {n, p50, p99, max}.
function summary(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, p50: round(at(0.5)), p99: round(at(0.99)), max: round(s[s.length - 1]) };
}

// Round trips of the room's "ping" event on a bystander's channel, one after the other, at most
// one every paceMs (0: back to back). A bystander is a socket like any other: its probe stays
// under the socket's message rate (100 a second by default) itself.
export function latencyProbe(channel, { paceMs = 20 } = {}) {
  const once = async () => {
    const token = uniq("rtt");
    const t0 = performance.now();
    const reply = await push(channel, "ping", { token });
    const ms = performance.now() - t0;
    assert.deepEqual(reply, { status: "ok", response: { token } }, "the bystander's ping is answered");
    return ms;
  };
  const pace = () => (paceMs ? new Promise((resolve) => setTimeout(resolve, paceMs)) : Promise.resolve());
  return {
    // n round trips.
    async sample(n = 20) {
      const ms = [];
      for (let i = 0; i < n; i++) {
        ms.push(await once());
        await pace();
      }
      return summary(ms);
    },
    // Round trips for as long as `attack` (a promise) runs, and at least `min` of them.
    async during(attack, min = 5) {
      let done = false;
      const finished = attack.finally(() => (done = true));
      const ms = [];
      while (!done || ms.length < min) {
        ms.push(await once());
        if (!done) await pace();
      }
      await finished;
      return summary(ms);
    },
  };
}

// Prints a bystander's latency before and during an attack (the figures the report quotes).
export function report(attack, before, during, extra = "") {
  console.log(
    `[limits] ${attack}: bystander round trip before p50 ${before.p50} ms / p99 ${before.p99} ms / max ${before.max} ms (n=${before.n}); ` +
      `during p50 ${during.p50} ms / p99 ${during.p99} ms / max ${during.max} ms (n=${during.n})${extra ? `; ${extra}` : ""}`,
  );
}

// A `ws` WebSocket class (for phoenix's Socket transport option) whose connections leave from
// a given local address, e.g. 127.0.0.2: on Linux all of 127.0.0.0/8 is loopback, so a client
// from 127.0.0.2 is another address than the attacker's 127.0.0.1.
export function boundTransport(localAddress) {
  return class BoundWebSocket extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols, { localAddress });
    }
  };
}


// Resolves once pred() holds, checked now and after each chunk the node writes to stderr.
export function untilStderr(server, pred, what, timeoutMs = WAIT_MS) {
  if (pred()) return Promise.resolve();
  const d = deferred();
  const onData = () => setImmediate(() => pred() && d.resolve()); // after server.mjs appended it
  server.proc.stderr.on("data", onData);
  return withTimeout(d.promise, timeoutMs, what).finally(() => server.proc.stderr.off("data", onData));
}

// One request on a new connection from localAddress (default 127.0.0.1), written verbatim; resolves
// once the response head arrived: {status, head, sock}. A 101 or a keep-alive answer leaves the
// connection open (hold it, or sock.destroy() it); a refusal is followed by the node's close.
// lines: the request head without the final empty line.
export function rawRequest(port, lines, { localAddress = "127.0.0.1", timeoutMs = WAIT_MS } = {}) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: "127.0.0.1", port, localAddress });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no response head within ${timeoutMs} ms to ${lines[0]} from ${localAddress}`));
    }, timeoutMs);
    sock.on("connect", () => sock.write(`${lines.join("\r\n")}\r\n\r\n`));
    sock.on("error", () => {}); // a reset after a refusal: the head (or its absence) says enough
    const onData = (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      clearTimeout(timer);
      sock.off("data", onData).off("close", onClose);
      const head = buf.subarray(0, end).toString("latin1");
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), head, body: buf.subarray(end + 4).toString("utf8"), sock });
    };
    const onClose = () => {
      clearTimeout(timer);
      reject(new Error(`connection from ${localAddress} closed before a response head to ${lines[0]}`));
    };
    sock.on("data", onData).on("close", onClose);
  });
}

// A WebSocket upgrade of the Phoenix socket from localAddress with extra headers (e.g.
// X-Forwarded-For): rawRequest's answer.
export function rawUpgrade(port, { localAddress, headers = {}, path = "/socket/websocket?vsn=2.0.0" } = {}) {
  return rawRequest(port, [
    `GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, "Upgrade: websocket", "Connection: Upgrade",
    `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString("base64")}`, "Sec-WebSocket-Version: 13",
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ], { localAddress });
}

// GET path (keep-alive) from localAddress: rawRequest's answer.
export function rawGet(port, path, { localAddress, headers = {} } = {}) {
  return rawRequest(port, [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)], { localAddress });
}
