// net_support.mjs — raw HTTP exchanges for the net-layer security tests (paths, Host, Origin,
// headers), written byte for byte on a TCP socket so that nothing normalises what the attack
// sends (fetch() and http.request() resolve "..", add a Host and refuse NUL or backslashes).
//
//   exchange(port, requestLine, {headers, host})  → {status, headers, body, json, text}
//   upgrade(port, {path, origin, host})           → the answer to a WebSocket upgrade
//   assertRefused(r, status, what)                → asserts the status and a JSON {error} body
// Every exchange has a deadline (rawHttp's) and uses a fresh connection that the node closes.
import assert from "node:assert/strict";
import crypto from "node:crypto";

import { after, afterEach, before } from "node:test";

import { ClientPool, bystander } from "../conformance/helpers.mjs";
import { rawHttp } from "../conformance/wire.mjs";

// Splits a raw HTTP/1.1 answer into status, lower-cased headers and body.
export function parseResponse(text) {
  const end = text.indexOf("\r\n\r\n");
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? "" : text.slice(end + 4);
  const [statusLine, ...lines] = head.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  const headers = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let json;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status: m ? Number(m[1]) : null, headers, body, json, text };
}

// One request on a fresh connection. requestLine: "GET /x" (the target is sent exactly as given).
// host: the Host header (default 127.0.0.1:<port>; null sends none). headers: more headers.
export async function exchange(port, requestLine, { headers = {}, host = `127.0.0.1:${port}`, body = "" } = {}) {
  const lines = [`${requestLine} HTTP/1.1`];
  if (host !== null) lines.push(`Host: ${host}`);
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  lines.push("Connection: close", `Content-Length: ${Buffer.byteLength(body)}`);
  const r = await rawHttp(port, `${lines.join("\r\n")}\r\n\r\n${body}`);
  return parseResponse(r.text);
}

// A WebSocket upgrade of path with the given Origin (null: none) and Host.
export function upgrade(port, { path = "/socket/websocket?vsn=2.0.0", origin = null, host } = {}) {
  const headers = {
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": crypto.randomBytes(16).toString("base64"),
    "Sec-WebSocket-Version": "13",
  };
  if (origin !== null) headers.Origin = origin;
  // A 101 keeps the connection open: ask for it to close right after (the node answers the
  // upgrade, then sees our FIN), so the exchange still ends by itself.
  return upgradeExchange(port, path, headers, host);
}

async function upgradeExchange(port, path, headers, host = `127.0.0.1:${port}`) {
  const lines = [`GET ${path} HTTP/1.1`, `Host: ${host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  // A close frame (masked, code 1000) right behind the request: after a 101 the node answers it
  // and closes the connection, so rawHttp's wait for the close ends quickly either way.
  const close = Buffer.from([0x88, 0x82, 1, 2, 3, 4, 0x03 ^ 1, 0xe8 ^ 2]);
  const r = await rawHttp(port, Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), close]));
  return parseResponse(r.text);
}

// Asserts a refusal: the status, and a JSON body {error: "..."} that says why.
export function assertRefused(r, status, what) {
  assert.equal(r.status, status, `${what}: status (answer: ${JSON.stringify(r.text.slice(0, 300))})`);
  assert.equal(typeof r.json?.error, "string", `${what}: a JSON {error} body (got ${JSON.stringify(r.body.slice(0, 200))})`);
}

// One node for the whole test file, and a bystander on it that must still be served after every
// test (a ping reply and a broadcast round trip): start() makes the node, use(server, watcher)
// hands both to the file. pool's clients are closed after each test; everything at the end.
// socketOpts go to the bystander's Socket (e.g. a wss transport).
export function nodeWithBystander(pool, start, use, socketOpts = {}) {
  const longLived = new ClientPool();
  let server;
  let watcher;
  before(async () => {
    server = await start();
    watcher = await bystander(longLived, server, undefined, socketOpts);
    use(server, watcher);
  });
  afterEach(async () => {
    await pool.closeAll();
    await watcher.check();
  });
  after(async () => {
    await pool.closeAll();
    await longLived.closeAll();
    await server?.kill();
  });
}
