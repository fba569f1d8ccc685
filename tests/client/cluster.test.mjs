// cluster.test.mjs — @cohort/client through a store key's fail-over in a two-node cluster (its own
// Redis and PostgreSQL, tests/conformance/cluster.mjs and pg.mjs): the key's owner is SIGKILLed;
// an op that had reached it is answered "unavailable", the client sends it again with the same
// op_id until the surviving node has taken the key, and every op is applied exactly once. Then
// Redis restarts: the node says "resync" and the follower catches up by joining with since.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import { startCluster, untilMetrics } from "../conformance/cluster.mjs";
import { uniq } from "../conformance/helpers.mjs";
import { follower as rawFollower } from "../conformance/store_client.mjs";
import { pgForFile } from "../conformance/pg.mjs";
import { RecordingPool, assertContinuous, follow, refusedOps, sendsPerOpId, serverState } from "./support.mjs";

const LEASE_MS = 1000;  // the fail-over time (the default is 3000)
const db = pgForFile("client_cluster");
const pool = new RecordingPool();
let cluster;
let survivorClient;  // the first test's follower, on the node that survives it
before(async () => {
  // No per-socket message rate: the test's two op loops run as fast as replies come, and while
  // the owner is being killed they outrun the default 100/s (burst 200) and were refused
  // rate_limited — that limit is tested in tests/security, not here.
  cluster = await startCluster(2, {
    args: ["--storage", db.url, "--cluster-lease-ms", String(LEASE_MS), "--socket-messages-per-s", "0"],
  });
  for (const node of cluster.nodes) await untilMetrics(node, (m) => m.cohort_cluster_links_up === 2, "both Redis links up");
});
after(async () => {
  await pool.closeAll();
  await cluster?.stopAll();
});

test("the owner dies: ops get unavailable, are resent with their op_id, and land once on the new owner", async () => {
  const key = uniq("doc:failover");
  const [owner, survivor] = cluster.nodes;
  // The key's first op, through `owner`, makes it the owner; its lock holds the next op there.
  const holder = await rawFollower(pool, owner, key, { claims: { sub: "hal", roles: ["editor"] } });
  assert.equal((await holder.op("incr", { counter: "seed" })).status, "ok");
  assert.equal((await holder.op("lock", { path: "/fields/title" })).status, "ok");
  const client = await follow(pool, survivor, key);
  // Queued on the owner behind hal's lock (set_field waits for locks): in flight when it dies.
  const queued = client.op("set_field", { field: "title", value: "after the fail-over" });
  let acked = 0;
  let stop = false;
  const loop = async () => {
    while (!stop) {
      await client.op("incr", { counter: "n" });
      acked++;
    }
  };
  const loops = [loop(), loop()];
  await client.until(() => client.version >= 20, "20 ops through the owner");
  owner.proc.kill("SIGKILL");
  await owner.exited;
  const atKill = acked;
  const { version: queuedVersion } = await queued;
  await client.until(() => acked >= atKill + 20, "20 more ops acknowledged by the new owner", 20_000);
  stop = true;
  await Promise.all(loops);

  const unavailable = refusedOps(client.socket, "unavailable");
  assert.ok(unavailable.length >= 1, "the op in flight at the owner was answered unavailable");
  const sends = sendsPerOpId(client.socket);
  for (const { opId } of unavailable) assert.ok(sends.get(opId) >= 2, `op ${opId} was sent again with the same op_id`);
  const truth = await serverState(pool, survivor, key);
  assert.equal(truth.state.fields.title, "after the fail-over");
  assert.equal(truth.state.counters.n, acked, "every incr applied exactly once, resent ones included");
  assert.equal(truth.version, 1 + 1 + acked, "one version per applied op: seed, set_field and the incrs");
  assert.ok(queuedVersion > 1 && queuedVersion <= truth.version);
  await client.until(() => client.version === truth.version, `the follower reaches ${truth.version}`);
  assert.deepEqual(client.state, truth.state);
  assertContinuous(client);
  assert.deepEqual(client.errors, []);
  survivorClient = { client, node: survivor, key };
  console.log(`fail-over: ${unavailable.length} "unavailable" replies, each resent with its op_id; ${acked} incrs; version ${truth.version}`);
});

test("Redis restarts: on resync the follower rejoins with since, and ops go on", async () => {
  assert.ok(survivorClient, "needs the fail-over test's follower");
  const { client, node, key } = survivorClient;
  const joinsBefore = client.socket.sent.filter((m) => m.event === "phx_join" && m.topic === `store:${key}`).length;
  const resynced = client.socket.received.filter((m) => m.event === "resync").length;
  await cluster.redis.kill();
  await untilMetrics(node, (m) => m.cohort_cluster_links_up === 0, "the node sees Redis gone");
  cluster.redis = await cluster.redis.restart();
  await untilMetrics(node, (m) => m.cohort_cluster_links_up === 2, "links back up");
  const rejoin = () => client.socket.sent.filter((m) => m.event === "phx_join" && m.topic === `store:${key}`).at(joinsBefore);
  await client.until(() => client.socket.received.filter((m) => m.event === "resync").length > resynced && rejoin(),
                     "a resync, then a new join");
  assert.equal(rejoin().payload.since, client.version, "the rejoin carried the version held");
  const { version } = await client.op("incr", { counter: "n" });
  await client.until(() => client.version === version, `the follower reaches ${version}`);
  const truth = await serverState(pool, node, key);
  assert.deepEqual(client.state, truth.state);
  assertContinuous(client);
  assert.deepEqual(client.errors, []);
});
