// live_wait.test.mjs — an event's reply waits for the store ops it started (docs/live.md, "An
// event's reply"), against a node on a PostgreSQL that stops answering (every process of it
// SIGSTOPped, tests/support/pg_fixture.sh pause): the reply comes at --live-event-wait-ms without
// the change; a push behind it is held and answered after it, in order; held pushes are replies
// the socket owes, so past --socket-max-pending-replies a push is refused at once; a bystander is
// served throughout; the metrics count each; once PostgreSQL answers again the change arrives as
// a diff push.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";

import { ClientPool, bystander, nextEvent, push } from "./helpers.mjs";
import { metrics } from "./cluster.mjs";
import { liveClient, shownCount } from "./live_client.mjs";
import { pgForFile } from "./pg.mjs";
import { startServer } from "./server.mjs";
import { SECRET } from "./tokens.mjs";

const fixture = path.resolve("tests/support/pg_fixture.sh");
const db = pgForFile("live-wait");
const pool = new ClientPool();
let server;
const { joinView } = liveClient(pool, () => server);
const WAIT_MS = 400;
const inc = { type: "click", event: "inc", value: { by: "1", value: "" } };
const ping = { type: "hook", event: "ping", value: { a: 1 } };

after(async () => {
  execFileSync(fixture, ["resume", db.dir], { timeout: 30_000 }); // never leave it stopped
  await pool.closeAll();
  await server?.stop();
});

test("storage that hangs: the reply at the wait's bound, held pushes in order, refused past the bound; bystander served", async () => {
  server = await startServer({
    admin: true,
    args: ["--secret", SECRET, "--storage", db.url, "--live-event-wait-ms", String(WAIT_MS), "--socket-max-pending-replies", "2"],
  });
  const calm = await bystander(pool, server);
  const viewer = await joinView("/counter");
  const { channel, page: p } = await joinView("/counter");
  const count = shownCount(p.html);
  const first = await push(channel, "event", inc);
  assert.ok(JSON.stringify(first.response.diff).includes(`"${count + 1}"`), "with PostgreSQL answering, the reply carries the change");

  execFileSync(fixture, ["pause", db.dir], { timeout: 30_000 });
  const order = [];
  const sent = Date.now();
  const click = push(channel, "event", inc).then((r) => (order.push("click"), { ...r, ms: Date.now() - sent }));
  const held = push(channel, "event", ping).then((r) => (order.push("held"), r));
  const refused = await push(channel, "event", ping);
  assert.deepEqual(refused.status, "error");
  assert.equal(refused.response.reason, "too_many_pending_replies", JSON.stringify(refused));
  await calm.check("while the storage hangs and a reply waits");

  const [c, h] = await Promise.all([click, held]);
  assert.deepEqual(order, ["click", "held"], "the held push is answered after the reply it waited behind");
  assert.ok(c.ms >= WAIT_MS - 50, `the reply waited for the op (${c.ms} ms)`);
  assert.ok(!JSON.stringify(c.response).includes(`"${count + 2}"`), "the change is not made yet");
  assert.equal(h.response.diff.r.count, count + 1, "the held push ran with the state as it is");
  const m = await metrics(server);
  assert.equal(m.cohort_live_event_waits_expired_total, 1);
  assert.equal(m['cohort_limit_refusals_total{limit="socket_pending_replies"}'], 1);

  const mine = nextEvent(channel, "diff");
  const theirs = nextEvent(viewer.channel, "diff");
  execFileSync(fixture, ["resume", db.dir], { timeout: 30_000 });
  assert.ok(JSON.stringify(await mine).includes(`"${count + 2}"`), "the change, once stored, is pushed to the clicker");
  assert.ok(JSON.stringify(await theirs).includes(`"${count + 2}"`), "and to the other viewer");
  const after = await push(channel, "event", ping);
  assert.equal(after.response.diff.r.count, count + 2, "the view goes on, holding the stored state");
  await calm.check("after the storage answered again");
});
