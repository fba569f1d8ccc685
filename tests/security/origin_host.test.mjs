// origin_host.test.mjs — the Host check (DNS rebinding) and the Origin check of WebSocket
// upgrades (Phoenix's check_origin), against real nodes, raw requests and real Chromium.
//
// A node answers a request only when its Host names the node (an IP literal, localhost, the
// --public-url host, --allowed-hosts): otherwise 421, or 400 when the Host is missing or
// malformed. A WebSocket upgrade with an Origin is accepted only from the request's own origin,
// --public-url's, or --allowed-origins (wildcards allowed); otherwise 403. No Origin (non-browser
// clients) passes. Chromium plays the attacker twice: a page whose name rebinds to the node
// (--host-resolver-rules), and a page of another origin opening a WebSocket to the node.
// Each test ends by checking a phoenix client (the bystander) is still served.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import { describe, test } from "node:test";
import { Socket } from "phoenix";
import WebSocket from "ws";

import { launchBrowser, WAIT_MS as PAGE_WAIT_MS } from "../browser/browser.mjs";
import { bystander, ClientPool, deferred, uniq, WAIT_MS, withTimeout } from "../conformance/helpers.mjs";
import { cohortBin, startServer } from "../conformance/server.mjs";
import { bearer } from "../conformance/tokens.mjs";
import { assertRefused, exchange, nodeWithBystander, upgrade } from "./net_support.mjs";

const browser = await launchBrowser(["--host-resolver-rules=MAP rebind.test 127.0.0.1, MAP attacker.test 127.0.0.1"]);

let server; // defaults: no public URL, no allowed lists, check_origin on
let watcher;
const pool = new ClientPool();
nodeWithBystander(pool, () => startServer(), (s, w) => {
  server = s;
  watcher = w;
});

describe("Host", () => {
  test("a foreign Host is refused 421 on every kind of request", async () => {
    const port = server.port;
    for (const host of ["evil.example", `evil.example:${port}`, "rebind.test", "127.0.0.1.nip.io", "localhost.evil.example"]) {
      for (const line of ["GET /healthz", "GET /counter", "GET /assets/cohort.css", "GET /assets/vendor/phoenix.min.js"]) {
        const r = await exchange(port, line, { host });
        assertRefused(r, 421, `${line} with Host ${host}`);
        assert.match(r.json.error, /not served here/);
      }
      assertRefused(await upgrade(port, { host }), 421, `a WebSocket upgrade with Host ${host}`);
    }
  });

  test("a broadcast with a foreign Host is refused and delivers nothing", async () => {
    const topic = uniq("room:host");
    const { channel } = await pool.joined(server, topic);
    const heard = [];
    channel.on("shout", (p) => heard.push(p));
    const body = JSON.stringify({ payload: { forged: true } });
    const r = await exchange(server.port, `POST /api/broadcast/${topic}`, {
      host: "evil.example",
      body,
      headers: { "Content-Type": "application/json", ...bearer(server, ["publish"]) },
    });
    assertRefused(r, 421, "POST with Host evil.example");
    // The same request with the node's own Host is delivered, and it is the only one that is.
    const got = deferred();
    channel.on("shout", (p) => got.resolve(p));
    const ok = await exchange(server.port, `POST /api/broadcast/${topic}`, {
      body: JSON.stringify({ payload: { n: 1 } }),
      headers: bearer(server, ["publish"]),
    });
    assert.equal(ok.status, 200);
    assert.deepEqual(await withTimeout(got.promise, WAIT_MS, "the legitimate broadcast"), { n: 1 });
    assert.deepEqual(heard, [{ n: 1 }]);
  });

  test("a missing or malformed Host is 400", async () => {
    assertRefused(await exchange(server.port, "GET /healthz", { host: null }), 400, "no Host");
    for (const host of ["a b", "[::1", "evil.example:99999", "a@b", "x:y"])
      assertRefused(await exchange(server.port, "GET /healthz", { host }), 400, `Host ${JSON.stringify(host)}`);
  });

  test("the node's own names are answered: IP literals and localhost, any port", async () => {
    const port = server.port;
    for (const host of [`127.0.0.1:${port}`, "127.0.0.1", `localhost:${port}`, "LOCALHOST", `[::1]:${port}`, "10.0.0.7:80"]) {
      const r = await exchange(port, "GET /healthz", { host });
      assert.equal(r.status, 200, `Host ${host}: ${r.text.slice(0, 200)}`);
    }
  });

  test("Chromium on a name that rebinds to the node gets 421, on the page and on its fetches", async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const response = await page.goto(`http://rebind.test:${server.port}/counter`);
      assert.equal(response.status(), 421);
      const fetched = await page.evaluate(async () => {
        const r = await fetch("/healthz");
        return { status: r.status, body: await r.text() };
      });
      assert.equal(fetched.status, 421);
      assert.match(fetched.body, /not served here/);
      // The same browser on the node's own address gets the page.
      const own = await page.goto(`http://127.0.0.1:${server.port}/counter`);
      assert.equal(own.status(), 200);
    } finally {
      await context.close();
    }
  });
});

