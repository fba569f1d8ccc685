// wire.test.mjs — exact V2 JSON frames (docs/protocol.md, Channels), sent and checked without the client
// library: refs echoed byte for byte, reply shapes, leave/close order, duplicate join, authToken.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { ClientPool, uniq } from "./helpers.mjs";
import { serverForFile } from "./server.mjs";
import { WsClient } from "./wire.mjs";

let server;
const pool = new ClientPool();

serverForFile(pool, (s) => (server = s));

async function client(opts) {
  const ws = await WsClient.connect(server, opts);
  pool.track(() => ws.terminate());
  return ws;
}
const ok = (response = {}) => ({ status: "ok", response });
const error = (response) => ({ status: "error", response });
// The next reply (skipping pushes such as presence_state that a join may send after its reply).
const nextReply = (ws, what) => ws.nextMatching((m) => Array.isArray(m) && m[3] === "phx_reply", 5000, what);

describe("frames", () => {
  test("heartbeat → [null, R, phoenix, phx_reply, ok {}] with R echoed", async () => {
    const ws = await client();
    ws.send([null, "7", "phoenix", "heartbeat", {}]);
    assert.deepEqual(await ws.next(), [null, "7", "phoenix", "phx_reply", ok()]);
  });

  test("refs are echoed byte for byte as strings (no number parsing: '0042' stays '0042')", async () => {
    const ws = await client();
    const topic = uniq("room:refs");
    ws.send(["0042", "0042", topic, "phx_join", {}]);
    assert.deepEqual(await ws.next(5000, "the join reply"), ["0042", "0042", topic, "phx_reply", ok()]);
    ws.send(["0042", "x-1", topic, "ping", { a: 1 }]);
    assert.deepEqual(await nextReply(ws, "the ping reply"), ["0042", "x-1", topic, "phx_reply", ok({ a: 1 })]);
  });

  test("the join reply comes before anything the new channel pushes", async () => {
    const ws = await client();
    const topic = uniq("room:order");
    ws.send(["3", "3", topic, "phx_join", { user_id: "alice" }]);
    assert.deepEqual(await ws.next(5000, "the first frame after the join"), ["3", "3", topic, "phx_reply", ok()]);
  });

  test("extra trailing array elements are tolerated (the first five are decoded)", async () => {
    const ws = await client();
    ws.send([null, "8", "phoenix", "heartbeat", {}, "extra", 1]);
    assert.deepEqual(await ws.next(), [null, "8", "phoenix", "phx_reply", ok()]);
  });

  test("join of an unmatched topic → error unmatched topic with join_ref null", async () => {
    const ws = await client();
    ws.send(["5", "5", "nope:1", "phx_join", {}]);
    assert.deepEqual(await ws.next(), [null, "5", "nope:1", "phx_reply", error({ reason: "unmatched topic" })]);
  });

  test("join room:secret → [JR, JR, topic, phx_reply, error unauthorized]", async () => {
    const ws = await client();
    ws.send(["4", "4", "room:secret", "phx_join", {}]);
    assert.deepEqual(await ws.next(), ["4", "4", "room:secret", "phx_reply", error({ reason: "unauthorized" })]);
  });

  test("an event on a topic that is not joined → [null, R, topic, phx_reply, error unmatched topic]", async () => {
    const ws = await client();
    const topic = uniq("room:notjoined");
    ws.send(["9", "10", topic, "ping", {}]);
    assert.deepEqual(await ws.next(), [null, "10", topic, "phx_reply", error({ reason: "unmatched topic" })]);
  });

  test("phx_leave of a topic that is not joined → ok {}", async () => {
    const ws = await client();
    const topic = uniq("room:notjoined");
    ws.send(["9", "11", topic, "phx_leave", {}]);
    const [, ref, t, event, payload] = await ws.next();
    assert.deepEqual([ref, t, event, payload], ["11", topic, "phx_reply", ok()]);
  });
});

