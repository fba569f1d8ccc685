// limits.test.mjs — idle timeouts (HTTP and WebSocket) and the outbound queue limit (slow reader).
//
// Two nodes: one with --idle-timeout-ms 1000, one with --outbound-queue-limit 1 MiB and
// --max-frame 256 KiB (and the default 60 s idle timeout, so that the paused reader is closed for
// its queue, not for silence).
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, afterEach, before, describe, test } from "node:test";

import { bystander, ClientPool, collectEvents, connect, deferred, recordSocketMessages, uniq, withTimeout } from "./helpers.mjs";
import { startServer } from "./server.mjs";
import { broadcastHttp, OP, rawHttp, RawWebSocket } from "./wire.mjs";

const IDLE_MS = 1000;
const CLOSE_SLACK_MS = 3000; // the contract: closed within idle timeout + 3 s
const QUEUE_LIMIT = 1024 * 1024;
// The node refuses to start unless the queue limit exceeds --max-frame (default 1 MiB): a client
// must be able to receive one full-size message. 256 KiB still fits the 64 KiB broadcasts below.
const MAX_FRAME = 256 * 1024;

const pool = new ClientPool();
afterEach(() => pool.closeAll());

describe(`idle timeout (--idle-timeout-ms ${IDLE_MS})`, () => {
  let server;
  let watcher;
  const longLived = new ClientPool();
  before(async () => {
    server = await startServer({ args: ["--idle-timeout-ms", String(IDLE_MS)] });
    // Heartbeats every 200 ms keep this one alive through every test of this block.
    watcher = await bystander(longLived, server, uniq("room:idle-bystander"), { heartbeatIntervalMs: 200 });
  });
  after(async () => {
    await longLived.closeAll();
    await server?.kill();
  });

  test("half-open HTTP: a request head that never ends is closed within the idle timeout", async () => {
    const r = await rawHttp(server.port, "GET / HTTP/1.1\r\nHost: x\r\n", { timeoutMs: IDLE_MS + CLOSE_SLACK_MS });
    assert.ok(r.closedAfterMs >= IDLE_MS / 2, `closed after ${r.closedAfterMs} ms: too early for a ${IDLE_MS} ms idle timeout`);
    await watcher.check("after the half-open request");
  });

  test("an HTTP connection that sends nothing at all is closed within the idle timeout", async () => {
    const r = await rawHttp(server.port, "", { timeoutMs: IDLE_MS + CLOSE_SLACK_MS });
    assert.ok(r.closedAfterMs >= IDLE_MS / 2, `closed after ${r.closedAfterMs} ms`);
  });

  test("an upgraded socket that goes silent is closed (1000 or 1001) within the idle timeout", async () => {
    const r = await RawWebSocket.connect(server.port);
    pool.track(() => r.destroy());
    const started = Date.now();
    const { code, closeFrame } = await r.closed(IDLE_MS + CLOSE_SLACK_MS);
    const elapsed = Date.now() - started;
    assert.ok(closeFrame, "expected a close frame before the connection ends");
    assert.ok(code === 1000 || code === 1001, `close code ${code}`);
    assert.ok(elapsed >= IDLE_MS / 2, `closed after ${elapsed} ms: too early`);
    await watcher.check("after the idle close");
  });

  test("a phoenix client sending heartbeats stays open well past the idle timeout", async () => {
    const socket = pool.socket(server, { heartbeatIntervalMs: 200 });
    const closes = [];
    socket.onClose((e) => closes.push(e?.code));
    const beats = recordSocketMessages(socket, (m) => m.topic === "phoenix" && m.event === "phx_reply");
    await connect(socket);
    // 12 replies at 200 ms: 2.4 s of nothing but heartbeats, more than twice the idle timeout.
    await beats.waitFor(12, 2400 + CLOSE_SLACK_MS, "12 heartbeat replies");
    beats.off();
    assert.deepEqual(closes, [], "heartbeats are frames: they must reset the idle timer");
    assert.equal(socket.isConnected(), true);
  });
});

