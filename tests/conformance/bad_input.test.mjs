// bad_input.test.mjs — malformed frames, protocol violations and bad HTTP against one node.
//
// Each test sends one kind of bad input, asserts the server's answer (close code, error reply or
// HTTP status), then asserts that a well-behaved phoenix client on the same node (the bystander,
// connected before any bad input) still gets its ping reply and its shout broadcast.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";

import { bystander, ClientPool } from "./helpers.mjs";
import { startServer } from "./server.mjs";
import { httpRequest, broadcastHttp, OP, rawHttp, RawWebSocket, WsClient } from "./wire.mjs";

const MAX_FRAME = 4096; // small, so an oversize frame is cheap to send

let server;
let bystanderClient;
const pool = new ClientPool(); // per-test clients
const longLived = new ClientPool(); // the bystander, for the whole file

before(async () => {
  server = await startServer({ args: ["--max-frame", String(MAX_FRAME)] });
  bystanderClient = await bystander(longLived, server);
});
afterEach(async () => {
  await pool.closeAll();
  await bystanderClient.check();
});
after(async () => {
  await pool.closeAll();
  await longLived.closeAll();
  await server?.kill();
});

async function client(opts) {
  const ws = await WsClient.connect(server, opts);
  pool.track(() => ws.terminate());
  return ws;
}
async function raw(opts) {
  const r = await RawWebSocket.connect(server.port, opts);
  pool.track(() => r.destroy());
  return r;
}
// Asserts the server closed ws with `code` and a non-empty reason.
async function assertClosedWith(ws, code, what) {
  const { code: got, reason } = await ws.closed(5000);
  assert.equal(got, code, `${what}: close code (reason ${JSON.stringify(reason)})`);
  assert.ok(reason.length > 0, `${what}: the close frame must carry a reason`);
}

describe("bad Phoenix frames", () => {
  test("malformed JSON text frame → close 1007 with a reason", async () => {
    const ws = await client();
    ws.sendRaw("[1,2");
    await assertClosedWith(ws, 1007, "malformed JSON");
  });

  test("wrong arity (4 elements) → close 1007 with a reason", async () => {
    const ws = await client();
    ws.sendRaw(JSON.stringify(["1", "1", "room:a", "phx_join"]));
    await assertClosedWith(ws, 1007, "4-element frame");
  });

  test("a JSON value that is not an array → close 1007", async () => {
    const ws = await client();
    ws.sendRaw(JSON.stringify({ topic: "room:a", event: "phx_join" }));
    await assertClosedWith(ws, 1007, "object frame");
  });

  test("non-string refs → error reply bad_request with the refs echoed as given; the socket stays open", async () => {
    const ws = await client();
    ws.send([1, 1, "room:a", "phx_join", {}]);
    const reply = await ws.next(5000, "the bad_request reply");
    assert.deepEqual(reply.slice(0, 4), [1, 1, "room:a", "phx_reply"]);
    assert.equal(reply[4].status, "error");
    assert.equal(reply[4].response.reason, "bad_request");
    ws.send([null, "2", "phoenix", "heartbeat", {}]);
    assert.deepEqual(await ws.next(5000, "the heartbeat reply"), [null, "2", "phoenix", "phx_reply", { status: "ok", response: {} }]);
  });

  test(`a text frame over --max-frame (${MAX_FRAME}) → close 1009`, async () => {
    const ws = await client();
    ws.sendRaw(JSON.stringify([null, "1", "phoenix", "heartbeat", { pad: "x".repeat(10 * 1024) }]));
    const { code } = await ws.closed(5000);
    assert.equal(code, 1009);
  });

  test("an unknown event on a joined room → error unhandled event", async () => {
    const ws = await client();
    ws.send(["3", "3", "room:a", "phx_join", {}]);
    await ws.nextMatching((m) => m[3] === "phx_reply", 5000, "the join reply");
    ws.send(["3", "4", "room:a", "definitely_not_handled", {}]);
    const reply = await ws.nextMatching((m) => m[3] === "phx_reply", 5000, "the error reply");
    assert.deepEqual(reply, ["3", "4", "room:a", "phx_reply", { status: "error", response: { reason: "unhandled event", event: "definitely_not_handled" } }]);
  });

  const garbage = {
    "kind byte 7": Buffer.from([7, 1, 1, 6, 4, ...Buffer.from("11room:aping")]),
    "kind 1 (only the server sends replies)": Buffer.from([1, 1, 1, 6, 2, ...Buffer.from("11room:aok")]),
    "lengths past the end (topic says 200 bytes)": Buffer.from([0, 1, 1, 200, 4, ...Buffer.from("11room:a")]),
    "shorter than the 5-byte header": Buffer.from([0, 1, 1]),
  };
  for (const [name, bytes] of Object.entries(garbage)) {
    test(`binary garbage: ${name} → close 1007 with a reason`, async () => {
      const ws = await client();
      ws.sendRaw(bytes, { binary: true });
      await assertClosedWith(ws, 1007, name);
    });
  }

  test("a text frame that is not valid UTF-8 → close 1007 (RFC 6455 8.1)", async () => {
    const r = await raw();
    r.send(OP.text, Buffer.from([0x5b, 0x22, 0xc3, 0x28, 0x22, 0x5d])); // ["\xc3("]
    const { code, closeFrame } = await r.closed(5000);
    assert.ok(closeFrame, "expected a close frame");
    assert.equal(code, 1007);
  });
});

