// binary.test.mjs — V2 binary frames (docs/protocol.md, Binary frames): the official client end to end, then the
// exact bytes of each kind on the wire (the C→S push has a 5-byte header, the S→C push 4 bytes).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  arrayBuffer,
  assertBytes,
  cast,
  ClientPool,
  collectEvents,
  joinChannel,
  nextEvent,
  push,
  recordSocketMessages,
  uniq,
} from "./helpers.mjs";
import { serverForFile } from "./server.mjs";
import { WsClient } from "./wire.mjs";

let server;
const pool = new ClientPool();

serverForFile(pool, (s) => (server = s));

const ALL_BYTES = Array.from({ length: 256 }, (_, i) => i); // NUL, invalid UTF-8, everything

describe("binary with the phoenix client", () => {
  test("ping with an ArrayBuffer → ok with the same bytes, as an ArrayBuffer", async () => {
    const socket = await pool.connected(server);
    const { channel } = await joinChannel(socket, uniq("room:bin"));
    const reply = await push(channel, "ping", arrayBuffer(ALL_BYTES));
    assert.equal(reply.status, "ok");
    assertBytes(reply.response, ALL_BYTES, "binary ping reply");
  });

  test("ping with an empty and with a 200 KB ArrayBuffer", async () => {
    const socket = await pool.connected(server);
    const { channel } = await joinChannel(socket, uniq("room:bin"));
    const empty = await push(channel, "ping", new ArrayBuffer(0));
    assert.equal(empty.status, "ok");
    assertBytes(empty.response, [], "empty binary ping reply");
    const big = Uint8Array.from({ length: 200 * 1024 }, (_, i) => (i * 7) & 0xff);
    const bigReply = await push(channel, "ping", big.buffer);
    assert.equal(bigReply.status, "ok");
    assertBytes(bigReply.response, big, "200 KB binary ping reply");
  });

  test("shout with an ArrayBuffer reaches the other client (and the sender) as an ArrayBuffer", async () => {
    const topic = uniq("room:bin");
    const a = await pool.joined(server, topic);
    const b = await pool.joined(server, topic);
    const bytes = [0, 1, 2, 250, 255, 0x7b, 0x22];
    const atB = nextEvent(b.channel, "shout");
    const atA = nextEvent(a.channel, "shout");
    cast(a.channel, "shout", arrayBuffer(bytes));
    assertBytes(await atB, bytes, "binary shout at the other client");
    assertBytes(await atA, bytes, "binary shout at the sender");
  });

  test("binary shouts keep their order, mixed with JSON shouts", async () => {
    const topic = uniq("room:bin");
    const a = await pool.joined(server, topic);
    const b = await pool.joined(server, topic);
    const got = collectEvents(b.channel, "shout", 10);
    for (let i = 0; i < 10; i++) cast(a.channel, "shout", i % 2 ? { i } : arrayBuffer([i, 0xff]));
    const events = await got;
    events.forEach((p, i) => {
      if (i % 2) assert.deepEqual(p, { i });
      else assertBytes(p, [i, 0xff], `shout ${i}`);
    });
  });

  test("push_back with an ArrayBuffer → 'pushed' arrives as a binary push to this channel only", async () => {
    const topic = uniq("room:bin");
    const a = await pool.joined(server, topic);
    const b = await pool.joined(server, topic);
    const atB = recordSocketMessages(b.socket, (m) => m.event === "pushed");
    const pushed = recordSocketMessages(a.socket, (m) => m.event === "pushed");
    const got = nextEvent(a.channel, "pushed");
    cast(a.channel, "push_back", arrayBuffer(ALL_BYTES));
    assertBytes(await got, ALL_BYTES, "binary push");
    const [frame] = pushed.list;
    assert.equal(frame.join_ref, a.channel.joinRef(), "the binary push carries the channel's join_ref");
    assert.equal(frame.ref, null);
    await push(b.channel, "ping", {}); // a round trip on b: anything pushed to b is in by now
    assert.equal(atB.list.length, 0, "push_back must go to the pushing channel only");
    atB.off();
    pushed.off();
  });
});

describe("binary bytes on the wire", () => {
  // [u8 len-prefixed...] helpers for building and expecting frames.
  const str = (s) => Buffer.from(s, "utf8");
  const cat = (...parts) => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p))));

  async function joinRaw(topic, jr = "3") {
    const ws = await WsClient.connect(server);
    pool.track(() => ws.terminate());
    ws.send([jr, jr, topic, "phx_join", {}]);
    const reply = await ws.next(5000, "the join reply");
    assert.deepEqual(reply, [jr, jr, topic, "phx_reply", { status: "ok", response: {} }]);
    return ws;
  }
  const clientPush = (jr, ref, topic, event, payload) =>
    cat([0, jr.length, ref.length, topic.length, event.length], str(jr), str(ref), str(topic), str(event), payload);

  test("kind 0 C→S (5-byte header) ping → kind 1 reply: u8 1, 4 lengths, jr, ref, topic, status, bytes", async () => {
    const topic = uniq("room:wire");
    const ws = await joinRaw(topic);
    const payload = Buffer.from([0, 255, 1, 2]);
    ws.sendRaw(clientPush("3", "4", topic, "ping", payload), { binary: true });
    const reply = await ws.nextMatching(Buffer.isBuffer, 5000, "a binary reply");
    const expected = cat([1, 1, 1, topic.length, 2], str("3"), str("4"), str(topic), str("ok"), payload);
    assert.deepEqual(reply, expected);
  });

  test("push_back binary → kind 0 S→C push with a 4-byte header and no ref", async () => {
    const topic = uniq("room:wire");
    const ws = await joinRaw(topic);
    const payload = Buffer.from("bytes\u0000\u00ff", "latin1");
    ws.sendRaw(clientPush("3", "5", topic, "push_back", payload), { binary: true });
    const frame = await ws.nextMatching(Buffer.isBuffer, 5000, "a binary push");
    const expected = cat([0, 1, topic.length, "pushed".length], str("3"), str(topic), str("pushed"), payload);
    assert.deepEqual(frame, expected);
  });

  test("shout binary → kind 2 broadcast: u8 2, len(topic), len(event), topic, event, bytes", async () => {
    const topic = uniq("room:wire");
    const ws = await joinRaw(topic);
    const payload = Buffer.from([9, 8, 7]);
    ws.sendRaw(clientPush("3", "6", topic, "shout", payload), { binary: true });
    const frame = await ws.nextMatching(Buffer.isBuffer, 5000, "a binary broadcast");
    assert.deepEqual(frame, cat([2, topic.length, "shout".length], str(topic), str("shout"), payload));
  });

  test("a binary push for an event with an error reply → a JSON error reply to the binary push's refs", async () => {
    const topic = uniq("room:wire");
    const ws = await joinRaw(topic);
    ws.sendRaw(clientPush("3", "7", topic, "no_such_event", Buffer.from([1])), { binary: true });
    const reply = await ws.nextMatching((m) => Array.isArray(m) && m[3] === "phx_reply", 5000, "the error reply");
    assert.deepEqual(reply, ["3", "7", topic, "phx_reply", { status: "error", response: { reason: "unhandled event", event: "no_such_event" } }]);
  });
});
