// backup.test.mjs — `cohort backup` and `cohort restore` of the SQLite store, and the lock that
// keeps one node per data directory, against real nodes and the official phoenix client.
//
// The live test: a node serves pipelined writers on three doc keys (plus filler keys that make
// the file a few MiB) while `cohort backup --max-rate` copies its store; every op must be
// acknowledged, some of them while the backup process runs, and the backup must exit 0. The
// backup is restored into a fresh data directory and a node started on it: every key must load
// at a version V with (last version acknowledged before the backup started) <= V <= (last version
// sent before it ended), with the state the key's follower saw at V. The other tests are the
// refusals: a second serve or a restore on a data directory in use, a missing or damaged source,
// an existing OUT, a damaged or newer IN, an existing store without --force — each naming the
// file, and each leaving a node that is involved serving a bystander.
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, afterEach, test } from "node:test";

import { ClientPool, bystander, push } from "../conformance/helpers.mjs";
import { startServer } from "../conformance/server.mjs";
import { follower } from "../conformance/store_client.mjs";
import { SECRET } from "../conformance/tokens.mjs";
import { PUSH_TIMEOUT_MS, latencies, pipelinedWriter, recordingFollower, runCohort } from "./backup_load.mjs";

// --socket-messages-per-s 0: each writer sends 800 ops a second from one socket, past a person's
// rate (docs/security.md, "Limits per client").
const NODE_ARGS = ["--secret", SECRET, "--store-snapshot-every", "40", "--socket-messages-per-s", "0"];
const FILLER_KEYS = 5;
const FILLER_OPS = 16;
const BLOB_BYTES = 48 * 1024; // each filler op stores about twice this (op and patch)
const BACKUP_MIB_PER_S = "4"; // paced, so the copy of the ~7 MiB file lasts long enough to watch
const SQLITE_MAGIC = "SQLite format 3\0";

