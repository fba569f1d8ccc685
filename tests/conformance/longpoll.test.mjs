// longpoll.test.mjs — the LongPoll transport (docs/protocol.md, LongPoll) with the official
// `phoenix` client (`transport: LongPoll`), and its raw HTTP exchange: connect, join / leave /
// push / reply / broadcast (between LongPoll and WebSocket clients), presence, binary, errors,
// the authToken header and a connect param named `token`.
//
// One node for the file, with a 1 s window so that an empty poll (204) and a session nobody
// polls (dropped after 1.5 windows) are seen quickly; every test uses its own topics.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { describe, test } from "node:test";
import { LongPoll, Presence } from "phoenix";

import {
  ClientPool,
  WAIT_MS,
  arrayBuffer,
  assertBytes,
  cast,
  collectEvents,
  deferred,
  joinChannel,
  joinResult,
  nextEvent,
  push,
  uniq,
  withTimeout,
} from "./helpers.mjs";
import { serverForFile, startServer } from "./server.mjs";

const WINDOW_MS = 1000;
let server;
const pool = new ClientPool();

serverForFile(pool, (s) => (server = s), { args: ["--longpoll-window-ms", String(WINDOW_MS)] });

const lp = (opts = {}) => pool.connected(server, { transport: LongPoll, ...opts });
const pollUrl = (query) => `${server.url}/socket/longpoll?${query}`;
const getJson = async (url, init) => {
  const res = await fetch(url, init);
  assert.equal(res.status, 200, "every LongPoll answer is HTTP 200");
  return res.json();
};

// A Presence on channel (made before its join, so it sees the first presence_state) and
// until(pred, what): resolves once pred holds for the sorted keys it lists.
function watchPresence(channel) {
  const presence = new Presence(channel);
  const waiters = [];
  const keys = () => presence.list((k) => k).sort();
  presence.onSync(() => {
    const now = keys();
    for (const w of waiters.splice(0)) {
      if (w.pred(now)) w.resolve(now);
      else waiters.push(w);
    }
  });
  return {
    until(pred, what) {
      if (pred(keys())) return Promise.resolve(keys());
      const d = deferred();
      waiters.push({ pred, resolve: d.resolve });
      return withTimeout(d.promise, WAIT_MS * 2, what);
    },
  };
}