// How many bytes the kernel can hold between a server that writes and a client that does not read:
// the sender's send buffer (autotuned up to tcp_wmem max) plus the receiver's initial receive buffer
// (a socket that never reads does not grow it). Falls back to generous Linux defaults.
function kernelBufferBytes() {
  const third = (file, fallback) => {
    try {
      return fs.readFileSync(file, "utf8").trim().split(/\s+/).map(Number);
    } catch {
      return fallback;
    }
  };
  const wmem = third("/proc/sys/net/ipv4/tcp_wmem", [4096, 16384, 4194304]);
  const rmem = third("/proc/sys/net/ipv4/tcp_rmem", [4096, 131072, 6291456]);
  return wmem[2] + 2 * rmem[1];
}

describe(`slow reader (--outbound-queue-limit ${QUEUE_LIMIT})`, () => {
  let server;
  before(async () => {
    server = await startServer({
      args: ["--outbound-queue-limit", String(QUEUE_LIMIT), "--max-frame", String(MAX_FRAME)],
    });
  });
  after(async () => {
    await server?.kill();
  });

  test("a reader that stops reading is closed with 1008; a normal subscriber gets every broadcast in order", async (t) => {
    const topic = "room:slow";
    const CHUNK = 64 * 1024;
    // Enough to fill the kernel buffers and then the server's queue three times over; bounded.
    const budget = kernelBufferBytes() + 3 * QUEUE_LIMIT;
    const N = Math.min(400, Math.ceil(budget / CHUNK));
    const WINDOW = 8; // broadcasts in flight ahead of the normal subscriber

    const slow = await RawWebSocket.connect(server.port);
    pool.track(() => slow.destroy());
    slow.sendJson(["1", "1", topic, "phx_join", {}]);
    const joinReply = await slow.nextJson(5000, "the slow reader's join reply");
    assert.deepEqual(joinReply, ["1", "1", topic, "phx_reply", { status: "ok", response: {} }]);
    slow.pause(); // from now on the slow reader reads nothing

    const { channel: normal } = await pool.joined(server, topic);
    let received = 0;
    let progress = deferred();
    const order = [];
    normal.on("shout", (p) => {
      order.push(p.i);
      received++;
      progress.resolve();
    });

    const data = "x".repeat(CHUNK - 32);
    for (let i = 0; i < N; i++) {
      // Flow control against the normal subscriber only: it must never fall behind by a queue.
      while (i - received >= WINDOW) {
        await withTimeout(progress.promise, 5000, `the normal subscriber's broadcast ${received} of ${N}`);
        progress = deferred();
      }
      const r = await broadcastHttp(server, topic, { payload: { i, data } });
      assert.equal(r.status, 200, `broadcast ${i}: ${r.body}`);
    }
    while (received < N) {
      await withTimeout(progress.promise, 5000, `the normal subscriber's broadcast ${received} of ${N}`);
      progress = deferred();
    }
    assert.deepEqual(order, Array.from({ length: N }, (_, i) => i), "the normal subscriber gets every broadcast, in order");

    // Now read what the server managed to queue for the slow reader: some shouts, then the close.
    slow.resume();
    const { code, reason, before: frames, closeFrame } = await slow.closed(10_000);
    assert.ok(closeFrame, `the slow reader's connection ended without a close frame after ${frames.length} frames`);
    assert.equal(code, 1008, `close code (reason ${JSON.stringify(reason)})`);
    assert.match(reason, /queue/i);
    const shouts = frames.filter((f) => f.opcode === OP.text).length;
    t.diagnostic(`sent ${N} broadcasts of 64 KiB; the slow reader got ${shouts} before its close`);
    assert.ok(shouts < N, `the slow reader got all ${N} broadcasts: the queue limit never triggered`);

    // The node is fine: the normal subscriber still hears the topic.
    const after = collectEvents(normal, "shout", 1);
    assert.equal((await broadcastHttp(server, topic, { payload: { i: N } })).status, 200);
    assert.equal((await after)[0].i, N);
  });
});
