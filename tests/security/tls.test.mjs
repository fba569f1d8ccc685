// tls.test.mjs — native TLS (--tls-cert, --tls-key, --tls-redirect-port) against a real node.
//
// The test makes a throwaway certificate (openssl CLI: EC P-256, SAN 127.0.0.1 and localhost)
// and trusts exactly it: Node clients get it as their CA, Chromium is told its key's SPKI hash.
// Over TLS: the official phoenix client joins, broadcasts and tracks presence over wss://; big
// messages go both ways with permessage-deflate; a burst of broadcasts arrives complete and in
// order and leaves in fewer socket writes than frames (coalescing); pages come over https:// with
// a CSP naming the wss:// origin; Chromium runs a live page over wss:// with no CSP violation.
// Refused: TLS 1.1, TLS 1.2 without forward secrecy or AEAD, plain HTTP on the TLS port, a
// broken handshake (counted), a plain-scheme Origin. The redirect port answers 308 to https://.
// Each test ends by checking a bystander phoenix client over wss://.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import tls from "node:tls";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";

import { connected, CONTEXT_OPTIONS, launchBrowser, WAIT_MS as PAGE_WAIT_MS } from "../browser/browser.mjs";
import { bystander, ClientPool, collectEvents, deferred, push, uniq, WAIT_MS, withTimeout } from "../conformance/helpers.mjs";
import { freePort, startServer } from "../conformance/server.mjs";
import { nodeWithBystander, parseResponse } from "./net_support.mjs";
import { rawHttp } from "../conformance/wire.mjs";

// ---- the throwaway certificate ---------------------------------------------------------------

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cohort-tls-"));
process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
const certFile = path.join(dir, "cert.pem");
const keyFile = path.join(dir, "key.pem");
execFileSync("openssl", [
  "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
  "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=127.0.0.1",
  "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
], { stdio: "ignore" });
const CA = fs.readFileSync(certFile);
const spki = crypto
  .createHash("sha256")
  .update(new crypto.X509Certificate(CA).publicKey.export({ type: "spki", format: "der" }))
  .digest("base64");

// The `ws` package trusting the test certificate, as phoenix's transport.
class TrustingWebSocket extends WebSocket {
  constructor(url, protocols, opts = {}) {
    super(url, protocols, { ca: CA, ...opts });
  }
}
const SOCKET_OPTS = { transport: TrustingWebSocket };

const browser = await launchBrowser([`--ignore-certificate-errors-spki-list=${spki}`]);

