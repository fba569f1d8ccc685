// limits_socket.test.mjs — what one socket may make a node do or hold (docs/security.md, "Limits
// per client"): messages per second (/socket and /live), channels joined, replies owed, control
// frames against the outbound queue, a non-reader's replies, and crash logs of client strings.
//
// Each attack runs against a real node and asserts the refusal (reply reason, close code, the
// /metrics counter) and that a bystander on its own socket is still served; the bystander's
// round trip is measured before and during the attack and printed ([limits] lines). The
// bystander paces its pings 25 ms apart: under the 50 messages a second its own socket may send.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { bystander, ClientPool, push, uniq, WAIT_MS } from "../conformance/helpers.mjs";
import { startServer } from "../conformance/server.mjs";
import { follower } from "../conformance/store_client.mjs";
import { OP, RawWebSocket } from "../conformance/wire.mjs";
import { latencyProbe, metric, report, rssSampler, untilMetric, untilStderr } from "./limits_support.mjs";

const RATE = 50; // --socket-messages-per-s
const BURST = 100; // --socket-message-burst
const PACE_MS = 25; // the bystander's probe: 40 round trips a second at most

const pool = new ClientPool();

// Reads phx_reply frames of a raw socket until n replies came or the socket closed: {ok,
// limited, other, close}.
async function readReplies(raw, n, timeoutMs = 10_000) {
  const out = { ok: 0, limited: 0, other: [], close: null };
  const deadline = Date.now() + timeoutMs;
  while (out.ok + out.limited + out.other.length < n) {
    const f = await raw.next(Math.max(1, deadline - Date.now()), `reply ${out.ok + out.limited + out.other.length + 1} of ${n}`);
    if (!f) break;
    if (f.opcode === OP.close) {
      out.close = { code: f.payload.readUInt16BE(0), reason: f.payload.subarray(2).toString("utf8") };
      break;
    }
    if (f.opcode !== OP.text) continue;
    const [, , , event, payload] = JSON.parse(f.payload.toString("utf8"));
    if (event !== "phx_reply") continue;
    if (payload.status === "ok") out.ok++;
    else if (payload.response?.reason === "rate_limited") out.limited++;
    else out.other.push(payload);
  }
  return out;
}

// Reads a raw socket to its close frame: {code, reason, frames}.
async function readToClose(raw, timeoutMs = 15_000) {
  const { code, reason, before: frames, closeFrame } = await raw.closed(timeoutMs);
  assert.ok(closeFrame, `the node ended the connection without a close frame after ${frames.length} frames`);
  return { code, reason, frames };
}