describe("the raw exchange", () => {
  test("a GET without a session opens one: status 410 with a token; a poll with it waits the window, then 204", async () => {
    const opened = await getJson(pollUrl("vsn=2.0.0&"));
    assert.equal(opened.status, 410);
    assert.equal(typeof opened.token, "string");
    assert.deepEqual(opened.messages, []);
    const started = Date.now();
    const empty = await getJson(pollUrl(`vsn=2.0.0&token=${encodeURIComponent(opened.token)}`));
    const waited = Date.now() - started;
    assert.deepEqual(empty, { status: 204, token: opened.token, messages: [] });
    assert.ok(waited >= WINDOW_MS - 100 && waited < WINDOW_MS * 3, `the poll waited the window (${waited} ms)`);
  });

  test("a POSTed join is answered {status:200}; its reply comes in the next poll as a JSON string", async () => {
    const { token } = await getJson(pollUrl("vsn=2.0.0&"));
    const q = `vsn=2.0.0&token=${encodeURIComponent(token)}`;
    const topic = uniq("room:raw");
    const posted = await getJson(pollUrl(q), {
      method: "POST",
      headers: { "Content-Type": "application/x-ndjson" },
      body: [JSON.stringify(["1", "1", topic, "phx_join", {}]), JSON.stringify(["1", "2", topic, "ping", { a: 1 }])].join("\n"),
    });
    assert.deepEqual(posted, { status: 200 });
    const messages = [];
    while (messages.length < 3) {
      const poll = await getJson(pollUrl(q));
      assert.ok(poll.status === 200 || poll.status === 204, `poll status ${poll.status}`);
      for (const m of poll.messages) {
        assert.equal(typeof m, "string", "each message is a string holding one V2 frame");
        messages.push(JSON.parse(m));
      }
    }
    assert.deepEqual(messages[0], ["1", "1", topic, "phx_reply", { status: "ok", response: {} }]);
    assert.equal(messages[1][3], "presence_state");
    assert.deepEqual(messages[2], ["1", "2", topic, "phx_reply", { status: "ok", response: { a: 1 } }]);
  });

  test("over TLS too, and a poll waits its whole window even past --idle-timeout-ms (the request has arrived)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cohort-lp-tls-"));
    const [cert, key] = [path.join(dir, "cert.pem"), path.join(dir, "key.pem")];
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
    const node = await startServer({
      args: ["--tls-cert", cert, "--tls-key", key, "--idle-timeout-ms", "300", "--longpoll-window-ms", String(WINDOW_MS)],
    });
    const get = (q) =>
      new Promise((resolve, reject) => {
        https.get(`${node.url}/socket/longpoll?${q}`, { ca: fs.readFileSync(cert), agent: false }, (res) => {
          let body = "";
          res.setEncoding("utf8").on("data", (c) => (body += c)).on("end", () => resolve(JSON.parse(body)));
        }).on("error", reject);
      });
    try {
      assert.match(node.url, /^https:/);
      const { token } = await get("vsn=2.0.0&");
      const started = Date.now();
      assert.deepEqual(await get(`vsn=2.0.0&token=${encodeURIComponent(token)}`), { status: 204, token, messages: [] });
      assert.ok(Date.now() - started >= WINDOW_MS - 100, "answered at the window's end, not cut at the idle timeout");
    } finally {
      await node.kill();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a POST without a session, or with a token of no session, gets 410", async () => {
    const body = JSON.stringify(["1", "1", "room:x", "phx_join", {}]);
    assert.equal((await getJson(pollUrl("vsn=2.0.0&"), { method: "POST", body })).status, 410);
    assert.equal((await getJson(pollUrl("vsn=2.0.0&token=nonsense&token=x.y"), { method: "POST", body })).status, 410);
  });

  test("the session token may come in the x-phoenix-longpoll-token header", async () => {
    const { token } = await getJson(pollUrl("vsn=2.0.0&"));
    const topic = uniq("room:hdr");
    const posted = await getJson(pollUrl("vsn=2.0.0"), {
      method: "POST",
      headers: { "x-phoenix-longpoll-token": token },
      body: JSON.stringify(["1", "1", topic, "phx_join", {}]),
    });
    assert.deepEqual(posted, { status: 200 });
    const poll = await getJson(pollUrl("vsn=2.0.0"), { headers: { "x-phoenix-longpoll-token": token } });
    assert.equal(poll.status, 200);
    assert.deepEqual(JSON.parse(poll.messages[0]), ["1", "1", topic, "phx_reply", { status: "ok", response: {} }]);
  });
});