const pool = new ClientPool();
const dirs = [];
afterEach(() => pool.closeAll());
after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tempDir(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cohort-backup-${name}-`));
  dirs.push(dir);
  return dir;
}

const blob = (key, i) => crypto.createHash("sha256").update(`${key}/${i}`).digest("hex").repeat(BLOB_BYTES / 64);
const docState = (fields = {}, counters = {}) => ({ counters, items: [], fields });

async function op(server, key, name, args) {
  const f = await follower(pool, server, key);
  return push(f.channel, "op", { name, args }, PUSH_TIMEOUT_MS);
}

// Overwrites pages 2 and 3 (the tables' roots in a small store) with junk.
function damage(file) {
  const fd = fs.openSync(file, "r+");
  fs.writeSync(fd, Buffer.alloc(8192, 0x55), 0, 8192, 4096);
  fs.closeSync(fd);
}

function assertRefused(run, code, ...mentions) {
  assert.equal(run.code, code, `exit code ${run.code}, expected ${code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  for (const m of mentions) assert.ok(run.stderr.includes(m), `stderr does not mention ${JSON.stringify(m)}: ${run.stderr}`);
}

// FILLER_KEYS keys of FILLER_OPS big set_field ops each; returns key -> {version, state}.
async function fill(server) {
  const expected = new Map();
  for (let k = 0; k < FILLER_KEYS; k++) {
    const key = `doc:bk-fill-${k}`;
    const f = await follower(pool, server, key);
    const replies = [];
    for (let i = 1; i <= FILLER_OPS; i++)
      replies.push(push(f.channel, "op", { name: "set_field", args: { field: "blob", value: blob(key, i) } }, PUSH_TIMEOUT_MS));
    const got = (await Promise.all(replies)).map((r) => r.status === "ok" && r.response.version);
    assert.deepEqual(got, Array.from({ length: FILLER_OPS }, (_, i) => i + 1), `filler ${key}`);
    expected.set(key, { version: FILLER_OPS, state: docState({ blob: blob(key, FILLER_OPS) }) });
  }
  return expected;
}

test("ops keep being acknowledged while cohort backup copies the live store; the restored copy loads every key at a version inside the backup, with the state its follower saw there", { timeout: 240_000 }, async () => {
  const dataDir = tempDir("live");
  const outDir = tempDir("out");
  const out = path.join(outDir, "store.backup");
  let server = await startServer({ args: NODE_ARGS, dataDir });
  let restored = null;
  try {
    const filler = await fill(server);
    const keys = [0, 1, 2].map((i) => `doc:bk-w${i}`);
    const followers = await Promise.all(keys.map((k) => recordingFollower(pool, server, k)));
    const writers = await Promise.all(keys.map((k) => pipelinedWriter(pool, server, k)));
    await Promise.all(writers.map((w) => w.untilAcked(60, "before the backup")));

    const backup = await runCohort(["backup", "--data-dir", dataDir, "--max-rate", BACKUP_MIB_PER_S, out]);
    await Promise.all(writers.map((w) => w.untilAcked(w.acked - w.base + 40, "after the backup")));
    await Promise.all(writers.map((w) => w.stop()));

    assert.equal(backup.code, 0, `backup failed\nstdout: ${backup.stdout}\nstderr: ${backup.stderr}`);
    assert.deepEqual(writers.flatMap((w) => w.failures), [], "every op acknowledged at its version");
    const during = (o) => o.ackAt > backup.startedAt && o.ackAt < backup.endedAt;
    for (const w of writers) {
      const n = w.ops.filter(during).length;
      assert.ok(n >= 5, `${w.key}: ${n} acks while the backup ran (${(backup.endedAt - backup.startedAt).toFixed(0)} ms)`);
    }
    const all = writers.flatMap((w) => w.ops);
    console.log(JSON.stringify({
      backupMs: Math.round(backup.endedAt - backup.startedAt), backup: backup.stdout.trim(),
      ackLatencyDuringBackup: latencies(all.filter(during)), ackLatencyOtherwise: latencies(all.filter((o) => !during(o))),
    }));
    const copied = /: (\d+) keys, (\d+) ops, (\d+) snapshots, (\d+) bytes/.exec(backup.stdout);
    assert.ok(copied, `backup output: ${backup.stdout}`);
    assert.equal(Number(copied[1]), FILLER_KEYS + keys.length, "keys copied");
    assert.ok(Number(copied[3]) >= keys.length, `snapshots copied: ${copied[3]}`);
    assert.equal(Number(copied[4]), fs.statSync(out).size, "bytes reported = the file's size");

    // OUT is one self-contained file in rollback-journal mode: no WAL flag, nothing beside it.
    const head = fs.readFileSync(out).subarray(0, 20);
    assert.equal(head.subarray(0, 16).toString("latin1"), SQLITE_MAGIC);
    assert.deepEqual([head[18], head[19]], [1, 1], "file format bytes 18-19 (2 would mean WAL)");
    assert.deepEqual(fs.readdirSync(outDir), [path.basename(out)]);

    // The followers have every version up to the last acknowledged one.
    await Promise.all(followers.map((f, i) => f.until(() => f.version === writers[i].acked, `${keys[i]} follower at ${writers[i].acked}`)));

    const restoredDir = tempDir("restored");
    const restore = await runCohort(["restore", "--data-dir", restoredDir, out]);
    assert.equal(restore.code, 0, `restore failed\nstdout: ${restore.stdout}\nstderr: ${restore.stderr}`);
    assert.ok(restore.stdout.includes(`${FILLER_KEYS + keys.length} keys`), restore.stdout);
    restored = await startServer({ args: NODE_ARGS, dataDir: restoredDir });
    for (const [i, w] of writers.entries()) {
      const lo = Math.max(w.base, ...w.ops.filter((o) => o.ackAt < backup.startedAt).map((o) => o.version));
      const hi = Math.max(...w.ops.filter((o) => o.sentAt < backup.endedAt).map((o) => o.version));
      const f = await follower(pool, restored, w.key);
      assert.equal(f.join.status, "ok", `${w.key} loads: ${JSON.stringify(f.join.response)}`);
      const v = f.version;
      assert.ok(v >= lo && v <= hi, `${w.key} restored at version ${v}, the backup ran between ${lo} (acknowledged) and ${hi} (sent)`);
      assert.deepEqual(f.state, JSON.parse(followers[i].states.get(v)), `${w.key}: the state at version ${v}`);
      const next = await push(f.channel, "op", { name: "incr", args: { counter: "after" } }, PUSH_TIMEOUT_MS);
      assert.deepEqual([next.status, next.response.version], ["ok", v + 1], `${w.key}: an op after the restore`);
    }
    for (const [key, want] of filler) {
      const f = await follower(pool, restored, key);
      assert.deepEqual([f.join.status, f.version], ["ok", want.version], `${key} loads`);
      assert.deepEqual(f.state, want.state, `${key}: its state`);
    }
  } finally {
    await server.kill();
    await restored?.kill();
  }
});

test("a second cohort serve on a data directory in use refuses to start, naming it; the first keeps serving, and the lock ends with its process", { timeout: 60_000 }, async () => {
  const dataDir = tempDir("lock");
  const server = await startServer({ args: NODE_ARGS, dataDir });
  try {
    const by = await bystander(pool, server);
    assert.equal((await op(server, "doc:bk-lock", "incr", { counter: "n" })).response.version, 1);
    const second = await runCohort(["serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir, ...NODE_ARGS], { timeoutMs: 15_000 });
    assertRefused(second, 1, `data directory ${dataDir} is in use`, `process ${server.proc.pid} holds ${dataDir}/cohort.lock`);
    await by.check("after a second serve on its data directory was refused");
    assert.equal((await op(server, "doc:bk-lock", "incr", { counter: "n" })).response.version, 2, "the first node still writes its store");

    await server.kill(); // SIGKILL: the kernel drops the lock with the process
    const again = await server.restart();
    try {
      const f = await follower(pool, again, "doc:bk-lock");
      assert.deepEqual([f.version, f.state], [2, docState({}, { n: 2 })]);
    } finally {
      await again.kill();
    }
  } finally {
    await server.kill();
  }
});

test("cohort restore refuses while a node serves the data directory, and the node's store is left alone", { timeout: 60_000 }, async () => {
  const dataDir = tempDir("busy");
  const out = path.join(tempDir("busy-out"), "store.backup");
  const server = await startServer({ args: NODE_ARGS, dataDir });
  try {
    const by = await bystander(pool, server);
    assert.equal((await op(server, "doc:bk-busy", "incr", { counter: "n" })).response.version, 1);
    assert.equal((await runCohort(["backup", "--data-dir", dataDir, out])).code, 0);
    const restore = await runCohort(["restore", "--data-dir", dataDir, "--force", out]);
    assertRefused(restore, 1, "cannot restore", `data directory ${dataDir} is in use`, `${dataDir}/cohort.lock`);
    assert.ok(!fs.existsSync(path.join(dataDir, "cohort.db.before-restore")), "nothing was set aside");
    await by.check("after a restore into its data directory was refused");
    assert.equal((await op(server, "doc:bk-busy", "incr", { counter: "n" })).response.version, 2, "the node still writes its store");
  } finally {
    await server.kill();
  }
});

test("cohort backup of a missing, foreign or damaged store fails naming the file, and writes no OUT", { timeout: 60_000 }, async () => {
  const outDir = tempDir("fail-out");
  const out = path.join(outDir, "store.backup");
  const missing = path.join(tempDir("missing"), "nothing-here");
  assertRefused(await runCohort(["backup", "--data-dir", missing, out]), 1, `${missing}/cohort.db: no such file`);

  const foreign = tempDir("foreign");
  fs.writeFileSync(path.join(foreign, "cohort.db"), Buffer.alloc(8192, "not a database "));
  assertRefused(await runCohort(["backup", "--data-dir", foreign, out]), 1, `${foreign}/cohort.db`, "not a database");

  const damaged = tempDir("damaged");
  const server = await startServer({ args: NODE_ARGS, dataDir: damaged });
  try {
    const by = await bystander(pool, server);
    assert.equal((await op(server, "doc:bk-damaged", "set_field", { field: "x", value: blob("x", 1) })).status, "ok");
    await by.check("after its op");
  } finally {
    await pool.closeAll();
    await server.stop(); // a clean stop checkpoints the WAL into cohort.db
  }
  damage(path.join(damaged, "cohort.db"));
  const run = await runCohort(["backup", "--data-dir", damaged, out]);
  assertRefused(run, 1, `${damaged}/cohort.db`);
  assert.match(run.stderr, /malformed|integrity_check failed/);
  assert.deepEqual(fs.readdirSync(outDir), [], "no OUT and no partial copy left");
});

test("cohort backup refuses an existing OUT unless --force; the node keeps serving", { timeout: 60_000 }, async () => {
  const dataDir = tempDir("force");
  const out = path.join(tempDir("force-out"), "store.backup");
  fs.writeFileSync(out, "an older file the operator cares about\n");
  const server = await startServer({ args: NODE_ARGS, dataDir });
  try {
    const by = await bystander(pool, server);
    assert.equal((await op(server, "doc:bk-force", "incr", { counter: "n" })).response.version, 1);
    assertRefused(await runCohort(["backup", "--data-dir", dataDir, out]), 1, `${out} exists`, "--force");
    assert.equal(fs.readFileSync(out, "utf8"), "an older file the operator cares about\n", "OUT untouched");
    const forced = await runCohort(["backup", "--data-dir", dataDir, "--force", out]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(fs.readFileSync(out).subarray(0, 16).toString("latin1"), SQLITE_MAGIC);
    assert.match(forced.stdout, /: 1 keys, 1 ops, 0 snapshots/);
    await by.check("after the backups");
  } finally {
    await server.kill();
  }
});

test("cohort restore verifies IN, refuses to replace a store without --force, keeps the replaced one, and the node loads what was restored", { timeout: 120_000 }, async () => {
  const dataDir = tempDir("restore");
  const outDir = tempDir("restore-out");
  const good = path.join(outDir, "good.backup");
  const key = "doc:bk-restore";
  let server = await startServer({ args: NODE_ARGS, dataDir });
  try {
    for (let i = 1; i <= 3; i++) await op(server, key, "set_field", { field: "step", value: i });
    assert.equal((await runCohort(["backup", "--data-dir", dataDir, good])).code, 0);
    for (let i = 4; i <= 5; i++) await op(server, key, "set_field", { field: "step", value: i });
  } finally {
    await pool.closeAll();
    await server.stop();
  }

  const fresh = tempDir("restore-fresh");
  const damagedIn = path.join(outDir, "damaged.backup");
  fs.copyFileSync(good, damagedIn);
  damage(damagedIn);
  assertRefused(await runCohort(["restore", "--data-dir", fresh, damagedIn]), 1, damagedIn);
  const newer = path.join(outDir, "newer.backup");
  fs.copyFileSync(good, newer);
  const fd = fs.openSync(newer, "r+");
  fs.writeSync(fd, Buffer.from([0, 0, 0, 99]), 0, 4, 60); // PRAGMA user_version lives at offset 60
  fs.closeSync(fd);
  assertRefused(await runCohort(["restore", "--data-dir", fresh, newer]), 1, newer, "schema version 99 was written by a newer Cohort");
  assert.ok(!fs.existsSync(path.join(fresh, "cohort.db")), "no store created from a refused IN");

  assertRefused(await runCohort(["restore", "--data-dir", dataDir, good]), 1, `${dataDir}/cohort.db exists`, "--force");
  const forced = await runCohort(["restore", "--data-dir", dataDir, "--force", good]);
  assert.equal(forced.code, 0, forced.stderr);
  const kept = path.join(dataDir, "cohort.db.before-restore");
  assert.ok(forced.stdout.includes(`kept as ${kept}`), forced.stdout);
  assert.ok(!fs.existsSync(path.join(dataDir, "cohort.db-wal")), "no WAL of the old store next to the restored one");
  assertRefused(await runCohort(["restore", "--data-dir", dataDir, "--force", good]), 1, `${kept} exists`);

  server = await server.restart();
  try {
    const by = await bystander(pool, server);
    const f = await follower(pool, server, key);
    assert.deepEqual([f.version, f.state], [3, docState({ step: 3 })], "the node loads the backup's state");
    await by.check("on the restored node");
  } finally {
    await pool.closeAll();
    await server.kill();
  }
  // The replaced store is whole: restored elsewhere, it holds the state before the restore.
  const elsewhere = tempDir("restore-kept");
  assert.equal((await runCohort(["restore", "--data-dir", elsewhere, kept])).code, 0);
  const old = await startServer({ args: NODE_ARGS, dataDir: elsewhere });
  try {
    const f = await follower(pool, old, key);
    assert.deepEqual([f.version, f.state], [5, docState({ step: 5 })], "the kept store holds every acknowledged op");
  } finally {
    await old.kill();
  }
});

test("cohort backup and restore answer bad usage with exit code 2 and their usage", async () => {
  const dir = tempDir("usage");
  for (const args of [["backup"], ["backup", "--data-dir", dir], ["backup", "out.db"], ["backup", "--data-dir", dir, "a", "b"],
    ["backup", "--data-dir", dir, "--max-rate", "0", "out.db"], ["backup", "--data-dir", dir, "--frobnicate", "out.db"],
    ["restore", "--data-dir", dir], ["restore", "--data-dir", dir, "--max-rate", "5", "in.db"]]) {
    const run = await runCohort(args);
    assertRefused(run, 2, `usage: cohort ${args[0]}`);
  }
  const help = await runCohort(["--help"]);
  assert.equal(help.code, 0);
  for (const c of ["serve", "backup", "restore", "version"]) assert.match(help.stdout, new RegExp(`^  ${c} `, "m"));
  assert.equal(fs.readdirSync(dir).length, 0, "bad usage writes nothing");
});