describe(`one socket's messages, channels and replies (--socket-messages-per-s ${RATE} --socket-message-burst ${BURST})`, () => {
  let server;
  let watcher;
  let probe;
  const longLived = new ClientPool();
  before(async () => {
    server = await startServer({
      admin: true,
      args: ["--socket-messages-per-s", String(RATE), "--socket-message-burst", String(BURST),
             "--socket-max-channels", "5", "--socket-max-pending-replies", "4",
             // The crash test below counts one clipped line per crash: crash lines are
             // rate-limited (10 a second by default; conformance_logging tests that limit).
             "--log-limit-per-s", "1000"],
    });
    watcher = await bystander(longLived, server, uniq("room:bystander"));
    probe = latencyProbe(watcher.channel, { paceMs: PACE_MS });
  });
  after(async () => {
    await pool.closeAll();
    await longLived.closeAll();
    await server?.kill();
  });

  test("a burst past the rate is answered rate_limited; a flood is closed with 1008; the bystander is served", async () => {
    const raw = await RawWebSocket.connect(server.port);
    pool.track(() => raw.destroy());
    const topic = uniq("room:flood");
    raw.sendJson(["1", "1", topic, "phx_join", {}]);
    assert.deepEqual((await raw.nextJson(WAIT_MS, "join reply"))[4], { status: "ok", response: {} });
    const refusedBefore = await metric(server, "cohort_limit_refusals_total", "socket_messages");
    const closesBefore = await metric(server, "cohort_limit_closes_total", "socket_messages");

    // 150 pings at once: the burst (100, one spent on the join) is served, the rest refused.
    const N = 150;
    const t0 = performance.now();
    for (let i = 0; i < N; i++) raw.sendJson(["1", String(i + 2), topic, "ping", { i }]);
    const burst = await readReplies(raw, N);
    const refilled = Math.ceil((RATE * (performance.now() - t0)) / 1000); // tokens the rate added meanwhile
    assert.equal(burst.close, null, "a burst of 150 (less than burst + overdraft) must not close the socket");
    assert.deepEqual(burst.other, [], "every reply is ok or rate_limited");
    assert.ok(burst.ok >= BURST - 1 && burst.ok <= BURST + refilled, `served ${burst.ok} of ${N} (burst ${BURST}, ${refilled} refilled)`);
    assert.equal(burst.ok + burst.limited, N);
    assert.equal(await metric(server, "cohort_limit_refusals_total", "socket_messages"), refusedBefore + burst.limited);

    // Now a client that ignores the refusals: 2,000 more, as fast as it can write them.
    const before = await probe.sample();
    const flood = (async () => {
      for (let i = 0; i < 2000; i++) raw.sendJson(["1", String(i + 1000), topic, "ping", { i }]);
      return readToClose(raw);
    })();
    const during = await probe.during(flood);
    const { code, reason, frames } = await flood;
    assert.equal(code, 1008, `close code (reason ${JSON.stringify(reason)})`);
    assert.match(reason, /rate limit/);
    const replies = frames.filter((f) => f.opcode === OP.text).map((f) => JSON.parse(f.payload)[4]);
    const served = replies.filter((p) => p.status === "ok").length;
    const limited = replies.filter((p) => p.response?.reason === "rate_limited").length;
    // At most what the rate refilled since the burst (never more than a burst), then refusals
    // until the overdraft is spent, then the close.
    assert.ok(served <= BURST, `served ${served} of the flood`);
    assert.ok(limited >= 1 && served + limited < 2000, `${limited} refused before the close`);
    assert.equal(await metric(server, "cohort_limit_closes_total", "socket_messages"), closesBefore + 1);
    report("message flood (2,000 pings at once after a spent burst)", before, during,
      `closed 1008 "${reason}" after ${served} served and ${limited} refused; ${burst.limited} of 150 refused rate_limited first`);
    await watcher.check("after the message flood");
  });

  test("/live sockets are limited the same way: heartbeats past the rate are refused, a flood is closed", async () => {
    const raw = await RawWebSocket.connect(server.port, { path: "/live/websocket?vsn=2.0.0" });
    pool.track(() => raw.destroy());
    const before = await probe.sample(10);
    const t0 = performance.now();
    const flood = (async () => {
      for (let i = 0; i < 1000; i++) raw.sendJson([null, String(i + 1), "phoenix", "heartbeat", {}]);
      const replies = await readReplies(raw, 1000);
      return replies;
    })();
    const during = await probe.during(flood);
    const replies = await flood;
    const refilled = Math.ceil((RATE * (performance.now() - t0)) / 1000);
    assert.ok(replies.ok >= BURST && replies.ok <= BURST + refilled, `heartbeats served: ${replies.ok} (${refilled} refilled)`);
    assert.ok(replies.limited >= BURST - 10, `heartbeats refused rate_limited: ${replies.limited}`);
    assert.ok(replies.close, `the flood is closed (served ${replies.ok}, refused ${replies.limited})`);
    assert.equal(replies.close.code, 1008);
    report("/live heartbeat flood (1,000 at once)", before, during, `closed 1008 after ${replies.ok} served, ${replies.limited} refused`);
    await watcher.check("after the /live flood");
  });

  test("pings count toward the rate: a ping flood is closed with 1008", async () => {
    const raw = await RawWebSocket.connect(server.port);
    pool.track(() => raw.destroy());
    const empty = Buffer.from([0x89, 0x80, 0, 0, 0, 0]); // a masked ping without payload
    raw.sock.write(Buffer.concat(Array.from({ length: 5000 }, () => empty)));
    const { code, reason, frames } = await readToClose(raw);
    assert.equal(code, 1008, `close code (reason ${JSON.stringify(reason)})`);
    const pongs = frames.filter((f) => f.opcode === OP.pong).length;
    assert.ok(pongs <= BURST, `at most the burst of pings is answered (${pongs} pongs)`);
    await watcher.check("after the ping flood");
  });

  test("a join past --socket-max-channels is refused with its reason; the channels joined stay", async () => {
    const refusedBefore = await metric(server, "cohort_limit_refusals_total", "socket_channels");
    const { socket } = await pool.joined(server, uniq("room:c0"));
    const channels = [];
    for (let i = 1; i < 5; i++) {
      const ch = socket.channel(uniq(`room:c${i}`));
      channels.push(ch);
      const r = await new Promise((resolve) => ch.join().receive("ok", () => resolve("ok")).receive("error", resolve));
      assert.equal(r, "ok", `join ${i + 1} of 5`);
    }
    const sixth = socket.channel(uniq("room:c5"));
    const refused = await new Promise((resolve, reject) =>
      sixth.join().receive("ok", () => reject(new Error("the sixth join was accepted"))).receive("error", resolve));
    sixth.leave(); // stop phoenix.js from rejoining it
    assert.deepEqual(refused, { reason: "too many channels joined" });
    assert.equal(await metric(server, "cohort_limit_refusals_total", "socket_channels"), refusedBefore + 1);
    const reply = await push(channels[3], "ping", { still: "here" });
    assert.deepEqual(reply, { status: "ok", response: { still: "here" } }, "the channels joined before keep working");
    await watcher.check("after the refused join");
  });

  test("pushes past --socket-max-pending-replies are answered too_many_pending_replies at once", async () => {
    const refusedBefore = await metric(server, "cohort_limit_refusals_total", "socket_pending_replies");
    const writer = await follower(pool, server, uniq("livedoc:pending"));
    assert.equal(writer.join.status, "ok", JSON.stringify(writer.join));
    const before = await probe.sample(10);
    // 40 store ops at once: each is answered after the store applied it (reply_later), so the
    // socket owes up to 4 and the others are refused before they reach the store.
    const ops = (async () => {
      const replies = await Promise.all(Array.from({ length: 40 }, (_, i) => writer.op("append", { item: i })));
      return replies;
    })();
    const during = await probe.during(ops);
    const replies = await ops;
    const ok = replies.filter((r) => r.status === "ok").length;
    const refused = replies.filter((r) => r.status === "error" && r.response.reason === "too_many_pending_replies").length;
    assert.equal(ok + refused, 40, `every op is applied or refused: ${JSON.stringify(replies.filter((r) => r.status !== "ok" && r.response.reason !== "too_many_pending_replies"))}`);
    assert.ok(ok >= 4, `at least the first 4 are applied (${ok})`);
    assert.ok(refused >= 1, `some are refused (${refused} of 40)`);
    assert.equal(await metric(server, "cohort_limit_refusals_total", "socket_pending_replies"), refusedBefore + refused);
    // What was refused changed nothing: the state holds exactly the applied ones.
    await writer.until(() => Array.isArray(writer.state?.items) && writer.state.items.length === ok, `${ok} items`);
    // Once the owed replies are in, the socket may push again.
    assert.equal((await writer.op("append", { item: "after" })).status, "ok");
    report("40 store ops at once on one socket", before, during, `${ok} applied, ${refused} refused too_many_pending_replies`);
    await watcher.check("after the pending-replies burst");
  });

  test("crash logs cut a client's 100 KB topic: 30 crashes add kilobytes, not megabytes", async () => {
    const raw = await RawWebSocket.connect(server.port);
    pool.track(() => raw.destroy());
    const topic = `room:${"t".repeat(100 * 1024)}`;
    const stderrBefore = server.output().stderr.length;
    const before = await probe.sample(10);
    const crashes = (async () => {
      for (let i = 0; i < 30; i++) {
        raw.sendJson([`j${i}`, `j${i}`, topic, "phx_join", {}]);
        raw.sendJson([`j${i}`, `c${i}`, topic, "crash", {}]);
        for (;;) {
          const m = await raw.nextJson(WAIT_MS, `crash ${i}`);
          if (m[3] === "phx_error") break;
        }
      }
    })();
    const during = await probe.during(crashes);
    await crashes;
    // And a topic with a line break: it must not start a line of its own in the log.
    raw.sendJson(["j99", "j99", "room:x\ncohort: forged line", "phx_join", {}]);
    raw.sendJson(["j99", "c99", "room:x\ncohort: forged line", "crash", {}]);
    for (;;) if ((await raw.nextJson(WAIT_MS, "the last crash"))[3] === "phx_error") break;
    // The log is read from the node's stderr pipe, apart from the socket: wait for its 31 lines.
    const crashLines = () => server.output().stderr.slice(stderrBefore).split("\n").filter((l) => l.includes("crashed"));
    await untilStderr(server, () => crashLines().length >= 31, "31 crash lines on the node's stderr");
    const grown = server.output().stderr.slice(stderrBefore);
    const lines = crashLines();
    assert.equal(lines.length, 31, `one line per crash:\n${grown.slice(0, 2000)}`);
    assert.ok(grown.length < 31 * 600, `the log grew ${grown.length} bytes for 31 crashes`);
    assert.match(lines[0], /\.\.\.\(102405 bytes\)/, "a clipped topic says how long it was");
    assert.ok(!grown.includes("\ncohort: forged line"), "a client's newline is escaped");
    assert.match(grown, /topic="room:x\\\\x0Acohort: forged line"/, "escaped by log_clip, then quoted in the text line");
    report("30 crashes with a 100 KB topic", before, during, `log grew ${grown.length} bytes`);
    await watcher.check("after the crashes");
  });
});

