// deflate.test.mjs — permessage-deflate (RFC 7692): the `ws` client with and without it, phoenix.js
// over it (joins, big broadcasts, Presence), and raw frames to check RSV1, the shared compressed
// presence_state and the limits on inflated input (1009 for a zlib bomb, 1007 for bad data).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import zlib from "node:zlib";
import WebSocket from "ws";
import { Presence } from "phoenix";

import { ClientPool, WAIT_MS, cast, deferred, joinChannel, nextEvent, push, uniq, withTimeout } from "./helpers.mjs";
import { OP, RawWebSocket } from "./wire.mjs";
import { serverForFile } from "./server.mjs";

// `ws` transports for phoenix.js: with permessage-deflate offered (ws's default) and without.
class DeflateWs extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols, { perMessageDeflate: true });
  }
}
class PlainWs extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols, { perMessageDeflate: false });
  }
}

const OFFER = { "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits" };
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const inflate = (payload) => zlib.inflateRawSync(Buffer.concat([payload, TAIL]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
const deflate = (buf) => {
  const d = zlib.deflateRawSync(buf, { flush: zlib.constants.Z_SYNC_FLUSH });
  return d.subarray(0, d.length - 4); // RFC 7692 7.2.1: the sync-flush tail is not sent
};
// Text that compresses but is not trivial: hex of random bytes, repeated.
const bigText = (n) => crypto.randomBytes(64).toString("hex").repeat(Math.ceil(n / 128)).slice(0, n);

// The payload of a server frame as text: inflated when RSV1 is set.
const frameText = (f) => ((f.rsv & 4) !== 0 ? inflate(f.payload) : f.payload).toString("utf8");

// Reads frames until one whose parsed JSON satisfies pred; returns {frame, msg}.
async function nextMatching(raw, pred, what) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const f = await raw.next(Math.max(1, deadline - Date.now()), what);
    if (!f) throw new Error(`connection ended while waiting for ${what}`);
    if (f.opcode !== OP.text) continue;
    const msg = JSON.parse(frameText(f));
    if (pred(msg)) return { frame: f, msg };
  }
}

async function rawJoin(server, topic, params, headers = OFFER) {
  const raw = await RawWebSocket.connect(server.port, { headers });
  raw.sendJson(["1", "1", topic, "phx_join", params]);
  await nextMatching(raw, (m) => m[3] === "phx_reply" && m[1] === "1", `join reply on ${topic}`);
  return raw;
}

