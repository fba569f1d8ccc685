// faults.test.mjs — storage faults against a real node: each gives a clear error naming the key
// and the file, refuses new ops on the affected keys with storage_error, keeps every other key
// serving, and never acknowledges an op that was not stored.
//
//   - a full disk: the node runs under a file-size limit (RLIMIT_FSIZE, set with prlimit), which
//     fails its writes with EFBIG the way a full disk fails them with ENOSPC; raising the limit
//     while it runs is the disk freeing up;
//   - an unwritable data directory (the node runs as an unprivileged user when the test is root);
//   - a truncated database file, and a snapshot row and an op row that no longer parse (written
//     with the sqlite3 shell while the node is stopped);
//   - PostgreSQL killed under a node, then started again (faults_pg.test.mjs).
// `cohort check` must name every key that does not load (and only those).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { ClientPool, uniq } from "../conformance/helpers.mjs";
import { cohortBin, startServer } from "../conformance/server.mjs";
import { follower } from "../conformance/store_client.mjs";
import { SECRET } from "../conformance/tokens.mjs";
import { untilStderr } from "../security/limits_support.mjs";

const ARGS = ["--secret", SECRET];
const pool = new ClientPool();
after(() => pool.closeAll());

// Sends op until it is acknowledged, each try after the previous reply, for at most 10 s: the key
// loads again once storage is back, at most a second after its last failed load.
async function untilAcknowledged(client, name, args) {
  for (const deadline = Date.now() + 10_000; ; ) {
    const r = await client.op(name, args);
    if (r.status === "ok") return r;
    assert.equal(r.response.reason, "storage_error", JSON.stringify(r.response));
    assert.ok(Date.now() < deadline, `${name} never acknowledged: ${JSON.stringify(r.response)}`);
    await new Promise((resolve) => client.channel.push("op", { name: "nope" }).receive("error", resolve)); // a round trip
  }
}

