// cluster_stores.test.mjs — store keys across three nodes (issue #7 items 4 and 5): one owner per
// key by a Redis lease, ops from clients on every node forwarded to it and answered through it,
// PostgreSQL refusing stale owners, fail-over when the owner is SIGKILLed, and a clear error
// (not divergence) when Redis is gone. Redis and PostgreSQL are the test's own, on loopback.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

import { ClientPool, uniq } from "./helpers.mjs";
import { follower } from "./store_client.mjs";
import { DOWN_BOUND_MS, metrics, startCluster, untilMetrics } from "./cluster.mjs";
import { startServer } from "./server.mjs";
import { SECRET } from "./tokens.mjs";
import { countWriters } from "./crash_check.mjs";
import { pgForFile } from "./pg.mjs";

// The lease the nodes run with (1 s keeps the fail-over test short; COHORT_TEST_LEASE_MS=3000
// measures the default).
const LEASE_MS = Number(process.env.COHORT_TEST_LEASE_MS ?? 1000);
// A key unused this long is given up by its owner (the default is 5 minutes).
const IDLE_MS = 3 * LEASE_MS;
const db = pgForFile("cluster");

describe("stores across three nodes", () => {
  const pool = new ClientPool();
  let cluster;
  before(async () => {
    cluster = await startCluster(3, { args: ["--secret", SECRET, "--storage", db.url, "--cluster-lease-ms", String(LEASE_MS),
                                             "--cluster-key-idle-ms", String(IDLE_MS)] });
    for (const node of cluster.nodes) await untilMetrics(node, (m) => m.cohort_cluster_links_up === 2, "both Redis links up");
  });
  after(async () => {
    await pool.closeAll();
    await cluster?.stopAll();
  });

  const redisGet = (k) =>
    execFileSync("redis-cli", ["-p", String(cluster.redis.port), "--raw", "GET", k], { encoding: "utf8", timeout: 5000 }).trim();

  // The nodes (of those given) holding key's lease, by the node id in the lease's value.
  const ownerOf = async (nodes, key) => {
    const holder = redisGet(`cohort:lease:${key}`).split(":")[0];
    const ids = await Promise.all(nodes.map(async (n) => String((await metrics(n)).cohort_cluster_node_id)));
    return nodes.filter((_, i) => ids[i] === holder);
  };

  test("concurrent ops from clients on all three nodes serialize on one owner and converge", async () => {
    const key = uniq("doc:spread");
    const clients = [];
    for (const node of cluster.nodes) for (let i = 0; i < 2; i++) clients.push(await follower(pool, node, key));
    for (const c of clients) assert.equal(c.join.status, "ok", JSON.stringify(c.join.response));
    const replies = [];
    for (let round = 0; round < 15; round++)
      for (const [i, c] of clients.entries()) {
        replies.push(c.op("incr", { counter: "total" }));
        if (round % 5 === 0) replies.push(c.op("append", { item: `c${i}r${round}` }));
      }
    const results = await Promise.all(replies);
    for (const r of results) assert.equal(r.status, "ok", JSON.stringify(r.response));
    const versions = results.map((r) => r.response.version).sort((a, b) => a - b);
    assert.deepEqual(versions, versions.map((_, i) => i + 1), "every op got its own version, 1..N, whatever node it came from");
    const final = versions.length;
    for (const c of clients) await c.until(() => c.version === final, `a client reaches version ${final}`);
    for (const c of clients) {
      assert.deepEqual(c.gaps, [], "patches arrived without gap on every node");
      assert.deepEqual(c.state, clients[0].state, "every client holds the same state");
    }
    assert.equal(clients[0].state.counters.total, 90);
    assert.equal(clients[0].state.items.length, 18);
    const owners = await ownerOf(cluster.nodes, key);
    assert.equal(owners.length, 1, "exactly one node owns the key");
    const all = await Promise.all(cluster.nodes.map((n) => metrics(n)));
    const forwarded = all.reduce((s, m) => s + m.cohort_cluster_store_forwarded_total, 0);
    assert.ok(forwarded >= 60, `the ops of the two non-owner nodes were forwarded (${forwarded})`);
    // The owner keeps the key past its lease by renewing it: nobody takes it over meanwhile.
    const won = all.reduce((s, m) => s + m.cohort_cluster_store_keys_won_total, 0);
    const renewed = (await metrics(owners[0])).cohort_cluster_store_lease_renewals_total;
    await untilMetrics(owners[0], (m) => m.cohort_cluster_store_lease_renewals_total >= renewed + 4, "4 more renewals (over a lease)");
    const later = await clients[5].op("incr", { counter: "total" });
    assert.equal(later.status, "ok");
    assert.equal(later.response.version, final + 1);
    const wonAfter = (await Promise.all(cluster.nodes.map((n) => metrics(n)))).reduce((s, m) => s + m.cohort_cluster_store_keys_won_total, 0);
    assert.equal(wonAfter, won, "the key never changed hands");
    assert.deepEqual(await ownerOf(cluster.nodes, key), owners);
  });

  test("a lock held from a node that dies ends when that node is declared down; a new node joins", async () => {
    const key = uniq("doc:lock");
    const [owner, , lockerNode] = cluster.nodes;
    const dave = await follower(pool, owner, key, { claims: { sub: "dave", roles: ["editor"] } });
    assert.equal((await dave.op("incr", { counter: "n" })).status, "ok");  // owner owns the key
    const carol = await follower(pool, lockerNode, key, { claims: { sub: "carol", roles: ["editor"] } });
    assert.equal((await carol.op("lock", { path: "/fields/b" })).status, "ok");
    const refused = await dave.op("set", { path: "/fields/b", value: 1 });
    assert.equal(refused.response.reason, "locked", "the lock taken through another node holds on the owner");
    lockerNode.proc.kill("SIGKILL");
    await lockerNode.exited;
    await dave.until(() => dave.events.some((e) => e.ev === "unlock" && e.path === "/fields/b" && e.reason === "disconnected"),
                     "the dead node's lock ends", DOWN_BOUND_MS + 2000);
    assert.equal((await dave.op("set", { path: "/fields/b", value: 2 })).status, "ok");
    // A replacement node (a new node id) joins and serves the key through its owner.
    const fresh = await startServer({ args: cluster.args, admin: true });
    cluster.nodes[2] = fresh;
    await untilMetrics(fresh, (m) => m.cohort_cluster_links_up === 2, "the new node's links up");
    const late = await follower(pool, fresh, key);
    assert.equal(late.join.status, "ok");
    assert.equal(late.join.response.state.fields.b, 2);
  });

  test("SIGKILL of the key's owner mid-stream: another node takes over, every acknowledged op is there", async () => {
    const key = uniq("doc:failover");
    const [first] = cluster.nodes;
    // The key's first op on `first` makes it the owner.
    const seed = await follower(pool, first, key);
    assert.equal((await seed.op("incr", { counter: "seed" })).status, "ok");
    assert.deepEqual(await ownerOf(cluster.nodes, key), [first]);
    const others = cluster.nodes.slice(1);
    const WRITERS = 4;
    const writers = [];
    for (let i = 0; i < WRITERS; i++) writers.push(await follower(pool, others[i % 2], key));
    const stats = writers.map(() => ({ sent: 0, acked: 0, afterKill: 0, errors: 0 }));
    let killedAt = 0;
    let firstAckAfterKill = 0;
    let stop = false;
    // Each op has an op_id and is sent again, with it, until acknowledged: an op that got
    // "unavailable" (in flight when the owner died: applied or not) must be applied once.
    const loop = async (w, i) => {
      for (let n = 0; !stop; n++) {
        stats[i].sent++;
        const sentAfterKill = killedAt !== 0;  // only the new owner can acknowledge it
        for (;;) {
          const r = await w.op("incr", { counter: `w${i}` }, { op_id: `w${i}-${n}` }).catch(() => null);
          if (r?.status === "ok") break;
          assert.ok(killedAt, `an op failed before the kill: ${JSON.stringify(r?.response)}`);
          assert.equal(r?.response?.reason, "unavailable", `a failed op says why: ${JSON.stringify(r?.response)}`);
          stats[i].errors++;
        }
        stats[i].acked++;
        if (sentAfterKill) {
          stats[i].afterKill++;
          firstAckAfterKill ||= Date.now();
        }
      }
    };
    const loops = writers.map((w, i) => loop(w, i));
    const acked = () => stats.reduce((n, s) => n + s.acked, 0);
    const afterKill = () => stats.reduce((n, s) => n + s.afterKill, 0);
    const until = (pred, ms, what) =>
      new Promise((resolve, reject) => {
        const deadline = Date.now() + ms;
        const check = () => (pred() ? resolve() : Date.now() > deadline ? reject(new Error(`timed out: ${what}`)) : setTimeout(check, 5));
        check();
      });
    try {
      await until(() => acked() >= 200, 15_000, "200 ops acknowledged through the owner");
      first.proc.kill("SIGKILL");
      killedAt = Date.now();
      await first.exited;
      await until(() => afterKill() >= 100, 20_000, "100 ops acknowledged after the owner died");
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    const failoverMs = firstAckAfterKill - killedAt;
    assert.equal((await ownerOf(others, key)).length, 1, "one surviving node took the key");
    const reader = await follower(pool, others[0], key);
    assert.equal(reader.join.status, "ok", JSON.stringify(reader.join.response));
    const { state, version } = reader.join.response;
    const found = state.counters.seed + countWriters(state, stats);
    assert.equal(version, found, "one version per applied op: continuous across the fail-over");
    for (const [i, s] of stats.entries())
      assert.equal(state.counters[`w${i}`], s.acked, `writer ${i}: every op applied exactly once, resent ones included`);
    assert.ok(failoverMs > 0, "an op sent after the kill waited for the dead owner's lease");
    console.log(`fail-over: owner SIGKILLed after ${acked() - afterKill()} acks; first ack of an op sent after the kill ${failoverMs} ms later ` +
                `(lease ${LEASE_MS} ms); ${stats.reduce((n, s) => n + s.errors, 0)} ops failed "unavailable" meanwhile and were resent with their op_id; version ${version}`);
    cluster.nodes = others;  // the dead node is out of the cluster for the tests that follow
  });

  test("without Redis a write that needs another node fails with a reason; once Redis is back it works", async () => {
    const key = uniq("doc:outage");
    const [a, b] = cluster.nodes;
    const onA = await follower(pool, a, key);
    assert.equal((await onA.op("incr", { counter: "n" })).status, "ok");  // a owns the key
    const onB = await follower(pool, b, key);
    await cluster.redis.kill();
    await untilMetrics(b, (m) => m.cohort_cluster_links_up === 0, "b sees Redis gone");
    const during = await onB.op("incr", { counter: "n" });
    assert.equal(during.status, "error");
    assert.equal(during.response.reason, "unavailable", JSON.stringify(during.response));
    assert.match(during.response.detail, /Redis/);
    cluster.redis = await cluster.redis.restart();
    for (const node of cluster.nodes) await untilMetrics(node, (m) => m.cohort_cluster_links_up === 2, "links back up");
    // Both followers hear that patches may have been lost while the links were down.
    await onA.until(() => onA.resyncs === 1, "a resync on node a");
    await onB.until(() => onB.resyncs === 1, "a resync on node b");
    // The lease died with Redis's memory; a new owner takes the key with a higher fence and
    // continues its versions from PostgreSQL.
    const back = await onB.op("incr", { counter: "n" });
    assert.equal(back.status, "ok", JSON.stringify(back.response));
    assert.equal(back.response.version, 2, "versions continue after the outage");
    for (const f of [onA, onB]) await f.until(() => f.version === 2, "the patch reaches both nodes' followers");
    assert.deepEqual(onA.gaps, []);
    assert.deepEqual(onA.state, onB.state);
    const reader = await follower(pool, a, key);
    assert.equal(reader.join.response.state.counters.n, 2);
  });

  test("a stranger's join of a doc nobody made is not_found on every node: no lease, no fence, nothing stored", async () => {
    const key = uniq("doc:madeup");
    const fences = () => execFileSync("psql", [db.url, "-tAc", `SELECT count(*) FROM store_fences WHERE key = '${key}'`],
                                      { encoding: "utf8", timeout: 5000 }).trim();
    for (const node of cluster.nodes) {
      const stranger = await follower(pool, node, key, { claims: null });
      assert.deepEqual(stranger.join.response, { reason: "not_found", key });
    }
    assert.equal(redisGet(`cohort:lease:${key}`), "", "no node took the key's lease");
    assert.equal(fences(), "0", "no fence was written for it");
    // An editor may make it; then strangers follow it from any node.
    const editor = await follower(pool, cluster.nodes[0], key);
    assert.equal(editor.join.response.version, 0);
    assert.equal((await editor.op("incr", { counter: "n" })).status, "ok");
    for (const node of cluster.nodes) {
      const stranger = await follower(pool, node, key, { claims: null });
      assert.equal(stranger.join.status, "ok", JSON.stringify(stranger.join.response));
      assert.equal(stranger.version, 1);
    }
  });

  test("an idle key is given up by its owner, and taken by the next node that uses it", async () => {
    const key = uniq("doc:idle");
    const [a, b] = cluster.nodes;
    const onA = await follower(pool, a, key);
    assert.equal((await onA.op("incr", { counter: "n" })).status, "ok");
    const lease = `cohort:lease:${key}`;
    assert.notEqual(redisGet(lease), "", "a holds the lease");
    // Polled until the lease is gone (the condition ends the wait; the deadline bounds it).
    const deadline = Date.now() + IDLE_MS + 5 * LEASE_MS;
    while (redisGet(lease) !== "") {
      assert.ok(Date.now() < deadline, "the idle key's lease was never given up");
      await new Promise((r) => setTimeout(r, 100));
    }
    const wonBefore = (await metrics(b)).cohort_cluster_store_keys_won_total;
    const onB = await follower(pool, b, key);
    assert.equal(onB.join.response.version, 1);
    const r = await onB.op("incr", { counter: "n" });
    assert.equal(r.status, "ok", JSON.stringify(r.response));
    assert.equal(r.response.version, 2, "versions continue on the new owner");
    assert.equal((await metrics(b)).cohort_cluster_store_keys_won_total, wonBefore + 1);
    await onA.until(() => onA.version === 2, "the old owner's follower still gets the patches");
  });

  test("a node stopped cleanly gives its keys up at once; the next op elsewhere takes them", async () => {
    const key = uniq("doc:handover");
    const [a, b] = cluster.nodes;
    const onA = await follower(pool, a, key);
    assert.equal((await onA.op("incr", { counter: "n" })).status, "ok");
    assert.match(redisGet(`cohort:lease:${key}`), /^\d+:\d+$/, "a holds the lease");
    const onB = await follower(pool, b, key);
    await a.stop();
    cluster.nodes = cluster.nodes.filter((n) => n !== a);
    assert.equal(redisGet(`cohort:lease:${key}`), "", "the lease was released before the node exited, not left to expire");
    const wonBefore = (await metrics(b)).cohort_cluster_store_keys_won_total;
    const r = await onB.op("incr", { counter: "n" });
    assert.equal(r.status, "ok", JSON.stringify(r.response));
    assert.equal(r.response.version, 2);
    assert.equal((await metrics(b)).cohort_cluster_store_keys_won_total, wonBefore + 1);
  });
});

describe("a key leaving its owner's memory gives up its lease", () => {
  const pool = new ClientPool();
  let cluster;
  before(async () => {
    // Leases idle out only after 10 minutes here: a lease that goes sooner went with the key.
    cluster = await startCluster(2, { args: ["--secret", SECRET, "--storage", db.url, "--cluster-lease-ms", String(LEASE_MS),
                                             "--cluster-key-idle-ms", "600000", "--store-idle-ms", "500"] });
    for (const node of cluster.nodes) await untilMetrics(node, (m) => m.cohort_cluster_links_up === 2, "both Redis links up");
  });
  after(async () => {
    await pool.closeAll();
    await cluster?.stopAll();
  });

  test("a key idle for store_idle_ms with no follower on its owner is unloaded, its lease released; the next node takes it", async () => {
    const key = uniq("doc:unload");
    const [a, b] = cluster.nodes;
    const lease = () => execFileSync("redis-cli", ["-p", String(cluster.redis.port), "--raw", "GET", `cohort:lease:${key}`],
                                     { encoding: "utf8", timeout: 5000 }).trim();
    const onA = await follower(pool, a, key);
    assert.equal((await onA.op("incr", { counter: "n" })).status, "ok");
    assert.match(lease(), /^\d+:\d+$/, "a holds the lease");
    const unloadsBefore = (await metrics(a)).cohort_store_key_unloads_total;
    await new Promise((resolve) => onA.channel.leave().receive("ok", resolve));
    const deadline = Date.now() + 5000;  // polled until the lease is gone; the deadline bounds it
    while (lease() !== "") {
      assert.ok(Date.now() < deadline, "the unloaded key's lease was never given up");
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok((await metrics(a)).cohort_store_key_unloads_total > unloadsBefore, "a unloaded the key");
    const wonBefore = (await metrics(b)).cohort_cluster_store_keys_won_total;
    const onB = await follower(pool, b, key, { claims: null });
    assert.equal(onB.version, 1, "it exists: a stranger follows it");
    const writer = await follower(pool, b, key);
    const r = await writer.op("incr", { counter: "n" });
    assert.equal(r.response.version, 2, "versions continue on the new owner");
    assert.equal((await metrics(b)).cohort_cluster_store_keys_won_total, wonBefore + 1, "b took the key");
  });
});
