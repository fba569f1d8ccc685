// faults_pg.test.mjs — PostgreSQL going away under a node, and coming back: ops on its keys fail
// with storage_error naming the key (never acknowledged), keys already loaded keep serving their
// committed state to joiners, and once the server is back the same keys take ops again. After a
// restart exactly the acknowledged ops are there.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";

import { ClientPool, uniq } from "../conformance/helpers.mjs";
import { pgForFile } from "../conformance/pg.mjs";
import { startServer } from "../conformance/server.mjs";
import { follower } from "../conformance/store_client.mjs";
import { SECRET } from "../conformance/tokens.mjs";

const db = pgForFile("faults");
const fixture = path.resolve("tests/support/pg_fixture.sh");
const pool = new ClientPool();
after(() => pool.closeAll());

test("PostgreSQL down: storage_error naming the key, nothing acknowledged, joins served; back up: ops resume; restart: exactly the acknowledged ops", async () => {
  // --socket-messages-per-s 0: the retry loop below sends ops back to back from one socket, past
  // a person's rate (docs/security.md, "Limits per client").
  let server = await startServer({ args: ["--secret", SECRET, "--storage", db.url, "--socket-messages-per-s", "0"] });
  const key = uniq("doc:pgdown");
  const writer = await follower(pool, server, key);
  for (let i = 0; i < 10; i++) assert.equal((await writer.op("incr", { counter: "n" })).status, "ok");
  const loaded = await follower(pool, server, uniq("doc:loaded"));
  assert.equal((await loaded.op("incr", { counter: "n" })).status, "ok");

  execFileSync(fixture, ["down", db.dir], { timeout: 30_000 });
  for (let i = 0; i < 3; i++) {
    const r = await writer.op("incr", { counter: "n" });
    assert.equal(r.status, "error");
    assert.equal(r.response.reason, "storage_error");
    assert.match(r.response.detail, new RegExp(`PostgreSQL: key '${key}'`));
    assert.doesNotMatch(r.response.detail, /postgres(ql)?:\/\//, "no connection URL in what clients see");
  }
  const joiner = await follower(pool, server, key);
  assert.equal(joiner.join.status, "ok", "a loaded key still serves its committed state");
  assert.equal(joiner.state.counters.n, 10);
  assert.equal((await follower(pool, server, loaded.channel.topic.slice(6))).state.counters.n, 1);
  const unloaded = await follower(pool, server, uniq("doc:never"));
  assert.equal(unloaded.join.response.reason, "storage_error", "a key not loaded yet cannot be read");
  unloaded.channel.leave();

  execFileSync(fixture, ["up", db.dir], { timeout: 30_000 });
  let acked = 10;
  // A key whose reload failed tries again a second later: retry for a few seconds.
  for (const deadline = Date.now() + 10_000; ; ) {
    const r = await writer.op("incr", { counter: "n" });
    if (r.status === "ok") break;
    assert.equal(r.response.reason, "storage_error");
    assert.ok(Date.now() < deadline, `ops resume once PostgreSQL is back: ${JSON.stringify(r.response)}`);
    await new Promise((resolve) => writer.channel.push("op", { name: "nope" }).receive("error", resolve)); // a round trip
  }
  acked++;
  assert.equal((await loaded.op("incr", { counter: "n" })).status, "ok");
  await server.kill();
  server = await server.restart();
  const back = await follower(pool, server, key);
  assert.equal(back.join.response.version, acked, "exactly the acknowledged ops were stored");
  assert.equal(back.state.counters.n, acked);
  await server.kill();
});