let server;
let redirectPort;
let watcher;
const pool = new ClientPool();
// The node serves TLS with a redirect port. --socket-messages-per-s 0: the burst test sends
// 2,000 messages from one socket at once, far past a person's rate (docs/security.md, "Limits
// per client").
async function startTlsNode() {
  redirectPort = await freePort();
  const node = await startServer({
    admin: true,
    args: ["--tls-cert", certFile, "--tls-key", keyFile, "--tls-redirect-port", String(redirectPort), "--socket-messages-per-s", "0"],
  });
  assert.match(node.url, /^https:\/\/127\.0\.0\.1:\d+$/, "the node prints https://");
  assert.match(node.wsUrl, /^wss:\/\//);
  return node;
}
nodeWithBystander(pool, startTlsNode, (s, w) => {
  server = s;
  watcher = w;
}, SOCKET_OPTS);

// GET over https trusting the test certificate.
function httpsGet(url, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca: CA, headers, agent: false, timeout: WAIT_MS }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c) => (body += c)).on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: no answer within ${WAIT_MS} ms`)));
    req.on("error", reject);
  });
}

// A TLS handshake with the given client options: resolves {protocol, cipher} or rejects with
// the error (a server alert shows in its code).
function handshake(options) {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: "127.0.0.1", port: server.port, ca: CA, ...options }, () => {
      const info = { protocol: sock.getProtocol(), cipher: sock.getCipher().name };
      sock.end();
      resolve(info);
    });
    sock.setTimeout(WAIT_MS, () => sock.destroy(new Error("handshake timed out")));
    sock.on("error", reject);
  });
}

async function metrics() {
  const res = await fetch(`${server.adminUrl}/metrics`);
  return Object.fromEntries((await res.text()).trim().split("\n").map((l) => l.split(" ")).map(([k, v]) => [k, Number(v)]));
}

describe("the phoenix client over wss://", () => {
  test("joins, broadcasts and tracks presence", async () => {
    const topic = uniq("room:tls");
    const a = await pool.joined(server, topic, { params: { user_id: "ada" }, socketOpts: SOCKET_OPTS });
    const b = await pool.joined(server, topic, { params: { user_id: "bob" }, socketOpts: SOCKET_OPTS });
    const heard = collectEvents(b.channel, "shout", 1);
    a.channel.push("shout", { hello: "over tls" });
    assert.deepEqual(await heard, [{ hello: "over tls" }]);
    const who = await push(a.channel, "whoami", {});
    assert.equal(who.response.user_id, "ada");
  });

  test("big messages both ways, with permessage-deflate negotiated", async () => {
    const ws = new TrustingWebSocket(`${server.wsUrl}/websocket?vsn=2.0.0`, [], { perMessageDeflate: true });
    pool.track(() => ws.terminate());
    await withTimeout(new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject)), WAIT_MS, "wss open");
    assert.match(ws.extensions, /permessage-deflate/, "compression negotiated over TLS");
    const replies = new Map();
    ws.on("message", (data) => {
      const [, ref, , event, payload] = JSON.parse(data.toString());
      if (event === "phx_reply") replies.get(ref)?.resolve(payload);
    });
    const call = (ref, topic, event, payload) => {
      const d = deferred();
      replies.set(ref, d);
      ws.send(JSON.stringify(["1", ref, topic, event, payload]));
      return withTimeout(d.promise, WAIT_MS, `reply ${ref}`);
    };
    const topic = uniq("room:big");
    assert.equal((await call("1", topic, "phx_join", {})).status, "ok");
    // 300 KB that compresses, and 300 KB of random text that does not: several TLS records each.
    for (const [ref, text] of [["2", "abc".repeat(100_000)], ["3", crypto.randomBytes(150_000).toString("hex")]]) {
      const reply = await call(ref, topic, "ping", { text });
      assert.equal(reply.status, "ok");
      assert.equal(reply.response.text, text, `ping ${ref} came back intact`);
    }
  });

  test("a burst of broadcasts arrives complete and in order, coalesced into fewer writes", async () => {
    const topic = uniq("room:burst");
    const sub = await pool.joined(server, topic, { socketOpts: SOCKET_OPTS });
    const pub = await pool.joined(server, topic, { socketOpts: SOCKET_OPTS });
    const N = 2000;
    const got = collectEvents(sub.channel, "shout", N, 20_000);
    const before = await metrics();
    for (let i = 0; i < N; i++) pub.channel.push("shout", { i });
    const all = await got;
    assert.deepEqual(all.map((p) => p.i), [...Array(N).keys()], "every shout, in order");
    const after_ = await metrics();
    const frames = after_.cohort_frames_out_total - before.cohort_frames_out_total;
    const writes = after_.cohort_socket_writes_total - before.cohort_socket_writes_total;
    assert.ok(frames >= 2 * N, `frames out: ${frames}`);
    assert.ok(writes < frames / 2, `coalescing over TLS: ${writes} writes for ${frames} frames`);
  });
});

describe("https:// pages", () => {
  test("pages and static files come over https with the wss:// origin in the CSP", async () => {
    for (const p of ["/counter", "/assets/cohort.css", "/healthz"]) {
      const r = await httpsGet(`${server.url}${p}`);
      assert.equal(r.status, 200, p);
      assert.match(r.headers["content-security-policy"], new RegExp(`connect-src 'self' wss://127\\.0\\.0\\.1:${server.port};`), p);
      assert.equal(r.headers["x-content-type-options"], "nosniff");
    }
  });

  test("Chromium runs a live page over wss:// with no CSP violation", async () => {
    const violations = [];
    const open = async () => {
      const context = await browser.newContext(CONTEXT_OPTIONS);
      const page = await context.newPage();
      page.setDefaultTimeout(PAGE_WAIT_MS);
      page.on("console", (m) => /Content Security Policy/i.test(m.text()) && violations.push(m.text()));
      const sockets = [];
      page.on("websocket", (ws) => sockets.push(ws.url()));
      const response = await page.goto(`${server.url}/counter`);
      assert.equal(response.status(), 200);
      await connected(page);
      return { page, context, sockets };
    };
    const a = await open();
    const b = await open();
    try {
      assert.ok(a.sockets.some((u) => u.startsWith(`wss://127.0.0.1:${server.port}/live/websocket`)), `the live socket is wss: ${a.sockets}`);
      const before = Number(await b.page.locator("#count").textContent());
      await a.page.locator("#inc").click();
      await b.page.waitForFunction((n) => Number(document.querySelector("#count")?.textContent) === n + 1, before);
      assert.deepEqual(violations, []);
    } finally {
      await a.context.close();
      await b.context.close();
    }
  });
});