describe("Origin of WebSocket upgrades", () => {
  test("no Origin (non-browser clients) and the node's own origin are accepted", async () => {
    const port = server.port;
    assert.equal((await upgrade(port, {})).status, 101, "no Origin");
    assert.equal((await upgrade(port, { origin: `http://127.0.0.1:${port}` })).status, 101, "own origin");
    assert.equal((await upgrade(port, { origin: `http://localhost:${port}`, host: `localhost:${port}` })).status, 101);
  });

  test("any other Origin is refused 403", async () => {
    const port = server.port;
    for (const [origin, host] of [
      ["http://evil.example", undefined],
      [`http://127.0.0.1:${port + 1}`, undefined], // another site on the same machine
      [`https://127.0.0.1:${port}`, undefined], // another scheme
      [`http://localhost:${port}`, undefined], // not the origin this request came to
      ["null", undefined], // sandboxed frames, file: pages
      ["garbage", undefined],
      [`http://evil.example:${port}`, undefined],
    ]) {
      const r = await upgrade(port, { origin, host });
      assertRefused(r, 403, `Origin ${origin}`);
      assert.match(r.json.error, /may not open WebSockets/);
    }
  });

  test("the official phoenix client sending a foreign Origin cannot connect", async () => {
    class ForeignOrigin extends WebSocket {
      constructor(url, protocols) {
        super(url, protocols, { origin: "http://evil.example" });
      }
    }
    const socket = new Socket(server.wsUrl, { transport: ForeignOrigin, reconnectAfterMs: () => 60_000 });
    pool.sockets.push(socket);
    const errored = deferred();
    socket.onError(() => errored.resolve());
    socket.onOpen(() => errored.reject(new Error("a foreign origin opened the socket")));
    socket.connect();
    await withTimeout(errored.promise, WAIT_MS, "the refused connection's error");
    assert.equal(socket.isConnected(), false);
  });

  test("a page of another origin in Chromium cannot open a WebSocket to the node", async () => {
    // The attacker's page, served by a server of the test on another port.
    const attacker = http.createServer((req, res) => {
      res.writeHead(200, { "Content-Type": "text/html" });
      res.end("<!DOCTYPE html><title>attacker</title>");
    });
    await new Promise((resolve) => attacker.listen(0, "127.0.0.1", resolve));
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      page.setDefaultTimeout(PAGE_WAIT_MS);
      // Attempt it from an IP-literal origin and from a named one.
      for (const origin of [`http://127.0.0.1:${attacker.address().port}`, `http://attacker.test:${attacker.address().port}`]) {
        await page.goto(`${origin}/`);
        const outcome = await page.evaluate(
          (url) =>
            new Promise((resolve) => {
              const ws = new WebSocket(url);
              ws.onopen = () => resolve("open");
              ws.onclose = (e) => resolve(`closed ${e.code}`);
            }),
          `ws://127.0.0.1:${server.port}/socket/websocket?vsn=2.0.0`,
        );
        assert.equal(outcome, "closed 1006", `from ${origin}: the handshake must fail`);
      }
      // The node's own page opens the same WebSocket.
      await page.goto(`${server.url}/healthz`);
      const own = await page.evaluate(
        (url) =>
          new Promise((resolve) => {
            const ws = new WebSocket(url);
            ws.onopen = () => {
              resolve("open");
              ws.close();
            };
            ws.onclose = (e) => resolve(`closed ${e.code}`);
          }),
        `ws://127.0.0.1:${server.port}/socket/websocket?vsn=2.0.0`,
      );
      assert.equal(own, "open");
    } finally {
      await context.close();
      await new Promise((resolve) => attacker.close(resolve));
    }
  });
});