describe("permessage-deflate", () => {
  let server;
  const pool = new ClientPool();
  serverForFile(pool, (s) => (server = s));

  test("ws negotiates it by default; a client that does not offer it gets plain frames", async () => {
    const a = await pool.connected(server, { transport: DeflateWs });
    const b = await pool.connected(server, { transport: PlainWs });
    assert.equal(a.conn.extensions, "permessage-deflate"); // ws lists the accepted extension by name
    assert.equal(b.conn.extensions, "");
  });

  test("phoenix.js over deflate: big pushes, replies and broadcasts arrive intact; a plain client on the topic too", async () => {
    const topic = uniq("room:deflate");
    const a = await pool.connected(server, { transport: DeflateWs });
    const b = await pool.connected(server, { transport: PlainWs });
    const { channel: ca } = await joinChannel(a, topic);
    const { channel: cb } = await joinChannel(b, topic);
    const text = bigText(200_000); // ws compresses what it sends above 1 KiB: the server inflates it
    const same = (got, what) => assert.ok(got === text, `${what}: ${got?.length} characters, ${got === text ? "" : "not "}the text sent`);
    const reply = await push(ca, "ping", { text });
    assert.equal(reply.status, "ok");
    same(reply.response.text, "ping reply");
    const atA = nextEvent(ca, "shout");
    const atB = nextEvent(cb, "shout");
    cast(ca, "shout", { text, n: 1 });
    const [pa, pb] = await Promise.all([atA, atB]);
    same(pa.text, "shout at the deflate client");
    same(pb.text, "shout at the plain client");
    assert.equal(pa.n, 1);
    assert.equal(pb.n, 1);
  });

  test("a big broadcast is compressed (RSV1) for a deflate client, plain for the other, same message", async () => {
    const topic = uniq("room:rsv");
    const zipped = await rawJoin(server, topic, {});
    const plain = await rawJoin(server, topic, {}, {});
    assert.match(zipped.responseHead, /sec-websocket-extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover/i);
    assert.doesNotMatch(plain.responseHead, /sec-websocket-extensions/i);
    const text = bigText(5000);
    zipped.sendJson(["1", "2", topic, "shout", { text }]);
    const isShout = (m) => m[3] === "shout";
    const z = await nextMatching(zipped, isShout, "shout (deflate)");
    const p = await nextMatching(plain, isShout, "shout (plain)");
    assert.equal(z.frame.rsv, 4);
    assert.ok(z.frame.payload.length < 2500, `compressed to ${z.frame.payload.length} bytes`);
    assert.equal(p.frame.rsv, 0);
    assert.ok(JSON.stringify(z.msg) === JSON.stringify(p.msg), "the same message both ways");
    assert.ok(z.msg[4].text === text, "the text sent");
    // A small reply stays plain (below deflate_min_bytes).
    zipped.sendJson(["1", "3", topic, "ping", { x: 1 }]);
    const r = await nextMatching(zipped, (m) => m[3] === "phx_reply" && m[1] === "3", "small reply");
    assert.equal(r.frame.rsv, 0);
    zipped.destroy();
    plain.destroy();
  });

  test("Presence: deflate and plain phoenix.js clients see every key; a compressed presence_state inflates", async () => {
    const topic = uniq("room:pres");
    const clients = [];
    for (let i = 0; i < 16; i++) {
      const socket = await pool.connected(server, { transport: i === 0 ? PlainWs : DeflateWs });
      const channel = socket.channel(topic, { user_id: `user-${i}` });
      const presence = new Presence(channel);
      const joined = deferred();
      channel.join(WAIT_MS).receive("ok", () => joined.resolve()).receive("error", (e) => joined.reject(new Error(JSON.stringify(e))));
      await withTimeout(joined.promise, WAIT_MS, `join as user-${i}`);
      clients.push(presence);
    }
    const want = clients.map((_, i) => `user-${i}`).sort();
    const all = (p) => JSON.stringify(Object.keys(p.state).sort()) === JSON.stringify(want);
    await Promise.all(
      clients.map((p, i) => {
        const d = deferred();
        const check = () => all(p) && d.resolve();
        p.onSync(check);
        check();
        return withTimeout(d.promise, WAIT_MS, `client ${i} to see all 16 keys`);
      }),
    );
    // A raw deflate client: its presence_state (well over 512 bytes) comes compressed.
    const raw = await RawWebSocket.connect(server.port, { headers: OFFER });
    raw.sendJson(["7", "7", topic, "phx_join", {}]);
    const s = await nextMatching(raw, (m) => m[3] === "presence_state", "presence_state");
    assert.equal(s.frame.rsv, 4);
    assert.equal(s.msg[0], "7");
    assert.deepEqual(Object.keys(s.msg[4]).sort(), want);
    raw.destroy();
  });

  test("a zlib bomb closes with 1009 once the inflated size passes max_frame", async () => {
    const raw = await RawWebSocket.connect(server.port, { headers: OFFER });
    raw.send(OP.text, deflate(Buffer.alloc(4 << 20, 0x20)), { rsv: 4 }); // 4 MiB of spaces in a few KiB
    const { code } = await raw.closed();
    assert.equal(code, 1009);
  });

  test("bad DEFLATE data closes with 1007; RSV1 on a control frame with 1002", async () => {
    const bad = await RawWebSocket.connect(server.port, { headers: OFFER });
    bad.send(OP.text, Buffer.from([0xff, 0xfe, 0xfd, 0xfc]), { rsv: 4 });
    assert.equal((await bad.closed()).code, 1007);
    const ping = await RawWebSocket.connect(server.port, { headers: OFFER });
    ping.send(OP.ping, Buffer.alloc(0), { rsv: 4 });
    assert.equal((await ping.closed()).code, 1002);
  });

  test("RSV1 without the extension negotiated is a protocol error", async () => {
    const raw = await RawWebSocket.connect(server.port);
    raw.send(OP.text, deflate(Buffer.from("[null,\"1\",\"phoenix\",\"heartbeat\",{}]")), { rsv: 4 });
    assert.equal((await raw.closed()).code, 1002);
  });
});
