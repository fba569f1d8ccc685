// limits_presence.test.mjs — what presence may hold (docs/security.md, "Limits per client"): the
// size of one entry (key + meta), the entries one socket tracks, and a topic's entries and bytes,
// so that every joiner of a room can still be sent its presence_state.
//
// The example room tracks {user_id} from the join params and takes presence_update metas from
// the client (both unauthenticated, as docs/security.md says). Each attack asserts the refusal
// (reply reason, /metrics counter, what other clients see) and that a bystander on its own room is
// still served, with its round trip before and during the attack printed ([limits] lines).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { bystander, ClientPool, joinChannel, presenceClient, presenceView, push, sameKeys, uniq, untilPresence } from "../conformance/helpers.mjs";
import { startServer } from "../conformance/server.mjs";
import { latencyProbe, metric, report } from "./limits_support.mjs";

const pool = new ClientPool();

function nodeWith(args) {
  const ctx = {};
  const longLived = new ClientPool();
  before(async () => {
    ctx.server = await startServer({ admin: true, args });
    ctx.watcher = await bystander(longLived, ctx.server, uniq("room:bystander"));
    ctx.probe = latencyProbe(ctx.watcher.channel);
  });
  after(async () => {
    await pool.closeAll();
    await longLived.closeAll();
    await ctx.server?.kill();
  });
  return ctx;
}

// Records the socket closes of a client from now on.
function closesOf(client) {
  const closes = [];
  client.socket.onClose((e) => closes.push(e?.code));
  return closes;
}

describe("one entry's size and one socket's entries (defaults, --socket-max-presences 3)", () => {
  const ctx = nodeWith(["--socket-max-presences", "3"]);

  test("five sockets each sending 900 KB presence metas are refused; a later joiner gets the room and stays", async () => {
    const { server } = ctx;
    const topic = uniq("room:big");
    const refusedBefore = await metric(server, "cohort_limit_refusals_total", "presence_meta_bytes");
    const members = [];
    for (let i = 0; i < 5; i++) members.push(await presenceClient(pool, server, topic, `member${i}`));
    const before = await ctx.probe.sample();
    const blob = "x".repeat(900 * 1024);
    const attack = Promise.all(members.map((m) => push(m.channel, "presence_update", { status: blob })));
    const during = await ctx.probe.during(attack);
    for (const reply of await attack)
      assert.deepEqual(reply, { status: "error", response: { reason: "presence refused: meta too large or topic full" } });
    assert.equal(await metric(server, "cohort_limit_refusals_total", "presence_meta_bytes"), refusedBefore + 5);
    // Every later joiner is sent the room's state (small: the refused metas never got in) and stays.
    for (let i = 0; i < 3; i++) {
      const late = await presenceClient(pool, server, topic, `late${i}`);
      const closes = closesOf(late);
      const want = [...members.map((m) => m.user), ...Array.from({ length: i + 1 }, (_, k) => `late${k}`)];
      await untilPresence(late, sameKeys(want), `late${i} sees the room`);
      for (const [key, metas] of Object.entries(presenceView(late.presence, (m) => JSON.stringify(m).length)))
        assert.ok(metas.every((bytes) => bytes < 200), `${key}'s metas stayed small: ${metas}`);
      assert.deepEqual(closes, [], `late${i} is not closed`);
    }
    // An update within the limit still works.
    assert.deepEqual(await push(members[0].channel, "presence_update", { status: "away" }), { status: "ok", response: {} });
    await ctx.watcher.check("after the oversized metas");
    report("five 900 KB presence metas", before, during, "all 5 refused; 3 later joiners got the state and stayed");
  });

  test("a key over presence_max_meta_bytes (a 2 KB user_id) joins but is not tracked", async () => {
    const { server } = ctx;
    const topic = uniq("room:longkey");
    const refusedBefore = await metric(server, "cohort_limit_refusals_total", "presence_meta_bytes");
    const socket = await pool.connected(server);
    await joinChannel(socket, topic, { user_id: "k".repeat(2048) });
    // The refusal happens inside the join, before its reply.
    assert.equal(await metric(server, "cohort_limit_refusals_total", "presence_meta_bytes"), refusedBefore + 1);
    const observer = await presenceClient(pool, server, topic, "observer");
    await untilPresence(observer, sameKeys(["observer"]), "only the observer is present");
  });

  test("a socket tracks at most --socket-max-presences entries over its channels; leaving one frees its entry", async () => {
    const { server } = ctx;
    const refusedBefore = await metric(server, "cohort_limit_refusals_total", "socket_presences");
    const socket = await pool.connected(server);
    const topics = Array.from({ length: 6 }, (_, i) => uniq(`room:multi${i}`));
    const channels = [];
    const before = await ctx.probe.sample(10);
    const attack = (async () => {
      for (const topic of topics.slice(0, 5)) channels.push((await joinChannel(socket, topic, { user_id: "multi" })).channel);
    })();
    const during = await ctx.probe.during(attack);
    await attack;
    assert.equal(await metric(server, "cohort_limit_refusals_total", "socket_presences"), refusedBefore + 2);
    const seen = await presenceClient(pool, server, topics[2], "observer");
    await untilPresence(seen, sameKeys(["multi", "observer"]), "the third join was tracked");
    const unseen = await presenceClient(pool, server, topics[3], "observer");
    await untilPresence(unseen, sameKeys(["observer"]), "the fourth join was not");
    // Leaving the first channel frees its entry: a sixth join is tracked again.
    await new Promise((resolve) => channels[0].leave().receive("ok", resolve));
    channels.push((await joinChannel(socket, topics[5], { user_id: "multi" })).channel);
    const sixth = await presenceClient(pool, server, topics[5], "observer");
    await untilPresence(sixth, sameKeys(["multi", "observer"]), "the sixth join, after a leave, was tracked");
    assert.equal(await metric(server, "cohort_limit_refusals_total", "socket_presences"), refusedBefore + 2);
    await ctx.watcher.check("after the socket's presences");
    report("one socket tracking on 5 rooms (limit 3)", before, during, "2 refused");
  });
});

