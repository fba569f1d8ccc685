// channels.test.mjs — Phoenix Channels V2 conformance with the official `phoenix` client (docs/protocol.md, Channels).
//
// One node for the whole file; every test uses its own topics and sockets (closed after it), so
// the tests do not see each other's traffic.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  ClientPool,
  cast,
  collectEvents,
  connect,
  disconnect,
  joinChannel,
  joinResult,
  nextEvent,
  nextSocketMessage,
  push,
  recordSocketMessages,
  uniq,
  withTimeout,
} from "./helpers.mjs";
import { serverForFile } from "./server.mjs";
import { broadcastHttp, WsClient } from "./wire.mjs";

let server;
const pool = new ClientPool();

serverForFile(pool, (s) => (server = s));

const isReply = (topic) => (m) => m.topic === topic && m.event === "phx_reply";

describe("connect", () => {
  test("the client opens a V2 WebSocket at /socket/websocket", async () => {
    const socket = await pool.connected(server, { params: { token: "abc" } });
    assert.equal(socket.isConnected(), true);
    assert.match(socket.endPointURL(), /\/socket\/websocket\?token=abc&vsn=2\.0\.0$/);
  });

  test("token=invalid is refused: onError fires, the socket never opens, the client retries", async () => {
    const socket = pool.socket(server, { params: { token: "invalid" } });
    let opens = 0;
    socket.onOpen(() => opens++);
    const errors = [];
    const twoErrors = new Promise((resolve) =>
      socket.onError((e) => {
        errors.push(e);
        if (errors.length === 2) resolve();
      }),
    );
    socket.connect();
    await withTimeout(twoErrors, 5000, "two refused connect attempts (first try and one reconnect)");
    assert.equal(opens, 0, "a refused socket must never open");
    assert.match(String(errors[0]?.message), /403/, "the upgrade must be answered with HTTP 403");
  });

  test("the refusal is an HTTP 403 to the upgrade request", async () => {
    await assert.rejects(WsClient.connect(server, { query: "token=invalid&vsn=2.0.0" }), /Unexpected server response: 403/);
  });
});

describe("join", () => {
  test("join room:<any> → ok {}", async () => {
    const socket = await pool.connected(server);
    const { response } = await joinChannel(socket, uniq("room:join"));
    assert.deepEqual(response, {});
    const { response: withUser } = await joinChannel(socket, uniq("room:join"), { user_id: "u1" });
    assert.deepEqual(withUser, {});
  });

  test("join room:secret → error unauthorized, and the client keeps retrying until leave()", async () => {
    const socket = await pool.connected(server);
    const replies = recordSocketMessages(socket, isReply("room:secret"));
    const channel = socket.channel("room:secret");
    assert.deepEqual(await joinResult(channel), { status: "error", response: { reason: "unauthorized" } });
    // The client re-sends the join after rejoinAfterMs (200 ms here); the server answers it too.
    const [first, second] = await replies.waitFor(2, 5000, "the reply to a second join attempt");
    replies.off();
    for (const r of [first, second]) {
      assert.equal(r.join_ref, r.ref, "a join reply carries [JR, JR, ...] (R == JR on phx_join)");
      assert.deepEqual(r.payload, { status: "error", response: { reason: "unauthorized" } });
    }
    assert.notEqual(second.ref, first.ref, "each rejoin uses a new join_ref");
    const left = await withTimeout(new Promise((resolve) => channel.leave().receive("ok", resolve)), 5000, "leave ok");
    assert.deepEqual(left, {});
    assert.equal(socket.channels.includes(channel), false, "leave() removes the channel from the client");
  });

  test("a topic no channel matches → error unmatched topic", async () => {
    const socket = await pool.connected(server);
    const channel = socket.channel("nope:1");
    assert.deepEqual(await joinResult(channel), { status: "error", response: { reason: "unmatched topic" } });
    channel.leave();
  });
});

