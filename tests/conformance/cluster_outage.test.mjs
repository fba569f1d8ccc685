// cluster_outage.test.mjs — Redis restarted under a running cluster (issue #7 item 5): local
// delivery goes on during the outage, cross-node delivery resumes when Redis is back, what
// could not cross is counted, and presence converges on every node again.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";

import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { cast, nextEvent, presenceClient, uniq, withTimeout } from "./helpers.mjs";
import { freePort, metrics, startCluster, startRedis, untilKeys, untilMetrics, clusterForSuite } from "./cluster.mjs";
import { cohortBin, startServer } from "./server.mjs";

describe("Redis outage", () => {
  const suite = clusterForSuite(3, (m) => m.cohort_cluster_nodes_alive === 2, "two other nodes alive");
  const { pool } = suite;

  test("Redis restarted mid-run: local delivery goes on, cross-node delivery resumes, presence converges", async () => {
    const [A, B, C] = suite.cluster.nodes;
    const topic = uniq("room:outage");
    const a = await presenceClient(pool, A, topic, "alice");
    const a2 = await presenceClient(pool, A, topic, "anna");
    const b = await presenceClient(pool, B, topic, "bob");
    for (const x of [a, a2, b]) await untilKeys(x, ["alice", "anna", "bob"]);

    await suite.cluster.redis.kill();
    for (const node of suite.cluster.nodes) await untilMetrics(node, (m) => m.cohort_cluster_links_up === 0, "links down");
    // Local delivery keeps working.
    const local = nextEvent(a2.channel, "shout");
    cast(a.channel, "shout", { during: "outage" });
    assert.deepEqual(await local, { during: "outage" });
    await untilMetrics(A, (m) => m.cohort_cluster_publish_dropped_total >= 1, "the dropped broadcast counted");
    // Presence changes during the outage: carol joins on C, anna leaves A.
    const c = await presenceClient(pool, C, topic, "carol");
    a2.channel.leave();
    await untilKeys(a, ["alice", "bob"]);  // B's bob stays: Redis down is not B down

    suite.cluster.redis = await suite.cluster.redis.restart();
    for (const node of suite.cluster.nodes) await untilMetrics(node, (m) => m.cohort_cluster_links_up === 2, "links back up");
    // Presence converges everywhere (digests after the reconnect).
    for (const x of [a, b, c]) await untilKeys(x, ["alice", "bob", "carol"]);
    // Cross-node delivery resumes.
    const onB = nextEvent(b.channel, "shout");
    const onC = nextEvent(c.channel, "shout");
    cast(a.channel, "shout", { after: "outage" });
    assert.deepEqual(await onB, { after: "outage" });
    assert.deepEqual(await onC, { after: "outage" });
    const m = await metrics(A);
    assert.ok(m.cohort_cluster_link_downs_total >= 1, "the outage was counted");

    // The restarted Redis forgot the node id counter; the live nodes put it back above their
    // ids when they reconnected, so a node joining now gets an id of its own.
    const D = await startServer({ args: suite.cluster.args, admin: true });
    suite.cluster.nodes.push(D);
    const d = await presenceClient(pool, D, topic, "dora");
    await untilKeys(d, ["alice", "bob", "carol", "dora"]);
    const idOf = (x) => x.presence.state[x.user].metas[0].phx_ref.slice(0, 6);
    const ids = [a, b, c, d].map(idOf);
    assert.equal(new Set(ids).size, 4, `four nodes, four node ids in phx_refs: ${ids}`);
  });

  test("a node stopped while Redis is down exits cleanly", async () => {
    // Its own Redis, so the suite's cluster is left alone.
    const redis = await startRedis();
    const node = await startServer({ args: ["--cluster", redis.url], admin: true });
    await untilMetrics(node, (m) => m.cohort_cluster_links_up === 2, "links up");
    await redis.kill();
    await untilMetrics(node, (m) => m.cohort_cluster_links_up === 0, "links down");
    const { code, signal } = await node.stop();
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, `stderr: ${node.output().stderr.slice(-500)}`);
  });

  test("a node whose Redis cannot be reached at start refuses to start, with the reason", async () => {
    const port = await freePort(); // nothing listens there
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cohort-cluster-"));
    const proc = spawn(cohortBin(), ["serve", "--port", "0", "--data-dir", dir, "--cluster", `redis://127.0.0.1:${port}`],
                       { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    proc.stderr.setEncoding("utf8").on("data", (c) => (stderr += c));
    const exited = new Promise((resolve) => proc.on("exit", (code) => resolve(code)));
    const code = await withTimeout(exited, 10_000, "cohort with an unreachable Redis to exit").finally(() => {
      proc.kill("SIGKILL");
      fs.rmSync(dir, { recursive: true, force: true });
    });
    assert.equal(code, 1);
    assert.match(stderr, /cluster: cannot reach redis at 127\.0\.0\.1:\d+/);
  });
});
