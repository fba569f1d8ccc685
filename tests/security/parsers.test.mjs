// parsers.test.mjs — what one piece of client input may cost to parse, against a real node:
// JSON nested past json_max_depth (64) on /socket and on /live, JSON over json_max_bytes
// (64 KiB here, below max_frame's 1 MiB so each limit is seen on its own), numbers out of a
// double's range, live form field names past form_max_depth (32 brackets), and HTTP bodies over
// each limit. Each attack is refused with a reason that names the setting (close 1007 / 1009,
// an error reply, HTTP 400 / 413), counted in /metrics (cohort_parser_refusals_total), and a
// bystander — a room client and a joined live view — is still served after it.
import { after, afterEach, before, test } from "node:test";
import assert from "node:assert/strict";

import { ClientPool, bystander, collectEvents, push, uniq, joinResult } from "../conformance/helpers.mjs";
import { startServer } from "../conformance/server.mjs";
import { SECRET, bearer } from "../conformance/tokens.mjs";
import { WsClient, broadcastHttp, httpRequest, rawHttp } from "../conformance/wire.mjs";
import { parseResponse } from "./net_support.mjs";

const JSON_MAX_BYTES = 64 * 1024;
const pool = new ClientPool(); // per-test clients
const longLived = new ClientPool(); // the bystanders, for the whole file
let server;
let room; // a phoenix client in a room: ping and shout (helpers.mjs bystander)
let live; // a phoenix_live_view-style client joined to /list: answers a form change

before(async () => {
  server = await startServer({ admin: true, args: ["--secret", SECRET, "--json-max-bytes", String(JSON_MAX_BYTES)] });
  room = await bystander(longLived, server);
  live = await liveView("/list", longLived);
});
afterEach(() => pool.closeAll());
after(async () => {
  await pool.closeAll();
  await longLived.closeAll();
  await server?.kill();
});

