// readiness.test.mjs — /healthz and /readyz (docs/operations.md, "Health and shutdown"): a node
// is ready while its storage takes writes, its Redis links are up (clustered) and it is not
// draining; /readyz turns 503 within a second of PostgreSQL or Redis going away, says why, and
// turns 200 again once they are back. The public answer gives short reasons only; the admin
// listener's adds the storage's own error. Clients already connected are served throughout.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";

import { ClientPool, bystander } from "./helpers.mjs";
import { startCluster, untilMetrics } from "./cluster.mjs";
import { pgForFile } from "./pg.mjs";
import { startServer } from "./server.mjs";

const fixture = path.resolve("tests/support/pg_fixture.sh");
const db = pgForFile("readiness");
const pool = new ClientPool();
after(() => pool.closeAll());

async function readyz(base) {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, cache: res.headers.get("cache-control"), body: await res.json() };
}

// Polls /readyz until pred(answer) holds; resolves with the answer and the ms it took.
async function untilReadyz(base, pred, what, timeoutMs = 10_000) {
  const start = Date.now();
  for (;;) {
    const answer = await readyz(base);
    if (pred(answer)) return { ...answer, ms: Date.now() - start };
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(answer)}`);
    await new Promise((r) => setTimeout(r, 20)); // poll interval: the answer itself ends the wait
  }
}
const isReady = (a) => a.status === 200 && a.body.ready === true;
const isUnready = (a) => a.status === 503 && a.body.ready === false;

test("a node on SQLite: /healthz and /readyz answer 200, not cached", async () => {
  const server = await startServer({ admin: true });
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  const r = await untilReadyz(server.url, isReady, "ready after start", 5000);
  assert.deepEqual(r.body, { ready: true, reasons: [] });
  assert.equal(r.cache, "no-store");
  assert.deepEqual((await readyz(server.adminUrl)).body, { ready: true, reasons: [] });
  await server.stop();
});

test("PostgreSQL down: 503 within a second naming the storage, the error on the admin listener only; bystanders served; back: 200", async () => {
  const server = await startServer({ admin: true, args: ["--storage", db.url] });
  const calm = await bystander(pool, server);
  await untilReadyz(server.url, isReady, "ready with PostgreSQL up", 5000);

  execFileSync(fixture, ["down", db.dir], { timeout: 30_000 });
  const down = await untilReadyz(server.url, isUnready, "unready with PostgreSQL down", 5000);
  assert.ok(down.ms < 1000, `unready ${down.ms} ms after PostgreSQL stopped`);
  assert.deepEqual(down.body.reasons, ["storage: not writable"]);
  assert.equal(down.body.storage_error, undefined, "the public answer carries no storage error text");
  const admin = await readyz(server.adminUrl);
  assert.equal(admin.status, 503);
  assert.match(admin.body.storage_error, /PostgreSQL/);
  assert.doesNotMatch(admin.body.storage_error, /postgres(ql)?:\/\//, "no connection URL even there");
  await calm.check("while PostgreSQL is down");
  assert.equal((await fetch(`${server.url}/healthz`)).status, 200, "alive though not ready");

  execFileSync(fixture, ["up", db.dir], { timeout: 30_000 });
  const back = await untilReadyz(server.url, isReady, "ready again with PostgreSQL back", 10_000);
  assert.deepEqual(back.body.reasons, []);
  await calm.check("after PostgreSQL came back");
  await server.stop();
});

describe("clustered", () => {
  let cluster;
  after(() => cluster?.stopAll());

  test("Redis down: 503 within a second naming the cluster; bystanders served; back: 200", async () => {
    cluster = await startCluster(1);
    const [node] = cluster.nodes;
    await untilMetrics(node, (m) => m.cohort_cluster_links_up === 2, "both Redis links up");
    const calm = await bystander(pool, node);
    await untilReadyz(node.url, isReady, "ready with Redis linked", 5000);

    await cluster.redis.kill();
    const down = await untilReadyz(node.url, isUnready, "unready with Redis gone", 5000);
    assert.ok(down.ms < 1000, `unready ${down.ms} ms after Redis went`);
    assert.equal(down.body.reasons.length, 1, JSON.stringify(down.body));
    assert.match(down.body.reasons[0], /^cluster: Redis not linked \([01] of 2 connections up\)$/);
    await calm.check("while Redis is down");

    cluster.redis = await cluster.redis.restart();
    await untilReadyz(node.url, isReady, "ready again with Redis back", 10_000);
    await calm.check("after Redis came back");
  });
});

describe("--shutdown-unready-ms: unready before the drain", () => {
  const UNREADY_MS = 1500;

  test("after SIGTERM /readyz says draining while the node still accepts and serves; then it drains and exits 0", async () => {
    const server = await startServer({ args: ["--shutdown-unready-ms", String(UNREADY_MS)] });
    await untilReadyz(server.url, isReady, "ready after start", 5000);
    const guard = await bystander(pool, server);
    const termAt = Date.now();
    server.proc.kill("SIGTERM");
    const unready = await untilReadyz(server.url, isUnready, "draining after SIGTERM", 5000);
    assert.deepEqual(unready.body, { ready: false, reasons: ["draining"] });
    // Still serving: a new connection is accepted and answered, and a joined client is served.
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, "a new request while unready");
    await guard.check("while unready before the drain");
    assert.ok(Date.now() - termAt < UNREADY_MS, "the checks above ran inside the unready period");
    const { code, signal } = await server.exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null });
    assert.ok(Date.now() - termAt >= UNREADY_MS, `exited ${Date.now() - termAt} ms after SIGTERM, not before the unready period`);
    assert.match(server.output().stderr, /unready_before_drain unready_ms=1500/);
  });

  test("a second SIGTERM ends the unready period at once", async () => {
    const server = await startServer({ args: ["--shutdown-unready-ms", "60000"] });
    await untilReadyz(server.url, isReady, "ready after start", 5000);
    server.proc.kill("SIGTERM");
    await untilReadyz(server.url, isUnready, "draining after the first SIGTERM", 5000);
    const secondAt = Date.now();
    server.proc.kill("SIGTERM");
    const { code } = await server.exited;
    assert.equal(code, 0);
    assert.ok(Date.now() - secondAt < 10_000, `exited ${Date.now() - secondAt} ms after the second SIGTERM (unready period 60 s)`);
  });
});