function check(dataDir, extra = []) {
  const r = spawnSync(cohortBin(), ["check", "--data-dir", dataDir, ...ARGS, ...extra], { encoding: "utf8", timeout: 30_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe("a full disk", () => {
  test("ops fail with storage_error naming the key and file, none is acknowledged unstored, reads go on, writes resume when space returns", async () => {
    // 400 KB for every file the node writes: the database and its WAL fill it after a few dozen
    // 8 KB values.
    let server = await startServer({ args: ARGS, wrap: ["prlimit", "--fsize=400000:unlimited"] });
    const key = uniq("doc:full");
    const bystanderKey = uniq("doc:calm");
    const bystander = await follower(pool, server, bystanderKey);
    assert.equal((await bystander.op("incr", { counter: "n" })).status, "ok");
    const writer = await follower(pool, server, key);
    const big = "x".repeat(8000);
    let acked = 0;
    let failure;
    for (let i = 0; i < 500 && !failure; i++) {
      const r = await writer.op("append", { item: `${i}:${big}` });
      if (r.status === "ok") {
        assert.equal(r.response.version, ++acked, "versions of acknowledged ops are contiguous");
      } else failure = r.response;
    }
    assert.ok(failure, "the file-size limit was reached");
    assert.equal(failure.reason, "storage_error");
    assert.match(failure.detail, new RegExp(`${path.join(server.dataDir, "cohort.db")}.*key '${key}'`));
    // The log line (storage commit_failed) is written by the log's own thread: wait for it.
    const commitFailed = /ERROR storage commit_failed db=\S+cohort\.db writes=\d+ acknowledged=0 error=/;
    await untilStderr(server, () => commitFailed.test(server.output().stderr), "the commit_failed log line");
    // Still full: every op fails, none is acknowledged; the other key is served to joiners.
    for (let i = 0; i < 3; i++) assert.equal((await writer.op("append", { item: big })).response.reason, "storage_error");
    const late = await follower(pool, server, bystanderKey);
    assert.equal(late.join.status, "ok");
    assert.equal(late.state.counters.n, 1);
    const reader = await follower(pool, server, key);
    assert.equal(reader.join.response.version, acked, "a joiner sees the last committed version");

    // Space comes back: the key loads again and takes ops.
    execFileSync("prlimit", ["--pid", String(server.proc.pid), "--fsize=unlimited:unlimited"]);
    await untilAcknowledged(writer, "append", { item: "after" });
    acked++;
    // The run of failed commits ends with one line (each failure's line is rate-limited).
    const restored = /INFO storage commits_restored db=\S+cohort\.db failed_transactions=[1-9]\d* failing_ms=\d+/;
    await untilStderr(server, () => restored.test(server.output().stderr), "the commits_restored log line");
    await server.kill();
    server = await server.restart(ARGS);
    const back = await follower(pool, server, key);
    assert.equal(back.join.response.version, acked, "exactly the acknowledged ops were stored");
    assert.equal(back.state.items.length, acked);
    assert.equal(back.state.items.at(-1), "after");
    assert.deepEqual(back.state.items.slice(0, -1).map((s) => Number(s.split(":")[0])), [...Array(acked - 1).keys()]);
    await server.kill();
  });
});

describe("an unwritable data directory", () => {
  test("the node does not start, and says which directory", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cohort-ro-"));
    fs.chmodSync(dir, 0o555);
    // root writes anywhere: run the node as nobody, who may read the directory but not write it.
    const asUser = process.getuid() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
    const argv = [...asUser, cohortBin(), "serve", "--port", "0", "--data-dir", path.join(dir, "data"), ...ARGS];
    const r = spawnSync(argv[0], argv.slice(1), { encoding: "utf8", timeout: 15_000 });
    fs.chmodSync(dir, 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(path.join(dir, "data")));
    assert.doesNotMatch(r.stdout, /listening/);
  });
});

describe("a damaged database", () => {
  let server;
  const keys = [];
  const states = new Map();
  before(async () => {
    server = await startServer({ args: ARGS });
    // 60 keys of a few 2 KB items each, so their rows spread over many pages of the file.
    for (let k = 0; k < 60; k++) {
      const key = `doc:damage-${String(k).padStart(2, "0")}`;
      const c = await follower(pool, server, key);
      for (let i = 0; i < 4; i++) assert.equal((await c.op("append", { item: `${key}/${i}/${"d".repeat(2000)}` })).status, "ok");
      keys.push(key);
      states.set(key, { version: 4, items: 4 });
    }
    await pool.closeAll();
    await server.stop(); // a clean stop checkpoints the WAL into cohort.db
  });
  after(() => server?.kill());

  test("a row that no longer parses: that key refuses, naming key and file; the others serve; cohort check names it", async () => {
    const db = path.join(server.dataDir, "cohort.db");
    const [snapKey, opKey] = [keys[3], keys[7]];
    // The node snapshots every 1,000 commits: give snapKey a snapshot row of its own to break.
    execFileSync("sqlite3", [db, `INSERT INTO snapshots VALUES('${snapKey}', 0, '{"counters":{},"items":[],"fields":{}');`]);
    execFileSync("sqlite3", [db, `UPDATE ops SET patch = '[{"op":"add","path":"/items/-","value":"cut' WHERE key = '${opKey}' AND version = 2;`]);
    server = await server.restart(ARGS);
    const broken = await follower(pool, server, snapKey);
    assert.equal(broken.join.response.reason, "storage_error");
    assert.match(broken.join.response.detail, new RegExp(`${db}: key '${snapKey}': the snapshot at version 0 does not load: it is not valid JSON`));
    const brokenOp = await follower(pool, server, opKey);
    assert.match(brokenOp.join.response.detail, new RegExp(`key '${opKey}': the op at version 2 does not load`));
    for (const refused of [broken, brokenOp]) refused.channel.leave(); // no rejoins behind the test's back
    const fine = await follower(pool, server, keys[5]);
    assert.equal(fine.join.response.version, 4);
    assert.equal((await fine.op("incr", { counter: "n" })).status, "ok", "a bystander key takes ops");
    const writer = await follower(pool, server, uniq("doc:new"));
    assert.equal((await writer.op("incr", { counter: "n" })).status, "ok");
    await pool.closeAll();
    await server.stop();
    const report = check(server.dataDir);
    assert.equal(report.code, 1, report.out);
    assert.match(report.out, new RegExp(`${snapKey}.*does not load`));
    assert.match(report.out, new RegExp(`${opKey}.*does not load`));
    assert.doesNotMatch(report.out, new RegExp(`FAIL ${keys[5]}`));
    assert.match(report.out, /2 of 61 keys do not load/);
    // Repaired (the op row put back as the node wrote it), check passes again.
    execFileSync("sqlite3", [db, `DELETE FROM snapshots WHERE key = '${snapKey}';`]);
    const item = `${opKey}/1/${"d".repeat(2000)}`;
    execFileSync("sqlite3", [db, `UPDATE ops SET patch = '[{"op":"add","path":"/items/-","value":"${item}"}]' WHERE key = '${opKey}' AND version = 2;`]);
    const again = check(server.dataDir);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /61 keys load/);
  });

  test("a page overwritten with garbage: keys whose rows it held refuse, naming key and file; the others serve exactly what was stored", async () => {
    const db = path.join(server.dataDir, "cohort.db");
    const damaged = path.join(path.dirname(db), "damaged.db");
    fs.copyFileSync(db, damaged);
    // 4 KiB of bytes that are neither UTF-8 nor a b-tree page, a third of the way into the file.
    const fd = fs.openSync(db, "r+");
    const pages = Math.floor(fs.statSync(db).size / 4096);
    fs.writeSync(fd, Buffer.alloc(4096, Buffer.from([0xde, 0xad, 0xbe, 0xef])), 0, 4096, 4096 * Math.floor(pages / 3));
    fs.closeSync(fd);
    server = await server.restart(ARGS);
    const refusedKeys = [];
    let served = 0;
    for (const key of keys) {
      const c = await follower(pool, server, key);
      if (c.join.status === "ok") {
        served++;
        const want = [0, 1, 2, 3].map((i) => `${key}/${i}/${"d".repeat(2000)}`);
        assert.ok(c.state.items.length === 4 && c.state.items.every((item, i) => item === want[i]),
          `${key}: served exactly what was stored`);
      } else {
        refusedKeys.push(key);
        assert.equal(c.join.response.reason, "storage_error");
        assert.match(c.join.response.detail, new RegExp(`${db}: key '${key}'`));
        c.channel.leave(); // a client cannot send ops on a topic it could not join
      }
    }
    assert.ok(served > 0 && refusedKeys.length > 0, `served ${served}, refused ${refusedKeys}`);
    await pool.closeAll();
    await server.stop();
    const report = check(server.dataDir);
    assert.equal(report.code, 1, report.out);
    for (const key of refusedKeys) assert.match(report.out, new RegExp(`FAIL ${key}: does not load`));
    assert.match(report.out, /is damaged/, "the file's structure is checked too");
    fs.renameSync(damaged, db);
  });

  test("a truncated file: the node refuses to start, naming the file and what to do; cohort check says it is damaged", async () => {
    const db = path.join(server.dataDir, "cohort.db");
    fs.truncateSync(db, Math.floor(fs.statSync(db).size * 0.6));
    const r = spawnSync(cohortBin(), ["serve", "--port", "0", "--data-dir", server.dataDir, ...ARGS], { encoding: "utf8", timeout: 15_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`${db}: .*malformed.*the file is damaged: restore the last backup`));
    const report = check(server.dataDir);
    assert.equal(report.code, 1, report.out);
    assert.match(report.out, new RegExp(`${db}.*malformed`));
  });
});