describe("events", () => {
  test("ping → ok with the same payload", async () => {
    const socket = await pool.connected(server);
    const { channel } = await joinChannel(socket, uniq("room:ping"));
    const payload = { a: 1, nested: { b: [1, 2, "x", null, true] }, s: "ünïcødé ✓ \"q\" \\ \n", f: 1.5 };
    assert.deepEqual(await push(channel, "ping", payload), { status: "ok", response: payload });
    assert.deepEqual(await push(channel, "ping", {}), { status: "ok", response: {} });
  });

  test("an unknown event → error unhandled event, naming it", async () => {
    const socket = await pool.connected(server);
    const { channel } = await joinChannel(socket, uniq("room:unknown"));
    assert.deepEqual(await push(channel, "no_such_event", { x: 1 }), {
      status: "error",
      response: { reason: "unhandled event", event: "no_such_event" },
    });
    // The channel is still usable afterwards.
    assert.deepEqual(await push(channel, "ping", { y: 2 }), { status: "ok", response: { y: 2 } });
  });

  test("shout reaches all 3 sockets on the topic, sender included, 20 in order", async () => {
    const topic = uniq("room:shout");
    const members = [];
    for (let i = 0; i < 3; i++) members.push(await pool.joined(server, topic));
    const N = 20;
    const heard = members.map(({ channel }) => collectEvents(channel, "shout", N, 10_000));
    for (let i = 0; i < N; i++) cast(members[0].channel, "shout", { i, from: "m0" });
    const expected = Array.from({ length: N }, (_, i) => ({ i, from: "m0" }));
    const results = await Promise.all(heard);
    results.forEach((got, k) => assert.deepEqual(got, expected, `socket ${k} (0 is the sender)`));
  });

  test("push_back with JSON → the server pushes 'pushed' to this channel only", async () => {
    const topic = uniq("room:pushback");
    const a = await pool.joined(server, topic);
    const b = await pool.joined(server, topic);
    const other = recordSocketMessages(b.socket, (m) => m.topic === topic && m.event === "pushed");
    const got = nextEvent(a.channel, "pushed");
    const push_ = nextSocketMessage(a.socket, (m) => m.topic === topic && m.event === "pushed");
    cast(a.channel, "push_back", { hello: "you" });
    assert.deepEqual(await got, { hello: "you" });
    const frame = await push_;
    assert.equal(frame.ref, null, "a server push carries ref null");
    assert.equal(frame.join_ref, a.channel.joinRef(), "a server push carries the channel's join_ref");
    // b shares the topic but must not get a's push: a ping round trip on b flushes anything queued.
    await push(b.channel, "ping", {});
    assert.equal(other.list.length, 0, "push_back must go to the pushing channel only");
    other.off();
  });

  test("whoami: authToken, connect params (as strings) and the join's user_id reach the server", async () => {
    // btoa("tok>>>x") is "dG9rPj4+eA==": standard base64 with '+' and stripped padding (A.1).
    const socket = await pool.connected(server, { authToken: "tok>>>x", params: { token: "abc", n: 1 } });
    const { channel } = await joinChannel(socket, uniq("room:who"), { user_id: "u1" });
    const { status, response } = await push(channel, "whoami", {});
    assert.equal(status, "ok");
    assert.equal(response.auth_token, "tok>>>x");
    assert.equal(response.user_id, "u1");
    assert.equal(response.params.token, "abc");
    assert.equal(response.params.n, "1", "connect params come from the query string, so they are strings");
  });

  test("whoami without authToken or user_id → nulls", async () => {
    const socket = await pool.connected(server);
    const { channel } = await joinChannel(socket, uniq("room:who"));
    const { status, response } = await push(channel, "whoami", {});
    assert.equal(status, "ok");
    assert.equal(response.auth_token, null);
    assert.equal(response.user_id, null);
    assert.equal(typeof response.params, "object");
  });
});