describe("a client that never reads (--socket-messages-per-s 0: only the outbound queue bounds it)", () => {
  const QUEUE = 256 * 1024;
  let server;
  let watcher;
  let probe;
  const longLived = new ClientPool();
  before(async () => {
    server = await startServer({
      admin: true,
      args: ["--socket-messages-per-s", "0", "--outbound-queue-limit", String(QUEUE), "--max-frame", "65536"],
    });
    watcher = await bystander(longLived, server, uniq("room:bystander"));
    probe = latencyProbe(watcher.channel);
  });
  after(async () => {
    await pool.closeAll();
    await longLived.closeAll();
    await server?.kill();
  });

  test("48 MB of empty pings from a non-reader: one pong waits, memory stays bounded, the socket still works", async () => {
    const raw = await RawWebSocket.connect(server.port);
    pool.track(() => raw.destroy());
    raw.pause(); // never read while the pings go in
    const PINGS = 8 * 1024 * 1024; // 6 bytes each: 48 MiB
    const flood = Buffer.alloc(PINGS * 6);
    flood.fill(Buffer.from([0x89, 0x80, 0, 0, 0, 0]));
    const rss = rssSampler(server);
    const before = await probe.sample();
    const written = new Promise((resolve, reject) => raw.sock.write(flood, (err) => (err ? reject(err) : resolve())));
    const during = await probe.during(written);
    await written;
    // A heartbeat behind the pings: its reply proves every ping before it was handled.
    raw.sendJson([null, "hb", "phoenix", "heartbeat", {}]);
    raw.resume();
    let pongs = 0;
    for (;;) {
      const f = await raw.next(60_000, "the heartbeat reply behind 8M pings");
      assert.ok(f, `the node closed the socket (after ${pongs} pongs)`);
      assert.notEqual(f.opcode, OP.close, `closed: ${f.payload.subarray(2)}`);
      if (f.opcode === OP.pong) pongs++;
      else if (f.opcode === OP.text && JSON.parse(f.payload)[1] === "hb") break;
    }
    const mem = rss.stop();
    const grewMiB = (mem.peak - mem.before) / 1024;
    report("48 MiB of empty pings, never read", before, during,
      `${pongs} pongs for ${PINGS} pings; RSS before ${(mem.before / 1024).toFixed(1)} MiB, peak ${(mem.peak / 1024).toFixed(1)} MiB, after ${(mem.after / 1024).toFixed(1)} MiB`);
    assert.ok(pongs < PINGS / 10, `pongs are coalesced: ${pongs} for ${PINGS} pings`);
    assert.ok(grewMiB < 32, `RSS grew ${grewMiB.toFixed(1)} MiB (bound 32 MiB; it was 700 MiB before pongs were bounded)`);
    await watcher.check("after the ping flood");
  });

  test("heartbeats from a non-reader fill its queue: closed with 1008 outbound queue full, memory bounded", async () => {
    const closesBefore = await metric(server, "cohort_limit_closes_total", "outbound_queue");
    const raw = await RawWebSocket.connect(server.port);
    pool.track(() => raw.destroy());
    raw.pause();
    const rss = rssSampler(server);
    const before = await probe.sample();
    // 200,000 heartbeats (about 11 MB): their replies are far more than kernel buffers and the
    // 256 KiB queue hold; the queue counts each reply's bytes plus its bookkeeping.
    const beat = (i) => Buffer.from(JSON.stringify([null, String(i), "phoenix", "heartbeat", {}]));
    const frames = [];
    for (let i = 0; i < 200_000; i++) {
      const payload = beat(i);
      frames.push(Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload);
    }
    const written = new Promise((resolve) => raw.sock.write(Buffer.concat(frames), () => resolve()));
    const closed = untilMetric(server, "cohort_limit_closes_total", "outbound_queue", (v) => v > closesBefore,
      "the non-reader's close", 30_000);
    const during = await probe.during(closed);
    await closed;
    const mem = rss.stop();
    raw.resume();
    const { code, reason } = await readToClose(raw, 30_000);
    await written;
    assert.equal(code, 1008);
    assert.match(reason, /outbound queue full/);
    const grewMiB = (mem.peak - mem.before) / 1024;
    report("200,000 heartbeats, never read", before, during,
      `closed 1008 "${reason}"; RSS before ${(mem.before / 1024).toFixed(1)} MiB, peak ${(mem.peak / 1024).toFixed(1)} MiB`);
    assert.ok(grewMiB < 32, `RSS grew ${grewMiB.toFixed(1)} MiB`);
    await watcher.check("after the non-reader's close");
  });
});
