// backup_pg.test.mjs — the PostgreSQL backup procedure of docs/backups.md, run as written against
// a real PostgreSQL (tests/conformance/pg.mjs) and real nodes: pg_dump of the three store tables
// while pipelined writers keep being acknowledged; pg_restore into a new database, where a node
// loads every key at a version inside the dump's window with the state its follower saw there;
// and the in-place restore, which brings ops and snapshots back to the dump but leaves the fence
// tokens where they are (a fence raised after the dump is not lowered).
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, afterEach, test } from "node:test";

import { ClientPool, bystander } from "../conformance/helpers.mjs";
import { pgForFile } from "../conformance/pg.mjs";
import { startServer } from "../conformance/server.mjs";
import { follower } from "../conformance/store_client.mjs";
import { SECRET } from "../conformance/tokens.mjs";
import { latencies, pipelinedWriter, recordingFollower } from "./backup_load.mjs";

// --socket-messages-per-s 0: each writer sends 800 ops a second from one socket, past a person's
// rate (docs/security.md, "Limits per client").
const NODE_ARGS = ["--secret", SECRET, "--store-snapshot-every", "40", "--socket-messages-per-s", "0"];
const TABLES = ["store_ops", "store_snapshots", "store_fences"];
const FENCED_KEY = "doc:bk-pg-fenced"; // a fence row as a cluster's owner would leave it

const db = pgForFile("backup");
const pool = new ClientPool();
const work = fs.mkdtempSync(path.join(os.tmpdir(), "cohort-backup-pg-"));
afterEach(() => pool.closeAll());
after(() => fs.rmSync(work, { recursive: true, force: true }));

const psql = (url, sql, input) =>
  execFileSync("psql", ["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", ...(sql ? ["-c", sql] : ["--single-transaction"]), url],
    { encoding: "utf8", input, timeout: 30_000 }).trim();
const withDb = (url, name) => url.replace(/\/[^/]*$/, `/${name}`);
const fence = (url) => psql(url, `SELECT token FROM store_fences WHERE key = '${FENCED_KEY}'`);

// Starts pg_dump (docs/backups.md's command) and resolves to {code, stderr, startedAt, endedAt}.
function pgDump(url, file) {
  const startedAt = performance.now();
  const args = ["--format=custom", ...TABLES.map((t) => `--table=${t}`), `--file=${file}`, url];
  const proc = spawn("pg_dump", args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr.setEncoding("utf8").on("data", (c) => (stderr += c));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (proc.kill("SIGKILL"), reject(new Error(`pg_dump did not finish in 30 s: ${stderr}`))), 30_000);
    proc.on("error", reject);
    proc.on("close", (code) => (clearTimeout(timer), resolve({ code, stderr, startedAt, endedAt: performance.now() })));
  });
}

// The restored node must hold each writer key at a version inside the dump's window, with the
// state its follower saw at that version. Returns the versions found.
async function checkRestored(server, writers, followers, dump) {
  const found = [];
  for (const [i, w] of writers.entries()) {
    const lo = Math.max(w.base, ...w.ops.filter((o) => o.ackAt < dump.startedAt).map((o) => o.version));
    const hi = Math.max(...w.ops.filter((o) => o.sentAt < dump.endedAt).map((o) => o.version));
    const f = await follower(pool, server, w.key);
    assert.equal(f.join.status, "ok", `${w.key} loads: ${JSON.stringify(f.join.response)}`);
    assert.ok(f.version >= lo && f.version <= hi, `${w.key} restored at ${f.version}, the dump ran between ${lo} (acknowledged) and ${hi} (sent)`);
    assert.deepEqual(f.state, JSON.parse(followers[i].states.get(f.version)), `${w.key}: the state at version ${f.version}`);
    found.push(f.version);
  }
  return found;
}

test("pg_dump while ops keep being acknowledged; pg_restore into a new database and in place (fences kept) both load the dump's keys", { timeout: 180_000 }, async () => {
  const dumpFile = path.join(work, "cohort.pgdump");
  let server = await startServer({ args: [...NODE_ARGS, "--storage", db.url] });
  let writers, followers, dump;
  try {
    psql(db.url, `INSERT INTO store_fences(key, token) VALUES ('${FENCED_KEY}', 7)`);
    const keys = [0, 1, 2].map((i) => `doc:bk-pg-w${i}`);
    followers = await Promise.all(keys.map((k) => recordingFollower(pool, server, k)));
    writers = await Promise.all(keys.map((k) => pipelinedWriter(pool, server, k)));
    await Promise.all(writers.map((w) => w.untilAcked(100, "before the dump")));
    dump = await pgDump(db.url, dumpFile);
    await Promise.all(writers.map((w) => w.untilAcked(w.acked - w.base + 40, "after the dump")));
    await Promise.all(writers.map((w) => w.stop()));
    assert.equal(dump.code, 0, `pg_dump: ${dump.stderr}`);
    assert.deepEqual(writers.flatMap((w) => w.failures), [], "every op acknowledged at its version");
    const all = writers.flatMap((w) => w.ops);
    const during = all.filter((o) => o.ackAt > dump.startedAt && o.ackAt < dump.endedAt);
    assert.ok(during.length > 0, `acks while pg_dump ran (${(dump.endedAt - dump.startedAt).toFixed(0)} ms)`);
    console.log(JSON.stringify({ dumpMs: Math.round(dump.endedAt - dump.startedAt), ackLatencyDuringDump: latencies(during) }));
    await Promise.all(followers.map((f, i) => f.until(() => f.version === writers[i].acked, `${keys[i]} follower at ${writers[i].acked}`)));
    psql(db.url, `UPDATE store_fences SET token = 42 WHERE key = '${FENCED_KEY}'`); // a takeover after the dump
  } finally {
    await pool.closeAll();
    await server.stop();
  }

  // Disaster recovery: a new, empty database gets all three tables from the dump.
  psql(db.url, "CREATE DATABASE restored");
  const restoredUrl = withDb(db.url, "restored");
  execFileSync("pg_restore", ["--single-transaction", "--exit-on-error", `--dbname=${restoredUrl}`, dumpFile], { timeout: 60_000 });
  assert.equal(fence(restoredUrl), "7", "a new database gets the dump's fences");
  const fresh = await startServer({ args: [...NODE_ARGS, "--storage", restoredUrl] });
  let inNewDb;
  try {
    inNewDb = await checkRestored(fresh, writers, followers, dump);
  } finally {
    await pool.closeAll();
    await fresh.kill();
  }

  // Rolling the live database back, every node stopped: ops and snapshots from the dump, fences kept.
  const data = execFileSync("pg_restore", ["--data-only", "--table=store_ops", "--table=store_snapshots", "--file=-", dumpFile],
    { encoding: "utf8", timeout: 60_000, maxBuffer: 256 << 20 });
  psql(db.url, null, `TRUNCATE store_ops, store_snapshots;\n${data}`);
  assert.equal(fence(db.url), "42", "the in-place restore leaves the fences where they are");
  server = await server.restart();
  try {
    const by = await bystander(pool, server);
    assert.deepEqual(await checkRestored(server, writers, followers, dump), inNewDb, "both restores load the same versions");
    await by.check("on the node over the restored database");
  } finally {
    await server.kill();
  }
});
