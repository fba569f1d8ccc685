// lifecycle.test.mjs — the node as a process: /healthz, SIGTERM (close 1001, exit 0), and a
// restart on the same port that the official client survives by reconnecting and rejoining.
// Each test starts its own node, since these tests stop them.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

import {
  ClientPool,
  joinChannel,
  nextSocketEvent,
  nextSocketMessage,
  push,
  uniq,
  withTimeout,
} from "./helpers.mjs";
import { startServer } from "./server.mjs";
import { httpRequest, WsClient } from "./wire.mjs";

const SHUTDOWN_MS = 5000; // "exits 0 within a few seconds"

const pool = new ClientPool();
const servers = [];
async function start(opts) {
  const s = await startServer(opts);
  servers.push(s);
  return s;
}
afterEach(async () => {
  await pool.closeAll();
  await Promise.all(servers.splice(0).map((s) => s.kill()));
});

test("GET /healthz → 200 {ok: true}", async () => {
  const server = await start();
  const r = await httpRequest(`${server.url}/healthz`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { ok: true });
  assert.match(String(r.headers["content-type"]), /application\/json/);
});

test("SIGTERM closes every WebSocket with 1001 and the process exits 0", async () => {
  const server = await start();
  const raw = await WsClient.connect(server);
  pool.track(() => raw.terminate());
  const socket = await pool.connected(server);
  await joinChannel(socket, uniq("room:term"));
  const phxClosed = nextSocketEvent(socket, "close", SHUTDOWN_MS);

  const exit = await server.stop(SHUTDOWN_MS);
  assert.deepEqual(exit, { code: 0, signal: null }, "exit status after SIGTERM");
  const rawClose = await raw.closed(1000);
  assert.equal(rawClose.code, 1001, `raw client close (reason ${JSON.stringify(rawClose.reason)})`);
  const phxClose = await phxClosed;
  assert.equal(phxClose.code, 1001, "phoenix client close event code");
});

test("restart on the same port: the client reconnects and its channel rejoins by itself", async () => {
  const first = await start();
  const topic = uniq("room:restart");
  const socket = await pool.connected(first);
  let opens = 1;
  socket.onOpen(() => opens++);
  const { channel } = await joinChannel(socket, topic, { user_id: "r1" });
  const oldRef = channel.joinRef();
  assert.deepEqual(await push(channel, "ping", { before: true }), { status: "ok", response: { before: true } });

  const closed = nextSocketEvent(socket, "close", SHUTDOWN_MS);
  assert.deepEqual(await first.stop(SHUTDOWN_MS), { code: 0, signal: null });
  assert.equal((await closed).code, 1001);

  // Registered before the new node exists: the rejoin reply may come right after it listens.
  const rejoined = nextSocketMessage(
    socket,
    (m) => m.topic === topic && m.event === "phx_reply" && m.ref === m.join_ref && m.join_ref !== oldRef && m.payload.status === "ok",
    15_000,
    "the channel's rejoin reply from the restarted node",
  );
  const second = await start({ port: first.port, args: first.args });
  assert.equal(second.port, first.port);
  const reply = await rejoined;
  assert.equal(channel.joinRef(), reply.join_ref, "the channel now runs under the new join_ref");
  assert.ok(opens >= 2, "the socket opened again");
  assert.deepEqual(await push(channel, "ping", { after: true }), { status: "ok", response: { after: true } });
  const { status, response } = await push(channel, "whoami", {});
  assert.equal(status, "ok");
  assert.equal(response.user_id, "r1", "the rejoin re-sent the join params");
});

test("restart() helper: same port and flags, and a fresh client connects", async () => {
  const first = await start({ args: ["--idle-timeout-ms", "30000"] });
  assert.equal((await httpRequest(`${first.url}/healthz`)).status, 200);
  assert.deepEqual(await first.stop(SHUTDOWN_MS), { code: 0, signal: null });
  const second = await first.restart();
  servers.push(second);
  assert.equal(second.port, first.port);
  assert.deepEqual(second.args, ["--idle-timeout-ms", "30000"]);
  const socket = await pool.connected(second);
  const { channel } = await joinChannel(socket, uniq("room:again"));
  assert.deepEqual(await push(channel, "ping", { n: 1 }), { status: "ok", response: { n: 1 } });
});

test("SIGTERM the moment the ready line is printed still exits 0", async () => {
  // A supervisor may stop a node as soon as it reports ready, so the SIGTERM handler must be in
  // place before "cohort listening on" is printed; otherwise the default action kills the process.
  const server = await start();
  const t0 = Date.now();
  const exit = await withTimeout(server.stop(SHUTDOWN_MS), SHUTDOWN_MS + 1000, "exit after SIGTERM");
  assert.deepEqual(exit, { code: 0, signal: null }, "killed by the signal: the handler was installed too late");
  assert.ok(Date.now() - t0 < SHUTDOWN_MS);
});

test("a second node on a port that is taken refuses to start; the first keeps every connection", async () => {
  const first = await start();
  await assert.rejects(start({ port: first.port }), /cannot listen on 127\.0\.0\.1:\d+: Address already in use/);
  // Every connection still reaches the first node: none is split off to another process.
  for (let i = 0; i < 20; i++) {
    const r = await httpRequest(`${first.url}/healthz`);
    assert.equal(r.status, 200);
  }
});