describe("settings", () => {
  test("--public-url, --allowed-hosts and --allowed-origins (with wildcards) widen the checks, and only so far", async () => {
    const node = await startServer({
      args: [
        "--public-url", "https://cohort.example.com",
        "--allowed-hosts", "cohort.test, *.example.org",
        "--allowed-origins", "https://*.example.org,http://dev.example.net:3000",
      ],
    });
    try {
      for (const host of ["cohort.example.com", "cohort.example.com:443", "cohort.test:1234", "a.example.org", "a.b.example.org"])
        assert.equal((await exchange(node.port, "GET /healthz", { host })).status, 200, `Host ${host}`);
      for (const host of ["example.org", "evil.example", "cohort.example.com.evil.example", "xexample.org"])
        assertRefused(await exchange(node.port, "GET /healthz", { host }), 421, `Host ${host}`);
      for (const origin of ["https://cohort.example.com", "https://app.example.org", "https://a.b.example.org", "http://dev.example.net:3000"])
        assert.equal((await upgrade(node.port, { origin })).status, 101, `Origin ${origin}`);
      for (const origin of ["https://example.org", "http://app.example.org", "https://app.example.org:8443", "http://cohort.example.com",
                            "http://dev.example.net", "https://evil.example"])
        assertRefused(await upgrade(node.port, { origin }), 403, `Origin ${origin}`);
      // A bystander on this node too.
      const local = await bystander(pool, node);
      await local.check("on the node with wider settings");
    } finally {
      await pool.closeAll();
      await node.kill();
    }
  });

  test("--check-origin false accepts any Origin (development), the Host check stays", async () => {
    const node = await startServer({ args: ["--check-origin", "false"] });
    try {
      assert.equal((await upgrade(node.port, { origin: "http://evil.example" })).status, 101);
      assertRefused(await upgrade(node.port, { origin: "http://evil.example", host: "evil.example" }), 421, "a foreign Host");
    } finally {
      await node.kill();
    }
  });

  test("malformed lists stop the node at start with a message naming the setting", async () => {
    for (const [args, says] of [
      [["--allowed-origins", "example.org"], /allowed_origins entry 'example.org'/],
      [["--allowed-hosts", "bad host"], /allowed_hosts entry 'bad host'/],
    ]) {
      await assert.rejects(startServerFresh(args), says);
    }
  });
});

// startServer() remembers its first failure and refuses later starts; these starts are meant to
// fail, so they go through a child of their own.
async function startServerFresh(args) {
  const proc = spawn(cohortBin(), ["serve", "--port", "0", "--data-dir", "/nonexistent-cohort-dir", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  proc.stderr.setEncoding("utf8").on("data", (c) => (stderr += c));
  const code = await withTimeout(new Promise((resolve) => proc.on("exit", resolve)), WAIT_MS, "the refused start to exit");
  assert.equal(code, 2, "bad options exit 2");
  throw new Error(stderr);
}
