// cluster.mjs — a Redis of the test's own and several Cohort nodes joined through it.
//
// startRedis({args}) spawns `redis-server --port P --bind 127.0.0.1 --save "" --appendonly no
// ...args` (e.g. ["--requirepass", pw]) on a free loopback port and resolves once it logs
// "Ready to accept connections":
//   { port, url, proc, stop(), kill(), restart() }
// startCluster(n, {args}) starts one Redis and n nodes (server.mjs startServer) joined to it,
// with fast heartbeats so node-down tests are quick, and one secret for all of them (the nodes
// of a cluster sign their messages with a key derived from it; args may give another
// --secret): { redis, nodes, args, downBoundMs, stopAll() }.
// Guarantees: every wait has a deadline and names what it waited for; every redis-server still
// alive when the test process exits is killed. No system Redis service is used or needed.
import { spawn } from "node:child_process";

import { freePort, startServer } from "./server.mjs";

import { after, before } from "node:test";
import { ClientPool, WAIT_MS, deferred, sameKeys, untilPresence, withTimeout } from "./helpers.mjs";

const REDIS_START_MS = 10_000;
const live = new Set();
process.on("exit", () => {
  for (const proc of live) proc.kill("SIGKILL");
});

// Heartbeats and the down bound the cluster tests run with (defaults are 1000 / 5000 ms).
export const HEARTBEAT_MS = 200;
export const DOWN_MS = 1000;
// A dead node's presences must leave within down + heartbeat (docs/cluster.md), plus the
// presence tick; the tests wait up to this long for it.
export const DOWN_BOUND_MS = DOWN_MS + HEARTBEAT_MS + 100;

// The secret every node of a startCluster() cluster shares (at least 32 bytes).
export const CLUSTER_SECRET = "conformance-cluster-secret-of-32-bytes-or-more";

export { freePort };

export async function startRedis({ port = null, args: extra = [] } = {}) {
  const p = port ?? (await freePort());
  const args = ["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...extra];
  const proc = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  live.add(proc);
  let out = "";
  const ready = deferred();
  const exited = new Promise((resolve) =>
    proc.on("exit", (code, signal) => {
      live.delete(proc);
      ready.reject(new Error(`redis-server exited (code ${code}, signal ${signal}) before ready:\n${out.slice(-2000)}`));
      resolve({ code, signal });
    }),
  );
  proc.on("error", (err) => ready.reject(new Error(`cannot start redis-server (scripts/setup installs it): ${err.message}`)));
  proc.stdout.setEncoding("utf8").on("data", (c) => {
    out += c;
    if (/Ready to accept connections/.test(out)) ready.resolve();
  });
  proc.stderr.setEncoding("utf8").on("data", (c) => (out += c));
  await withTimeout(ready.promise, REDIS_START_MS, `redis-server on port ${p} to be ready`);
  const kill = async (signal = "SIGKILL") => {
    if (live.has(proc)) proc.kill(signal);
    await exited;
  };
  return {
    port: p,
    url: `redis://127.0.0.1:${p}`,
    proc,
    kill,
    stop: () => kill("SIGTERM"),
    restart: () => startRedis({ port: p, args: extra }), // the old one must be gone
  };
}

// One Redis and n nodes. args go to every node.
export async function startCluster(n, { args = [] } = {}) {
  const redis = await startRedis();
  const secret = args.includes("--secret") ? [] : ["--secret", CLUSTER_SECRET];
  const nodeArgs = ["--cluster", redis.url, "--cluster-heartbeat-ms", String(HEARTBEAT_MS),
                    "--cluster-down-ms", String(DOWN_MS), "--presence-tick-ms", "20", ...secret, ...args];
  const nodes = [];
  for (let i = 0; i < n; i++) nodes.push(await startServer({ args: nodeArgs, admin: true }));
  const cluster = {
    redis,
    nodes,
    args: nodeArgs,
    async stopAll() {
      await Promise.all(nodes.map((s) => s.kill()));
      await cluster.redis.kill();
    },
  };
  return cluster;
}

// One cluster for a describe() block: started (and every node ready by `ready` on its metrics)
// before the first test, stopped after the last; suite.pool's clients are closed then too.
// Tests use suite.cluster (and may replace suite.cluster.redis on a restart).
export function clusterForSuite(n, ready, what) {
  const suite = { pool: new ClientPool(), cluster: null };
  before(async () => {
    suite.cluster = await startCluster(n);
    for (const node of suite.cluster.nodes) await untilMetrics(node, ready, what);
  });
  after(async () => {
    await suite.pool.closeAll();
    await suite.cluster?.stopAll();
  });
  return suite;
}

// The node's /metrics (on its admin listener: start it with {admin: true}) as {name: number}.
export async function metrics(server) {
  if (!server.adminUrl) throw new Error(`${server.url} has no admin listener: start it with {admin: true}`);
  const res = await fetch(`${server.adminUrl}/metrics`);
  const out = {};
  for (const line of (await res.text()).split("\n")) {
    const [name, value] = line.split(" ");
    if (name) out[name] = Number(value);
  }
  return out;
}

// Resolves once pred(metrics) holds on server, re-reading /metrics as each answer arrives;
// rejects at the deadline with the last values seen.
export async function untilMetrics(server, pred, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last = {};
  for (;;) {
    last = await metrics(server);
    if (pred(last)) return last;
    if (Date.now() > deadline) {
      const cluster = Object.fromEntries(Object.entries(last).filter(([k]) => k.startsWith("cohort_cluster")));
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} on ${server.url}: ${JSON.stringify(cluster)}`);
    }
    await new Promise((r) => setTimeout(r, 25)); // poll interval: the condition itself is what ends the wait
  }
}

// Resolves once the client's presence keys are exactly `want`, re-checking on every sync.
export function untilKeys(client, want, timeoutMs = WAIT_MS) {
  return untilPresence(client, sameKeys(want), `to see exactly ${JSON.stringify([...want].sort())}`, timeoutMs);
}