describe("HTTP broadcast", () => {
  test("POST /api/broadcast/<topic> reaches 2 joined clients", async () => {
    const topic = uniq("room:http");
    const a = await pool.joined(server, topic);
    const b = await pool.joined(server, topic);

    const news = [nextEvent(a.channel, "news"), nextEvent(b.channel, "news")];
    const r = await broadcastHttp(server, topic, { payload: { msg: "hi", n: 1 } }, { event: "news" });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json, { ok: true });
    for (const p of await Promise.all(news)) assert.deepEqual(p, { msg: "hi", n: 1 });

    // No "payload" key: the whole body is the payload, and the event defaults to "shout".
    const shouts = [nextEvent(a.channel, "shout"), nextEvent(b.channel, "shout")];
    const r2 = await broadcastHttp(server, topic, { whole: "body" });
    assert.equal(r2.status, 200, r2.body);
    for (const p of await Promise.all(shouts)) assert.deepEqual(p, { whole: "body" });
  });

  test("a broadcast frame carries join_ref and ref null", async () => {
    const topic = uniq("room:http");
    const a = await pool.joined(server, topic);
    const frame = nextSocketMessage(a.socket, (m) => m.topic === topic && m.event === "shout");
    await broadcastHttp(server, topic, { payload: { k: 1 } });
    const m = await frame;
    assert.equal(m.join_ref, null);
    assert.equal(m.ref, null);
    assert.deepEqual(m.payload, { k: 1 });
  });

  test("sequential HTTP broadcasts (each answered 200 before the next is sent) arrive in order", async (t) => {
    // Each POST is a new connection, so consecutive POSTs may be served by different reactors.
    // Once a POST is answered its broadcast must be ahead of any later one, as with Phoenix PubSub.
    const topic = uniq("room:order");
    const { channel } = await pool.joined(server, topic);
    const N = 1500;
    const got = collectEvents(channel, "shout", N, 30_000);
    for (let i = 0; i < N; i++) {
      const r = await broadcastHttp(server, topic, { payload: { i } });
      assert.equal(r.status, 200, r.body);
    }
    const order = (await got).map((p) => p.i);
    const first = order.findIndex((v, i) => v !== i);
    if (first >= 0) t.diagnostic(`first out-of-order delivery at ${first}: ${JSON.stringify(order.slice(Math.max(0, first - 2), first + 4))}`);
    assert.equal(first, -1, "broadcast order");
  });

  test("a body that is not JSON → 400 {error}, and broadcasts keep working", async () => {
    const topic = uniq("room:http");
    const a = await pool.joined(server, topic);
    const r = await broadcastHttp(server, topic, "{not json");
    assert.equal(r.status, 400, r.body);
    assert.equal(typeof r.json?.error, "string", `400 body must be JSON {"error": ...}, got ${r.body}`);
    assert.ok(r.json.error.length > 0);
    const got = nextEvent(a.channel, "shout");
    assert.equal((await broadcastHttp(server, topic, { payload: { after: true } })).status, 200);
    assert.deepEqual(await got, { after: true });
  });
});

describe("leave and duplicate join", () => {
  test("leave → ok, onClose fires, and the socket gets no more broadcasts for the topic", async () => {
    const topic = uniq("room:leave");
    const socket = await pool.connected(server);
    const { channel } = await joinChannel(socket, topic);
    const closed = new Promise((resolve) => channel.onClose(resolve));
    const ok = new Promise((resolve) => channel.leave().receive("ok", resolve));
    assert.deepEqual(await withTimeout(ok, 5000, "leave reply"), {});
    await withTimeout(closed, 5000, "channel onClose after leave");

    // Broadcast to the left topic, then to a topic the socket is still on. Both come from this
    // test, one after the other, so if the first were delivered it would arrive before the second.
    const marker = uniq("room:marker");
    const { channel: still } = await joinChannel(socket, marker);
    const seen = recordSocketMessages(socket, (m) => m.topic === topic && m.event === "shout");
    const reached = nextEvent(still, "shout");
    await broadcastHttp(server, topic, { payload: { stale: true } });
    await broadcastHttp(server, marker, { payload: { marker: true } });
    await reached;
    assert.deepEqual(seen.list, [], "a left topic must not be delivered");
    seen.off();
  });

  test("a second socket.channel(topic).join(): the old channel leaves, the new one joins and works", async () => {
    const topic = uniq("room:dup");
    const socket = await pool.connected(server);
    const { channel: oldCh } = await joinChannel(socket, topic);
    const oldClosed = new Promise((resolve) => oldCh.onClose(resolve));
    const { channel: newCh, response } = await joinChannel(socket, topic);
    assert.deepEqual(response, {});
    await withTimeout(oldClosed, 5000, "the old channel's onClose");
    assert.notEqual(newCh.joinRef(), oldCh.joinRef());
    assert.deepEqual(await push(newCh, "ping", { dup: 1 }), { status: "ok", response: { dup: 1 } });
    const shout = nextEvent(newCh, "shout");
    cast(newCh, "shout", { dup: 2 });
    assert.deepEqual(await shout, { dup: 2 });
  });
});

