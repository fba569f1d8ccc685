// join_race.test.mjs — pushes sent behind a join, before it is answered. A join can be answered
// later than it arrives: a live view's waits for the stores it follows, and on a node in a
// cluster every join waits until its subscription reached Redis. A client that writes phx_join
// and a push in one go (the stock clients never do: they hold pushes until the join reply) used
// to reach the channel's handler before its join had run or been rendered, and the node died
// with SIGSEGV. Now such a push is refused {"reason":"join_pending"}, the join is answered as
// usual, pushes after it are served, and a bystander on the same node is still served. Against
// one node, and against a node of a cluster (its own redis-server).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { ClientPool, bystander, uniq } from "../conformance/helpers.mjs";
import { startServer } from "../conformance/server.mjs";
import { CLUSTER_SECRET, startRedis } from "../conformance/cluster.mjs";
import { OP, encodeFrame, httpRequest, RawWebSocket } from "../conformance/wire.mjs";

const pool = new ClientPool();
const started = [];
after(async () => {
  await pool.closeAll();
  for (const s of started.reverse()) await s.stop();
});

async function node(args) {
  const server = await startServer({ args: ["--secret", CLUSTER_SECRET, ...args] });
  started.push(server);
  return server;
}

// A live page's root: {id, session, csrf, cookie}.
async function livePage(server, path) {
  const res = await httpRequest(`${server.url}${path}`);
  assert.equal(res.status, 200, `GET ${path}`);
  const root = /<div id="(phx-[^"]+)" data-phx-main data-phx-session="([^"]+)"/.exec(res.body);
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(res.body)?.[1];
  assert.ok(root && csrf, `GET ${path}: a live root and a CSRF token`);
  return { id: root[1], session: root[2], csrf, cookie: String(res.headers["set-cookie"] ?? "").split(";")[0] };
}

// Frames as Phoenix V2 arrays until `done(frames)` holds (deadline), or the connection ends.
async function framesUntil(ws, done) {
  const frames = [];
  while (!done(frames)) {
    const f = await ws.next(5000, "the replies");
    assert.ok(f, `the node closed the connection after ${JSON.stringify(frames).slice(0, 300)}`);
    frames.push(JSON.parse(String(f.payload)));
  }
  return frames;
}
// Phoenix V2 messages written in one TCP write, so the node reads them in one go.
const sendTogether = (ws, messages) =>
  ws.sock.write(Buffer.concat(messages.map((m) => encodeFrame(OP.text, Buffer.from(JSON.stringify(m))))));
const replyTo = (frames, ref) => frames.find((m) => m[1] === ref && m[3] === "phx_reply")?.[4];

// phx_join of the page's view and pushes behind it in one write; the replies by ref.
async function liveJoinWithPushes(server, path) {
  const p = await livePage(server, path);
  const ws = await RawWebSocket.connect(server.port, {
    path: `/live/websocket?vsn=2.0.0&_csrf_token=${encodeURIComponent(p.csrf)}`,
    headers: { cookie: p.cookie, origin: server.url },
  });
  const topic = `lv:${p.id}`;
  const join = { url: `${server.url}${path}`, params: { _csrf_token: p.csrf, _mounts: 0 }, session: p.session, static: null, sticky: false };
  const batch = [
    ["1", "1", topic, "phx_join", join],
    ["1", "2", topic, "event", { type: "click", event: "inc", value: {} }],
    ["1", "3", topic, "live_patch", { url: `${server.url}${path}?x=1` }],
  ];
  sendTogether(ws, batch);
  const frames = await framesUntil(ws, (fs) => ["1", "2", "3"].every((ref) => replyTo(fs, ref)));
  return { ws, topic, frames };
}

// A store channel's phx_join and an op behind it in one write.
async function storeJoinWithOp(server, key) {
  const ws = await RawWebSocket.connect(server.port);
  const topic = `store:${key}`;
  const batch = [
    ["1", "1", topic, "phx_join", {}],
    ["1", "2", topic, "op", { name: "add", args: { text: "x" } }],
  ];
  sendTogether(ws, batch);
  return framesUntil(ws, (fs) => replyTo(fs, "1") && replyTo(fs, "2"));
}

async function checkLiveRace(server) {
  const b = await bystander(pool, server);
  const { ws, topic, frames } = await liveJoinWithPushes(server, "/counter");
  for (const ref of ["2", "3"])
    assert.deepEqual(replyTo(frames, ref), { status: "error", response: { reason: "join_pending" } }, `push ${ref}`);
  assert.equal(replyTo(frames, "1").status, "ok", JSON.stringify(replyTo(frames, "1")));
  assert.ok(replyTo(frames, "1").response.rendered, "the join is answered with its render");
  ws.sendJson(["1", "4", topic, "event", { type: "click", event: "inc", value: {} }]);
  const later = await framesUntil(ws, (fs) => replyTo(fs, "4"));
  assert.equal(replyTo(later, "4").status, "ok", "a push after the join reply is served");
  await b.check("after pushes sent behind a join");
}

test("one node: a live view's pushes before its join is answered are refused, the node serves on", async () => {
  await checkLiveRace(await node([]));
});

test("a node of a cluster: live and store pushes before the join ran are refused, the node serves on", async () => {
  const redis = await startRedis();
  started.push(redis);
  const server = await node(["--cluster", redis.url]);
  await checkLiveRace(server);
  const frames = await storeJoinWithOp(server, `list:${uniq("race")}`);
  assert.deepEqual(replyTo(frames, "2"), { status: "error", response: { reason: "join_pending" } });
  const b = await bystander(pool, server);
  await b.check("after an op sent behind a store join");
});