describe("channel lifecycle", () => {
  test("phx_leave → reply ok {} first, then [JR, JR, topic, phx_close, {}]", async () => {
    const ws = await client();
    const topic = uniq("room:leave");
    ws.send(["3", "3", topic, "phx_join", {}]);
    await nextReply(ws, "the join reply");
    ws.send(["3", "4", topic, "phx_leave", {}]);
    const relevant = (m) => Array.isArray(m) && (m[3] === "phx_reply" || m[3] === "phx_close");
    assert.deepEqual(await ws.nextMatching(relevant), ["3", "4", topic, "phx_reply", ok()]);
    assert.deepEqual(await ws.nextMatching(relevant), ["3", "3", topic, "phx_close", {}]);
  });

  test("duplicate join → phx_close with the OLD join_ref, then the new join's reply; old JR is stale", async () => {
    const ws = await client();
    const topic = uniq("room:dup");
    ws.send(["3", "3", topic, "phx_join", {}]);
    await nextReply(ws, "the first join reply");
    ws.send(["5", "5", topic, "phx_join", {}]);
    const relevant = (m) => Array.isArray(m) && (m[3] === "phx_reply" || m[3] === "phx_close");
    assert.deepEqual(await ws.nextMatching(relevant), ["3", "3", topic, "phx_close", {}]);
    assert.deepEqual(await ws.nextMatching(relevant), ["5", "5", topic, "phx_reply", ok()]);
    ws.send(["5", "6", topic, "ping", { n: 1 }]);
    assert.deepEqual(await nextReply(ws), ["5", "6", topic, "phx_reply", ok({ n: 1 })]);
    // A message under the old join_ref finds no channel: the server answers as for an unjoined topic.
    ws.send(["3", "7", topic, "ping", { n: 2 }]);
    assert.deepEqual(await nextReply(ws), [null, "7", topic, "phx_reply", error({ reason: "unmatched topic" })]);
  });

  test("crash → [JR, JR, topic, phx_error, {reason: channel_crash}], the socket stays open", async () => {
    const ws = await client();
    const topic = uniq("room:crash");
    ws.send(["3", "3", topic, "phx_join", {}]);
    await nextReply(ws, "the join reply");
    ws.send(["3", "4", topic, "crash", {}]);
    const err = await ws.nextMatching((m) => m[3] === "phx_error", 5000, "phx_error");
    assert.deepEqual(err, ["3", "3", topic, "phx_error", { reason: "channel_crash" }]);
    ws.send(["6", "6", topic, "phx_join", {}]);
    assert.deepEqual(await nextReply(ws, "the rejoin reply"), ["6", "6", topic, "phx_reply", ok()]);
    assert.equal(ws.closeInfo, null);
  });

  test("a broadcast is [null, null, topic, event, payload]", async () => {
    const ws = await client();
    const topic = uniq("room:bc");
    ws.send(["3", "3", topic, "phx_join", {}]);
    await nextReply(ws, "the join reply");
    ws.send(["3", "4", topic, "shout", { hi: 1 }]);
    assert.deepEqual(await ws.nextMatching((m) => m[3] === "shout"), [null, null, topic, "shout", { hi: 1 }]);
  });

  test("a JSON push_back is [JR, null, topic, pushed, payload]", async () => {
    const ws = await client();
    const topic = uniq("room:push");
    ws.send(["3", "3", topic, "phx_join", {}]);
    await nextReply(ws, "the join reply");
    ws.send(["3", "4", topic, "push_back", { p: [1] }]);
    assert.deepEqual(await ws.nextMatching((m) => m[3] === "pushed"), ["3", null, topic, "pushed", { p: [1] }]);
  });
});

describe("authToken subprotocol", () => {
  test("the server selects 'phoenix' and decodes the unpadded standard-base64 token", async () => {
    // btoa("tok>>>x") = "dG9rPj4+eA==": '+' and padding stripped, as the client sends it.
    const ws = await client({ protocols: ["phoenix", "base64url.bearer.phx.dG9rPj4+eA"] });
    assert.equal(ws.ws.protocol, "phoenix");
    const topic = uniq("room:auth");
    ws.send(["3", "3", topic, "phx_join", {}]);
    await nextReply(ws, "the join reply");
    ws.send(["3", "4", topic, "whoami", {}]);
    const [, , , , reply] = await nextReply(ws, "the whoami reply");
    assert.equal(reply.status, "ok");
    assert.equal(reply.response.auth_token, "tok>>>x");
  });
});
