// drain.test.mjs — SIGTERM drains a node of a two-node cluster (docs/operations.md, "Health and
// shutdown"): it stops accepting, closes its clients' sockets with 1001, commits what they sent,
// hands its keys to the other node and exits 0 within shutdown_grace_ms. Clients reach the nodes
// through a balancer (a TCP proxy here that sends each new connection to the first node that
// accepts it, as a load balancer does once the drained node stops listening): they reconnect to
// the other node by themselves, resend what had no outcome with the same op_id, and every op
// lands exactly once — none lost, none doubled. Its own Redis and PostgreSQL, on loopback.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";

import { startCluster, untilMetrics } from "../conformance/cluster.mjs";
import { uniq } from "../conformance/helpers.mjs";
import { pgForFile } from "../conformance/pg.mjs";
import { RecordingPool, assertContinuous, follow, serverState } from "./support.mjs";

const GRACE_MS = 3000;
const db = pgForFile("client_drain");
const pool = new RecordingPool();
let cluster;
before(async () => {
  cluster = await startCluster(2, { args: ["--storage", db.url, "--cluster-lease-ms", "1000",
                                           "--shutdown-grace-ms", String(GRACE_MS), "--socket-messages-per-s", "0"] });
  for (const node of cluster.nodes) await untilMetrics(node, (m) => m.cohort_cluster_links_up === 2, "both Redis links up");
});
after(async () => {
  await pool.closeAll();
  await cluster?.stopAll();
});

// A TCP balancer in front of nodes: each new connection goes to the first node that accepts it.
// upstreams lists, per accepted connection, the port it was sent to.
async function balancer(nodes) {
  const upstreams = [];
  const open = new Set();
  const server = net.createServer((client) => {
    open.add(client);
    client.on("close", () => open.delete(client));
    client.pause();
    const tryNode = (i) => {
      if (i >= nodes.length) return client.destroy();
      const up = net.connect(nodes[i].port, "127.0.0.1");
      up.once("error", () => tryNode(i + 1));
      up.once("connect", () => {
        up.removeAllListeners("error");
        upstreams.push(nodes[i].port);
        open.add(up);
        up.on("close", () => (open.delete(up), client.destroy()));
        up.on("error", () => client.destroy());
        client.on("error", () => up.destroy());
        client.on("close", () => up.destroy());
        client.pipe(up).pipe(client);
        client.resume();
      });
    };
    tryNode(0);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    wsUrl: `ws://127.0.0.1:${server.address().port}/socket`,
    upstreams,
    close: () => new Promise((resolve) => (open.forEach((s) => s.destroy()), server.close(resolve))),
  };
}

test("SIGTERM drains: 1001 to every client, they reconnect to the other node, every op applied exactly once, exit 0 in grace", async () => {
  const [drained, other] = cluster.nodes;
  const lb = await balancer([drained, other]);
  try {
    const key = uniq("doc:drain");
    const clients = [];
    const closes = [];
    for (let i = 0; i < 4; i++) {
      const socket = pool.socket({ wsUrl: lb.wsUrl });
      socket.onClose((e) => closes.push({ client: i, code: e?.code }));
      socket.connect();
      clients.push(await follow(pool, drained, key, { socket }));
    }
    assert.deepEqual(lb.upstreams, [drained.port, drained.port, drained.port, drained.port], "every client on the first node");

    let acked = 0;
    let stop = false;
    const loops = clients.map(async (c) => {
      while (!stop) {
        await c.op("incr", { counter: "n" });
        acked++;
      }
    });
    await clients[0].until(() => acked >= 40, "40 ops acknowledged before the drain");
    const termAt = Date.now();
    drained.proc.kill("SIGTERM");
    const { code, signal } = await drained.exited;
    const drainMs = Date.now() - termAt;
    assert.equal(code, 0, `exit code (signal ${signal})`);
    assert.ok(drainMs < GRACE_MS + 1000, `exited ${drainMs} ms after SIGTERM`);
    const atExit = acked;
    await clients[0].until(() => acked >= atExit + 40, "40 more ops acknowledged through the other node", 20_000);
    stop = true;
    await Promise.all(loops);

    for (let i = 0; i < clients.length; i++)
      assert.ok(closes.some((c) => c.client === i && c.code === 1001), `client ${i} was closed with 1001: ${JSON.stringify(closes)}`);
    const after = lb.upstreams.slice(4);
    assert.ok(after.length >= clients.length, `every client reconnected: ${JSON.stringify(lb.upstreams)}`);
    assert.ok(after.every((p) => p === other.port), `reconnections went to the other node: ${JSON.stringify(lb.upstreams)}`);

    const truth = await serverState(pool, other, key);
    assert.equal(truth.state.counters.n, acked, "every acknowledged incr applied exactly once");
    assert.equal(truth.version, acked, "one version per applied op: nothing applied that was not acknowledged");
    for (const c of clients) {
      await c.until(() => c.version === truth.version, `each follower reaches ${truth.version}`);
      assert.deepEqual(c.state, truth.state);
      assertContinuous(c);
      assert.deepEqual(c.errors, []);
    }
    console.log(`drain: exit 0 after ${drainMs} ms; ${atExit} ops before, ${acked - atExit} after; version ${truth.version}`);
  } finally {
    await lb.close();
  }
});