describe("the phoenix client over LongPoll", () => {
  test("connects at /socket/longpoll, joins, and is answered push by push", async () => {
    const socket = await lp();
    assert.equal(socket.transport, LongPoll);
    const { channel, response } = await joinChannel(socket, uniq("room:lp"));
    assert.deepEqual(response, {});
    const payload = { a: 1, nested: { b: [1, 2, "x", null, true] }, s: "ünïcødé ✓ \"q\" \\ \n" };
    assert.deepEqual(await push(channel, "ping", payload), { status: "ok", response: payload });
    assert.deepEqual(await push(channel, "no_such_event", {}), {
      status: "error",
      response: { reason: "unhandled event", event: "no_such_event" },
    });
  });

  test("broadcasts reach LongPoll and WebSocket members alike, 20 in order, both ways", async () => {
    const topic = uniq("room:mixed");
    const a = await pool.joined(server, topic, { socketOpts: { transport: LongPoll } });
    const b = await pool.joined(server, topic);
    const N = 20;
    for (const [from, name] of [[a, "lp"], [b, "ws"]]) {
      const heard = [a, b].map(({ channel }) => collectEvents(channel, "shout", N, 10_000));
      for (let i = 0; i < N; i++) cast(from.channel, "shout", { i, from: name });
      const expected = Array.from({ length: N }, (_, i) => ({ i, from: name }));
      const results = await Promise.all(heard);
      results.forEach((got, k) => assert.deepEqual(got, expected, `${k ? "WebSocket" : "LongPoll"} member, sent by ${name}`));
    }
  });

  test("push_back reaches the LongPoll channel; leave is answered and closes the channel", async () => {
    const { channel } = await joinChannel(await lp(), uniq("room:pb"));
    const got = nextEvent(channel, "pushed");
    cast(channel, "push_back", { hello: "you" });
    assert.deepEqual(await got, { hello: "you" });
    const left = deferred();
    channel.leave().receive("ok", () => left.resolve());
    await withTimeout(left.promise, WAIT_MS, "leave reply");
    assert.equal(channel.state, "closed");
  });

  test("a refused join is an error reply; a crash is phx_error and the client rejoins", async () => {
    const socket = await lp();
    const secret = socket.channel("room:secret");
    assert.deepEqual(await joinResult(secret), { status: "error", response: { reason: "unauthorized" } });
    secret.leave();
    const { channel } = await joinChannel(socket, uniq("room:crash"));
    const oldRef = channel.joinRef();
    const errored = deferred();
    channel.onError(() => errored.resolve());
    cast(channel, "crash", {});
    await withTimeout(errored.promise, WAIT_MS, "phx_error after the crash");
    const rejoined = deferred();
    const poll = setInterval(() => channel.state === "joined" && channel.joinRef() !== oldRef && rejoined.resolve(), 20);
    await withTimeout(rejoined.promise, WAIT_MS, "the rejoin").finally(() => clearInterval(poll));
    assert.deepEqual(await push(channel, "ping", { after: "crash" }), { status: "ok", response: { after: "crash" } });
  });

  test("presence: a LongPoll and a WebSocket member see each other; a LongPoll socket that stops polling leaves", async () => {
    const topic = uniq("room:pres");
    const ws = await pool.connected(server);
    const wsChannel = ws.channel(topic, { user_id: "web" });
    const wsSees = watchPresence(wsChannel);
    await joinResult(wsChannel);
    const lpSocket = await lp();
    const lpChannel = lpSocket.channel(topic, { user_id: "longpoll" });
    const lpSees = watchPresence(lpChannel);
    await joinResult(lpChannel);
    const both = (k) => k.join() === "longpoll,web";
    await Promise.all([wsSees.until(both, "the WebSocket member sees both"), lpSees.until(both, "the LongPoll member sees both")]);
    // The client stops polling without a leave: the session is dropped after 1.5 windows unpolled.
    const started = Date.now();
    lpSocket.disconnect(); // aborts its requests and sends no phx_leave
    await wsSees.until((k) => k.join() === "web", "the unpolled session's presence leaving");
    const took = Date.now() - started;
    assert.ok(took >= WINDOW_MS * 1.5 - 100, `dropped after 1.5 windows without a poll, not before (${took} ms)`);
  });

  test("binary: a pushed ArrayBuffer reaches WebSocket members as bytes; a binary reply is refused, not lost", async () => {
    const topic = uniq("room:bin");
    const a = await pool.joined(server, topic, { socketOpts: { transport: LongPoll } });
    const b = await pool.joined(server, topic);
    const bytes = Array.from({ length: 256 }, (_, i) => i);
    const heard = nextEvent(b.channel, "shout");
    cast(a.channel, "shout", arrayBuffer(bytes));
    assertBytes(await heard, bytes, "the broadcast the LongPoll client sent as base64");
    assert.deepEqual(await push(a.channel, "ping", arrayBuffer([1, 2, 3])), {
      status: "error",
      response: { reason: "binary reply over LongPoll" },
    });
  });

  test("connect: the authToken travels in X-Phoenix-AuthToken; a connect param named token is the app's", async () => {
    const socket = await lp({ authToken: "secret-token-1", params: { token: "mine" } });
    const { channel } = await joinChannel(socket, uniq("room:who"));
    const { status, response } = await push(channel, "whoami", {});
    assert.equal(status, "ok");
    assert.equal(response.auth_token, "secret-token-1");
    assert.equal(response.params.token, "mine", "the session token never replaces the app's token param");
  });

  test("a refused connect (token=invalid) is status 403: onError, never open", async () => {
    const socket = pool.socket(server, { transport: LongPoll, params: { token: "invalid" } });
    let opens = 0;
    socket.onOpen(() => opens++);
    const errored = deferred();
    socket.onError((e) => errored.resolve(e));
    socket.connect();
    assert.equal(await withTimeout(errored.promise, WAIT_MS, "onError"), 403);
    assert.equal(opens, 0);
    const body = await getJson(pollUrl("token=invalid&vsn=2.0.0&"));
    assert.equal(body.status, 403);
  });
});