describe("bad WebSocket framing (raw TCP after a valid upgrade)", () => {
  const cases = {
    "an unmasked client frame": (r) => r.sendJson([null, "1", "phoenix", "heartbeat", {}], { mask: false }),
    "reserved bits set (no extension negotiated)": (r) => r.sendJson([null, "1", "phoenix", "heartbeat", {}], { rsv: 4 }),
    "a reserved opcode (3)": (r) => r.send(3, Buffer.from("x")),
    "a fragmented control frame (ping without FIN)": (r) => r.send(OP.ping, Buffer.from("x"), { fin: false }),
  };
  for (const [name, sendBad] of Object.entries(cases)) {
    test(`${name} → close 1002, then the server ends the connection`, async () => {
      const r = await raw();
      sendBad(r);
      const { code, closeFrame, masked } = await r.closed(5000);
      assert.ok(closeFrame, "the server must send a close frame before ending the connection");
      assert.equal(masked, false, "server frames are never masked");
      assert.equal(code, 1002);
      assert.ok(r.ended, "the TCP connection must end");
    });
  }
});

describe("bad HTTP", () => {
  test("POST /api/broadcast/room:a with a body that is not JSON → 400 {error}", async () => {
    const r = await broadcastHttp(server, "room:a", "{not json");
    assert.equal(r.status, 400, r.body);
    assert.equal(typeof r.json?.error, "string", `expected a JSON body {"error": ...}, got ${r.body}`);
  });

  test("POST /api/broadcast refuses reserved events and store topics → 403 {error}", async () => {
    for (const [topic, event] of [["room:a", "presence_diff"], ["room:a", "presence_state"], ["room:a", "phx_close"], ["store:doc:x", "patch"]]) {
      const r = await broadcastHttp(server, topic, { joins: {}, leaves: {} }, { event });
      assert.equal(r.status, 403, `${topic} ${event}: ${r.body}`);
      assert.equal(typeof r.json?.error, "string", r.body);
    }
    assert.equal((await broadcastHttp(server, "room:a", { hello: 1 }, { event: "news" })).status, 200);
  });

  test("request headers over 16 KB → 431 (or 400), and the node keeps serving", async () => {
    const request = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20 * 1024)}\r\n\r\n`;
    const r = await rawHttp(server.port, request, { timeoutMs: 5000 });
    assert.ok(r.status === 431 || r.status === 400, `expected 431 or 400, got ${JSON.stringify(r.text.slice(0, 200))}`);
    const health = await httpRequest(`${server.url}/healthz`);
    assert.equal(health.status, 200);
  });

  test("a request line that is not HTTP → 400 (or a close), and the node keeps serving", async () => {
    const r = await rawHttp(server.port, "HELLO THERE\r\n\r\n", { timeoutMs: 5000 });
    assert.ok(r.status === 400 || r.status === null, `expected 400 or a plain close, got ${JSON.stringify(r.text.slice(0, 200))}`);
  });
});