describe("heartbeat", () => {
  test("heartbeatIntervalMs 50: replies keep coming and the socket never reconnects", async () => {
    const socket = pool.socket(server, { heartbeatIntervalMs: 50 });
    let opens = 0;
    const closes = [];
    socket.onOpen(() => opens++);
    socket.onClose((e) => closes.push(e?.code));
    const beats = recordSocketMessages(socket, (m) => m.topic === "phoenix" && m.event === "phx_reply");
    await connect(socket);
    const got = await beats.waitFor(6, 5000, "6 heartbeat replies");
    beats.off();
    for (const m of got) {
      assert.equal(m.join_ref, null);
      assert.match(m.ref, /^\d+$/, "the heartbeat's ref is echoed as a string");
      assert.deepEqual(m.payload, { status: "ok", response: {} });
    }
    assert.equal(new Set(got.map((m) => m.ref)).size, got.length, "each reply answers its own heartbeat");
    assert.equal(opens, 1, "no heartbeat timeout reconnect");
    assert.deepEqual(closes, []);
    assert.equal(socket.isConnected(), true);
  });
});

describe("channel crash", () => {
  test("crash → phx_error, the client rejoins with a new join_ref; other channels keep working", async () => {
    const topic = uniq("room:crash");
    const socket = await pool.connected(server);
    const closes = [];
    socket.onClose((e) => closes.push(e?.code));
    const { channel } = await joinChannel(socket, topic);
    const { channel: other } = await joinChannel(socket, uniq("room:bystander"));
    const oldRef = channel.joinRef();

    const errored = nextSocketMessage(socket, (m) => m.topic === topic && m.event === "phx_error", 5000, "phx_error");
    const rejoined = nextSocketMessage(
      socket,
      (m) => isReply(topic)(m) && m.ref === m.join_ref && m.join_ref !== oldRef && m.payload.status === "ok",
      5000,
      "the rejoin's ok reply",
    );
    const onError = new Promise((resolve) => channel.onError(resolve));
    cast(channel, "crash", {});

    const err = await errored;
    assert.equal(err.join_ref, oldRef, "phx_error carries the crashed instance's join_ref");
    assert.equal(err.ref, oldRef, "phx_error is [JR, JR, topic, phx_error, ...]");
    assert.deepEqual(err.payload, { reason: "channel_crash" });
    await withTimeout(onError, 5000, "channel onError");
    // Meanwhile the other channel on the same socket is unaffected.
    assert.deepEqual(await push(other, "ping", { still: "here" }), { status: "ok", response: { still: "here" } });

    const rejoin = await rejoined;
    assert.equal(channel.joinRef(), rejoin.join_ref);
    assert.deepEqual(await push(channel, "ping", { back: true }), { status: "ok", response: { back: true } });
    assert.deepEqual(closes, [], "a channel crash never closes the WebSocket");
  });

  test("after a crash and rejoin the socket is subscribed once: one broadcast, one delivery", async () => {
    const topic = uniq("room:crash");
    const socket = await pool.connected(server);
    const { channel } = await joinChannel(socket, topic);
    const oldRef = channel.joinRef();
    const rejoined = nextSocketMessage(socket, (m) => isReply(topic)(m) && m.join_ref !== oldRef && m.payload.status === "ok");
    cast(channel, "crash", {});
    await rejoined;
    const seen = recordSocketMessages(socket, (m) => m.topic === topic && m.event === "shout");
    const marker = uniq("room:marker");
    const { channel: markerCh } = await joinChannel(socket, marker);
    const reached = nextEvent(markerCh, "shout");
    await broadcastHttp(server, topic, { payload: { once: true } });
    await broadcastHttp(server, marker, { payload: {} });
    await reached;
    assert.equal(seen.list.length, 1, "exactly one delivery per broadcast after a crash and rejoin");
    seen.off();
  });
});

describe("socket close", () => {
  test("disconnect() from the client leaves the node healthy for others", async () => {
    const topic = uniq("room:disc");
    const a = await pool.joined(server, topic);
    const b = await pool.joined(server, topic);
    await disconnect(a.socket);
    const got = nextEvent(b.channel, "shout");
    assert.equal((await broadcastHttp(server, topic, { payload: { x: 1 } })).status, 200);
    assert.deepEqual(await got, { x: 1 });
  });
});