const nested = (depth, inner = 1) => {
  let v = inner;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

// The node's refusal counters, from /metrics on the admin listener.
async function refusals() {
  const r = await httpRequest(`${server.adminUrl}/metrics`);
  assert.equal(r.status, 200);
  const out = {};
  for (const m of r.body.matchAll(/^cohort_parser_refusals_total\{kind="(\w+)"\} (\d+)$/gm)) out[m[1]] = Number(m[2]);
  assert.deepEqual(Object.keys(out).sort(), ["form_too_deep", "json_malformed", "json_too_big", "json_too_deep"]);
  return out;
}

// A raw ws client on a socket endpoint ("/socket" or "/live").
async function rawClient(path = "/socket", query = "vsn=2.0.0") {
  const ws = await WsClient.connect({ wsUrl: `ws://127.0.0.1:${server.port}${path}` }, { query });
  pool.track(() => ws.terminate());
  return ws;
}

async function assertClosed(ws, code, reason, what) {
  const closed = await ws.closed(5000);
  assert.equal(closed.code, code, `${what}: close code (reason ${JSON.stringify(closed.reason)})`);
  assert.match(closed.reason, reason, `${what}: close reason`);
}

// A live page's root, its CSRF token and session, then a phoenix client joined to it on /live.
async function liveView(path, clients = pool) {
  const res = await httpRequest(`${server.url}${path}`);
  assert.equal(res.status, 200, `GET ${path}`);
  const m = /<div id="(phx-[^"]+)" data-phx-main data-phx-session="([^"]+)" data-phx-static="">/.exec(res.body);
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(res.body)?.[1];
  assert.ok(m && csrf, `GET ${path}: a live root and a csrf token`);
  const socket = await clients.connected({ wsUrl: `ws://127.0.0.1:${server.port}/live` }, { params: { _csrf_token: csrf } });
  const channel = socket.channel(`lv:${m[1]}`, () => ({
    url: `${server.url}${path}`,
    params: { _csrf_token: csrf, _mounts: 0, _mount_attempts: 0 },
    session: m[2],
    static: null,
    sticky: false,
  }));
  const joined = await joinResult(channel);
  assert.equal(joined.status, "ok", JSON.stringify(joined.response));
  const closes = [];
  socket.onClose((e) => closes.push(e?.code));
  return {
    channel,
    socket,
    id: m[1],
    csrf,
    session: m[2],
    // The view still answers events (a form change of the list page gets its reply).
    async check(what) {
      assert.deepEqual(closes, [], `live bystander closed ${what}`);
      const reply = await push(channel, "event", { type: "form", event: "draft", value: "item%5Btext%5D=ok", meta: {} });
      assert.equal(reply.status, "ok", `live bystander ${what}: ${JSON.stringify(reply)}`);
      assert.equal(reply.response.error, undefined, `live bystander ${what}`);
    },
  };
}

test("/socket: a message nested past json_max_depth is closed with 1007 naming the setting; 64 levels still pass", async () => {
  const before = await refusals();
  const ok = await rawClient();
  // The message array and the payload object are 2 levels: 62 more reach the limit exactly.
  ok.send(["1", "1", "phoenix", "heartbeat", { deep: nested(61, {}) }]);
  assert.deepEqual(await ok.next(5000, "the heartbeat reply"), ["1", "1", "phoenix", "phx_reply", { status: "ok", response: {} }]);
  const deep = await rawClient();
  deep.send(["1", "1", "phoenix", "heartbeat", { deep: nested(62, {}) }]);
  await assertClosed(deep, 1007, /json_max_depth \(64\)/, "65 levels");
  // 30,000 levels (60 KB, within json_max_bytes): refused as fast, no stack spent on it.
  const deeper = await rawClient();
  deeper.sendRaw(`["1","1","phoenix","heartbeat",${"[".repeat(30_000)}${"]".repeat(30_000)}]`);
  await assertClosed(deeper, 1007, /json_max_depth/, "30,000 levels");
  assert.equal((await refusals()).json_too_deep, before.json_too_deep + 2);
  await room.check("after deep JSON on /socket");
  await live.check("after deep JSON on /socket");
});

test("/live: a deep event payload closes only that socket with 1007; the joined views of others go on", async () => {
  const attacker = await liveView("/list");
  const closed = new Promise((resolve) => attacker.socket.onClose((e) => resolve(e)));
  // A hook event's value is any JSON the page sends: here one nested 80 levels.
  attacker.channel.push("event", { type: "hook", event: "ping", value: nested(80) });
  const e = await closed;
  assert.equal(e.code, 1007, `close code ${e.code} ${e.reason}`);
  assert.match(e.reason, /json_max_depth \(64\)/);
  attacker.socket.disconnect();
  // The same raw, before any join.
  const raw = await rawClient("/live", `vsn=2.0.0&_csrf_token=${encodeURIComponent(live.csrf)}`);
  raw.sendRaw(`["1","1","lv:x","phx_join",${"{\"a\":".repeat(70)}1${"}".repeat(70)}]`);
  await assertClosed(raw, 1007, /json_max_depth/, "a deep join on /live");
  await live.check("after deep JSON on /live");
  await room.check("after deep JSON on /live");
});

test("a live form whose field names nest past form_max_depth is refused with a reason; the view goes on", async () => {
  const before = await refusals();
  const attacker = await liveView("/list");
  const name = (n) => "item" + "%5Bx%5D".repeat(n) + "=1";
  const fits = await push(attacker.channel, "event", { type: "form", event: "draft", value: name(32), meta: {} });
  assert.equal(fits.status, "ok");
  assert.equal(fits.response.error, undefined, "32 brackets are within the limit");
  const deep = await push(attacker.channel, "event", { type: "form", event: "draft", value: name(33), meta: {} });
  assert.equal(deep.status, "ok");
  assert.match(deep.response.error, /nests deeper than form_max_depth \(32 brackets\)/);
  // Thousands of brackets (45 KB): the same answer, quoting only the start of the name.
  const huge = await push(attacker.channel, "event", { type: "form", event: "draft", value: name(6000), meta: {} });
  assert.match(huge.response.error, /form_max_depth/);
  assert.ok(huge.response.error.length < 200, `the error quotes little of the name: ${huge.response.error.length} chars`);
  assert.equal((await refusals()).form_too_deep, before.form_too_deep + 2);
  // The attacker's own view still works, and so do the others.
  const again = await push(attacker.channel, "event", { type: "form", event: "draft", value: "item%5Btext%5D=x", meta: {} });
  assert.equal(again.status, "ok");
  assert.equal(again.response.error, undefined);
  await live.check("after deep form names");
  await room.check("after deep form names");
});

// (A message over max_frame is closed with 1009 by the frame layer before any parse:
// tests/conformance/bad_input.test.mjs.)
test("a WebSocket message over json_max_bytes (within max_frame) is closed with 1009 naming the setting", async () => {
  const before = await refusals();
  const big = await rawClient();
  big.send(["1", "1", "phoenix", "heartbeat", { pad: "x".repeat(JSON_MAX_BYTES) }]);
  await assertClosed(big, 1009, /json_max_bytes \(65536\)/, "a 64 KiB message");
  assert.equal((await refusals()).json_too_big, before.json_too_big + 1);
  await room.check("after big messages");
  await live.check("after big messages");
});

test("a number out of a double's range is refused (1007): it would reach subscribers as 'Infinity', which is not JSON", async () => {
  const before = await refusals();
  const topic = uniq("room:numbers");
  const listener = await pool.joined(server, topic);
  const heard = collectEvents(listener.channel, "shout", 1);
  const ws = await rawClient();
  ws.send(["1", "1", topic, "phx_join", {}]);
  await ws.nextMatching((m) => m[3] === "phx_reply", 5000, "the join reply");
  ws.sendRaw(`["1","2","${topic}","shout",{"n":1e400}]`);
  await assertClosed(ws, 1007, /finite/, "1e400");
  const http = await broadcastHttp(server, topic, '{"payload":{"n":-1e999}}', { event: "shout" });
  assert.equal(http.status, 400);
  assert.match(http.json.error, /finite/);
  assert.equal((await refusals()).json_malformed, before.json_malformed + 2);
  // Nothing reached the listener; a good shout does, and parses.
  const good = await broadcastHttp(server, topic, { payload: { n: 1e308 } }, { event: "shout" });
  assert.equal(good.status, 200);
  assert.deepEqual(await heard, [{ n: 1e308 }]);
  await room.check("after out-of-range numbers");
});

test("HTTP bodies: over max_frame 413, JSON over json_max_bytes 413, too deep 400, each naming why", async () => {
  const before = await refusals();
  const topic = uniq("room:bodies");
  // A 2 MiB body, announced: the node answers 413 from the head, before reading the body (so the
  // answer cannot be lost to a reset while the client is still sending).
  const head = [`POST /api/broadcast/${topic} HTTP/1.1`, `Host: 127.0.0.1:${server.port}`, "Content-Type: application/json",
    `Authorization: ${bearer(server, ["publish"]).authorization}`, `Content-Length: ${2 << 20}`, "Connection: close"];
  const huge = parseResponse((await rawHttp(server.port, `${head.join("\r\n")}\r\n\r\n[1,2,3,`)).text);
  assert.equal(huge.status, 413, huge.text.slice(0, 200));
  assert.match(huge.json?.error ?? "", /too large/);
  const big = await broadcastHttp(server, topic, { payload: { pad: "x".repeat(JSON_MAX_BYTES) } });
  assert.equal(big.status, 413);
  assert.match(big.json.error, /json_max_bytes \(65536\)/);
  const deep = await broadcastHttp(server, topic, { payload: { deep: nested(100) } });
  assert.equal(deep.status, 400);
  assert.match(deep.json.error, /json_max_depth \(64\)/);
  const after = await refusals();
  assert.equal(after.json_too_big, before.json_too_big + 1);
  assert.equal(after.json_too_deep, before.json_too_deep + 1);
  const ok = await broadcastHttp(server, topic, { payload: { deep: nested(60) } });
  assert.equal(ok.status, 200, "62 levels are within the limit");
  await room.check("after big and deep bodies");
  await live.check("after big and deep bodies");
});
