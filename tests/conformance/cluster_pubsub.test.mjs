// cluster_pubsub.test.mjs — distributed PubSub across three nodes joined through Redis (issue #7
// item 2), with official phoenix.js clients spread over the nodes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { WAIT_MS, cast, collectEvents, deferred, joinResult, nextEvent, uniq, withTimeout } from "./helpers.mjs";
import { metrics, startCluster, untilMetrics, clusterForSuite } from "./cluster.mjs";
import { bearer } from "./tokens.mjs";

describe("distributed PubSub over three nodes", () => {
  const suite = clusterForSuite(3, (m) => m.cohort_cluster_links_up === 2, "both Redis links up");
  const { pool } = suite;

  test("a shout on node A reaches clients on A, B and C once, in publish order", async () => {
    const [A, B, C] = suite.cluster.nodes;
    const topic = uniq("room:spread");
    const clients = [];
    for (const node of [A, A, B, C]) clients.push(await pool.joined(node, topic, { params: {} }));
    const sender = clients[0].channel;
    const N = 100;
    // Every receiver records all shouts until the end marker: exactly N + 1, in order, no repeats.
    const received = clients.map(({ channel }) => collectEvents(channel, "shout", N + 1, WAIT_MS * 2));
    for (let i = 0; i < N; i++) cast(sender, "shout", { i });
    cast(sender, "shout", { i: "end" });
    const lists = await Promise.all(received);
    for (const [k, list] of lists.entries()) {
      assert.deepEqual(list.map((p) => p.i), [...Array(N).keys(), "end"], `client ${k} got every shout once, in order`);
    }
    // A later shout proves nothing more was on its way (a duplicate would arrive before it).
    const late = clients.map(({ channel }) => nextEvent(channel, "shout"));
    cast(sender, "shout", { i: "after" });
    for (const p of await Promise.all(late)) assert.deepEqual(p, { i: "after" });
  });

  test("each node subscribes in Redis only to topics it has local subscribers for", async () => {
    const [A, B, C] = suite.cluster.nodes;
    const topic = uniq("room:only-ab");
    const a = await pool.joined(A, topic);
    const b = await pool.joined(B, topic);
    const before = await metrics(C);
    const heard = nextEvent(b.channel, "shout");
    cast(a.channel, "shout", { hello: "b" });
    assert.deepEqual(await heard, { hello: "b" });
    // C had no subscriber: Redis did not send it the broadcast. Prove C's counter did not move by
    // having C receive a later broadcast on a topic it does subscribe to.
    const topic2 = uniq("room:c-too");
    const c2 = await pool.joined(C, topic2);
    const a2 = await pool.joined(A, topic2);
    const got = nextEvent(c2.channel, "shout");
    cast(a2.channel, "shout", { hello: "c" });
    assert.deepEqual(await got, { hello: "c" });
    const after_ = await metrics(C);
    assert.equal(after_.cohort_cluster_received_total - before.cohort_cluster_received_total, 1,
                 "C received only the broadcast of the topic it subscribes to");
  });

  test("HTTP broadcast and binary shouts cross nodes too", async () => {
    const [A, B] = suite.cluster.nodes;
    const topic = uniq("room:http");
    const b = await pool.joined(B, topic);
    const got = nextEvent(b.channel, "news");
    const res = await fetch(`${A.url}/api/broadcast/${topic}?event=news`, {
      method: "POST", headers: { "content-type": "application/json", ...bearer(A, ["publish"]) }, body: JSON.stringify({ n: 1 }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await got, { n: 1 });

    const a = await pool.joined(A, topic);
    const bin = deferred();
    b.channel.on("shout", (p) => p instanceof ArrayBuffer && bin.resolve(Buffer.from(p)));
    a.channel.push("shout", new Uint8Array([1, 2, 0, 255]).buffer).cancelTimeout();
    assert.deepEqual(await withTimeout(bin.promise, WAIT_MS, "binary shout on B"), Buffer.from([1, 2, 0, 255]));
  });

  test("stores on cluster nodes without shared storage refuse with a reason, not per-node copies", async () => {
    const [A] = suite.cluster.nodes;
    const socket = await pool.connected(A);
    const r = await joinResult(socket.channel(`store:${uniq("doc:local")}`, {}));
    assert.equal(r.status, "error");
    assert.equal(r.response.reason, "unavailable");
    assert.match(r.response.detail, /--storage postgres/);
  });

  test("a shout sent on another node as soon as a join is answered reaches the joiner", async () => {
    const [A, B] = suite.cluster.nodes;
    for (let round = 0; round < 20; round++) {
      const topic = uniq("room:fresh");
      const a = await pool.joined(A, topic);
      const b = await pool.joined(B, topic);  // B's first subscriber of topic: a new SUBSCRIBE
      const heard = nextEvent(b.channel, "shout", WAIT_MS);
      cast(a.channel, "shout", { round });
      assert.deepEqual(await heard, { round }, `round ${round}`);
    }
  });

  test("the last subscriber leaving and a new one joining at once: the node stays subscribed", async () => {
    const [A, B] = suite.cluster.nodes;
    const topic = uniq("room:flap");
    const a = await pool.joined(A, topic);
    const socket = await pool.connected(B);
    for (let round = 0; round < 5; round++) {
      // leave and join in back-to-back frames: UNSUBSCRIBE and SUBSCRIBE go to Redis together.
      const old = socket.channels.find((c) => c.topic === topic && c.isJoined());
      if (old) old.leave();
      const channel = socket.channel(topic, {});
      const joined = new Promise((resolve, reject) => channel.join().receive("ok", resolve).receive("error", reject));
      await withTimeout(joined, WAIT_MS, `rejoin ${topic} on B (round ${round})`);
      // The join was answered once B's new SUBSCRIBE was confirmed: the first shout after it
      // must arrive.
      const heard = nextEvent(channel, "shout", WAIT_MS);
      cast(a.channel, "shout", { round });
      const p = await heard;
      assert.equal(p.round, round);
    }
  });
});
