// restart.test.mjs — @cohort/client across a node's SIGKILL and restart on the same data directory:
// the follower's socket reconnects by itself, its channel rejoins with `since`, ops sent while the
// node was down (or in flight when it died) are sent again with their op_id once it is back, and
// each acknowledged op is in the state exactly once.
import { after, afterEach, test } from "node:test";
import assert from "node:assert/strict";

import { startServer } from "../conformance/server.mjs";
import { uniq } from "../conformance/helpers.mjs";
import { RecordingPool, assertContinuous, follow, serverState } from "./support.mjs";

const pool = new RecordingPool();
let server;
afterEach(() => pool.closeAll());
after(async () => {
  await pool.closeAll();
  await server?.kill();
});

test("SIGKILL and restart: the follower resumes with since, every acknowledged op applied once", async () => {
  server = await startServer();
  const key = uniq("doc:restart");
  const writer = await follow(pool, server, key);
  const reader = await follow(pool, server, key);
  let acked = 0;
  let stop = false;
  const writing = (async () => {
    while (!stop) {
      await writer.op("incr", { counter: "n" });
      acked++;
    }
  })();
  await reader.until(() => reader.version >= 30, "30 ops before the kill");
  server.proc.kill("SIGKILL");
  await server.exited;
  const heldAtKill = reader.version;
  // Sent while the node is down: they wait for the rejoin.
  const whileDown = Array.from({ length: 5 }, () => reader.op("incr", { counter: "n" }).then(() => acked++));
  server = await server.restart();
  await Promise.all(whileDown);
  await reader.until(() => reader.version >= heldAtKill + 25, "25 more versions after the restart");
  stop = true;
  await writing;
  const truth = await serverState(pool, server, key);
  await reader.until(() => reader.version === truth.version, `the reader reaches ${truth.version}`);
  await writer.until(() => writer.version === truth.version, `the writer reaches ${truth.version}`);
  assert.equal(truth.state.counters.n, acked, "every acknowledged op once, those in flight at the kill too");
  assert.equal(truth.version, acked, "one version per op");
  assert.deepEqual(reader.state, truth.state);
  assert.deepEqual(writer.state, truth.state);
  assertContinuous(reader);
  assertContinuous(writer);
  const joins = reader.socket.sent.filter((s) => s.event === "phx_join" && s.topic === `store:${key}`);
  const rejoin = joins.at(-1);
  assert.ok(joins.length >= 2 && rejoin.payload.since >= heldAtKill, `rejoined with since: ${JSON.stringify(joins.map((j) => j.payload.since))}`);
  const reply = reader.socket.received.find((m) => m.event === "phx_reply" && m.ref === rejoin.ref && m.payload.status === "ok");
  assert.ok(Array.isArray(reply?.payload.response.patches), "the restarted node answered with the patches since");
  assert.deepEqual([...reader.errors, ...writer.errors], []);
});