describe("a topic's entries (--presence-max-topic-entries 10)", () => {
  const ctx = nodeWith(["--presence-max-topic-entries", "10"]);

  test("the eleventh entry of a room is refused; the room stays whole for everyone; a leave makes room", async () => {
    const { server } = ctx;
    const topic = uniq("room:full");
    const refusedBefore = await metric(server, "cohort_limit_refusals_total", "presence_topic_entries");
    const clients = [];
    const before = await ctx.probe.sample(10);
    const attack = (async () => {
      for (let i = 0; i < 15; i++) clients.push(await presenceClient(pool, server, topic, `u${i}`));
    })();
    const during = await ctx.probe.during(attack);
    await attack;
    const first10 = Array.from({ length: 10 }, (_, i) => `u${i}`);
    for (const c of [clients[0], clients[14]]) await untilPresence(c, sameKeys(first10), `${c.user} sees the first ten`);
    assert.equal(await metric(server, "cohort_limit_refusals_total", "presence_topic_entries"), refusedBefore + 5);
    // u0 leaves: the next joiner is tracked.
    await new Promise((resolve) => clients[0].channel.leave().receive("ok", resolve));
    await untilPresence(clients[14], sameKeys(first10.slice(1)), "u0 left");
    const next = await presenceClient(pool, server, topic, "u15");
    await untilPresence(next, sameKeys([...first10.slice(1), "u15"]), "u15 took u0's place");
    await ctx.watcher.check("after the full room");
    report("15 joiners of a room limited to 10 entries", before, during, "5 refused");
  });
});

describe("a topic's bytes (--outbound-queue-limit 16384: a topic holds at most 8 KiB of presence)", () => {
  const ctx = nodeWith(["--max-frame", "4096", "--outbound-queue-limit", "16384"]);

  test("big entries stop at the byte bound, so a joiner's 16 KiB queue always takes the room's state", async () => {
    const { server } = ctx;
    const topic = uniq("room:heavy");
    const refusedBefore = await metric(server, "cohort_limit_refusals_total", "presence_topic_bytes");
    const heavy = [];
    const before = await ctx.probe.sample(10);
    const attack = (async () => {
      // 900-byte user ids: about 980 bytes of state each, so eight fit in 8 KiB.
      for (let i = 0; i < 12; i++) heavy.push(await presenceClient(pool, server, topic, `${i}`.padStart(900, "h")));
    })();
    const during = await ctx.probe.during(attack);
    await attack;
    const tracked = heavy.slice(0, 8).map((c) => c.user);
    const late = await presenceClient(pool, server, topic, "late");
    const closes = closesOf(late);
    await untilPresence(late, sameKeys([...tracked, "late"]), "the late joiner sees the eight heavy entries and itself");
    assert.deepEqual(closes, [], "the late joiner is not closed");
    assert.equal(await metric(server, "cohort_limit_refusals_total", "presence_topic_bytes"), refusedBefore + 4);
    await ctx.watcher.check("after the heavy room");
    report("12 joiners with 900-byte keys (8 KiB bound)", before, during, "4 refused; a late joiner got the state");
  });
});