describe("refused", () => {
  test("TLS 1.1 and TLS 1.2 ciphers without forward secrecy or AEAD; TLS 1.2 and 1.3 with modern ones pass", async () => {
    await assert.rejects(
      handshake({ minVersion: "TLSv1.1", maxVersion: "TLSv1.1", ciphers: "DEFAULT@SECLEVEL=0" }),
      (e) => /protocol version|unsupported protocol/i.test(`${e.code} ${e.message}`),
    );
    for (const ciphers of ["AES128-SHA", "AES256-GCM-SHA384", "ECDHE-ECDSA-AES128-SHA"])
      await assert.rejects(handshake({ maxVersion: "TLSv1.2", ciphers }), (e) => /handshake failure|no shared cipher/i.test(`${e.code} ${e.message}`), ciphers);
    assert.deepEqual(await handshake({ maxVersion: "TLSv1.2", ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256" }), {
      protocol: "TLSv1.2",
      cipher: "ECDHE-ECDSA-AES128-GCM-SHA256",
    });
    assert.equal((await handshake({})).protocol, "TLSv1.3");
  });

  test("plain HTTP on the TLS port gets no HTTP answer, and a broken handshake is counted", async () => {
    const before = (await metrics()).cohort_tls_handshake_failures_total;
    const r = await rawHttp(server.port, `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`);
    assert.ok(!/^HTTP\/1\.1 200/.test(r.text), `a plain request was answered: ${JSON.stringify(r.text.slice(0, 100))}`);
    // A ClientHello cut short, then silence: the node closes it at the handshake error.
    const garbage = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0xff]);
    await rawHttp(server.port, garbage);
    const after_ = (await metrics()).cohort_tls_handshake_failures_total;
    assert.ok(after_ >= before + 2, `handshake failures counted: ${before} → ${after_}`);
  });

  test("an Origin of the plain scheme is not the node's own under TLS", async () => {
    const attempt = (origin) =>
      new Promise((resolve) => {
        const ws = new TrustingWebSocket(`${server.wsUrl}/websocket?vsn=2.0.0`, [], { origin });
        ws.once("open", () => {
          ws.terminate();
          resolve("open");
        });
        ws.once("unexpected-response", (req, res) => {
          resolve(res.statusCode);
          req.destroy();
        });
        ws.once("error", () => {});
      });
    assert.equal(await withTimeout(attempt(`https://127.0.0.1:${server.port}`), WAIT_MS, "own origin"), "open");
    assert.equal(await withTimeout(attempt(`http://127.0.0.1:${server.port}`), WAIT_MS, "plain origin"), 403);
  });
});

describe("the redirect port", () => {
  test("answers plain HTTP with 308 to the same target on https://, after the Host check", async () => {
    const r = parseResponse(
      (await rawHttp(redirectPort, `GET /counter?step=5 HTTP/1.1\r\nHost: 127.0.0.1:${redirectPort}\r\nConnection: close\r\n\r\n`)).text,
    );
    assert.equal(r.status, 308);
    assert.equal(r.headers.location, `https://127.0.0.1:${server.port}/counter?step=5`);
    const followed = await httpsGet(r.headers.location);
    assert.equal(followed.status, 200);
    const foreign = parseResponse(
      (await rawHttp(redirectPort, "GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")).text,
    );
    assert.equal(foreign.status, 421);
    // A WebSocket attempt on the redirect port is redirected too, never upgraded.
    const ws = parseResponse(
      (await rawHttp(redirectPort, `GET /socket/websocket?vsn=2.0.0 HTTP/1.1\r\nHost: 127.0.0.1:${redirectPort}\r\n` +
        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")).text,
    );
    assert.equal(ws.status, 308);
  });
});
