// cluster_longpoll.test.mjs — LongPoll across two clustered nodes (docs/protocol.md, LongPoll;
// docs/deploy.md, sticky sessions). A LongPoll session lives on one node: a load balancer that
// moves a client to the other node makes its next request name a session of another node, which
// is answered 410; the official client then opens a session on the node it reached, rejoins its
// channels and carries on (broadcasts from either node reach it). The "load balancer" is a small
// HTTP proxy in this test whose upstream the test switches.
import assert from "node:assert/strict";
import http from "node:http";
import { describe, test } from "node:test";
import { LongPoll } from "phoenix";

import { WAIT_MS, cast, deferred, joinChannel, nextEvent, push, uniq, withTimeout } from "./helpers.mjs";
import { clusterForSuite } from "./cluster.mjs";

// A proxy to one node at a time: {url, switchTo(node), answers: [{port, body}], close()}.
async function switchingProxy(first) {
  let target = first;
  const answers = [];
  const server = http.createServer((req, res) => {
    const to = target;
    const upstream = http.request(
      { host: "127.0.0.1", port: to.port, path: req.url, method: req.method, headers: { ...req.headers, host: `127.0.0.1:${to.port}` } },
      (up) => {
        const chunks = [];
        up.on("data", (c) => chunks.push(c));
        up.on("end", () => {
          const body = Buffer.concat(chunks);
          answers.push({ port: to.port, method: req.method, body: body.toString() });
          res.writeHead(up.statusCode, up.headers);
          res.end(body);
        });
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    answers,
    switchTo(node) {
      target = node;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe("LongPoll on two clustered nodes", () => {
  const suite = clusterForSuite(2, (m) => m.cohort_cluster_links_up === 2 && m.cohort_cluster_nodes_alive === 1, "both Redis links up, the other node alive");
  const { pool } = suite;

  test("moved to the other node: 410, a new session there, the channel rejoined, broadcasts from both nodes arrive", async () => {
    const [A, B] = suite.cluster.nodes;
    const proxy = await switchingProxy(A);
    try {
      const topic = uniq("room:lpmove");
      const socket = pool.socket({ wsUrl: `${proxy.url.replace("http", "ws")}/socket` }, { transport: LongPoll });
      const closes = [];
      socket.onClose((e) => closes.push(e));
      let opens = 0;
      const reopened = deferred();
      socket.onOpen(() => ++opens === 2 && reopened.resolve());
      socket.connect();
      const { channel } = await joinChannel(socket, topic);
      const onB = await pool.joined(B, topic);
      const heard = nextEvent(channel, "shout");
      cast(onB.channel, "shout", { from: "B", before: "move" });
      assert.deepEqual(await heard, { from: "B", before: "move" }, "a broadcast from B reaches the session on A");

      const joinRef = channel.joinRef();
      proxy.switchTo(B);
      await withTimeout(reopened.promise, WAIT_MS * 3, "the client reopening on B");
      assert.ok(closes.some((e) => e?.code === 3410), `the client closed with 3410 (session gone): ${JSON.stringify(closes.map((e) => e?.code))}`);
      const gone = proxy.answers.find((a) => a.port === B.port && /"status":410/.test(a.body) && /another node/.test(a.body));
      assert.ok(gone, "B answered the session of A with 410");

      const rejoined = deferred();
      const poll = setInterval(() => channel.state === "joined" && channel.joinRef() !== joinRef && rejoined.resolve(), 20);
      await withTimeout(rejoined.promise, WAIT_MS, "the channel rejoined").finally(() => clearInterval(poll));
      assert.deepEqual(await push(channel, "ping", { on: "B" }), { status: "ok", response: { on: "B" } });
      const onA = await pool.joined(A, topic);
      const fromA = nextEvent(channel, "shout");
      cast(onA.channel, "shout", { from: "A", after: "move" });
      assert.deepEqual(await fromA, { from: "A", after: "move" }, "a broadcast from A reaches the new session on B");
    } finally {
      await pool.closeAll();
      await proxy.close();
    }
  });
});
