// deploy.test.mjs — the deployment files docs/deploy.md shows are the ones that work: checked
// against the real binary, systemd's own verifier and a real nginx.
//
// deploy/cohort.service: every `--option` of its ExecStart is one of `cohort serve --help`, every
// COHORT_* it sets is a setting; `systemd-analyze verify` accepts it without a single warning
// (its binary path pointed at the built one); the node started with exactly its options and
// environment (port, admin port and data directory moved to the test's) serves, creates its
// secret 0600, and on SIGTERM closes WebSockets with 1001 and exits 0 well inside TimeoutStopSec.
//
// deploy/cluster.env (the unit's EnvironmentFile for a cluster): every key is a setting.
//
// deploy/nginx.conf: run in a real nginx in front of a real node, changed only where a test must
// (its listen lines on loopback test ports, a throwaway certificate, the upstream's port; each
// replaced line must be found exactly once, so the file cannot drift from what is tested). The
// official phoenix client connects through it (TLS, WebSocket upgrade); the node counts clients by
// the address nginx names only because it trusts the proxy, and a client's own forwarding
// headers change nothing; Host and Origin are still the node's to check; a bystander is served.
//
// Needs systemd-analyze and nginx (scripts/setup installs both): a machine without them fails
// here, saying so, rather than passing untested. nginx runs as one process (master_process off)
// from a temporary directory and is stopped by the test; it never binds anything but 127.0.0.1.
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import WebSocket from "ws";

import { bystander, ClientPool, deferred, push, uniq, WAIT_MS, withTimeout } from "../conformance/helpers.mjs";
import { cohortBin, freePort, startServer } from "../conformance/server.mjs";

const UNIT = "deploy/cohort.service";
const NGINX_CONF = "deploy/nginx.conf";
const PUBLIC_NAME = "cohort.example.com";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cohort-deploy-"));
const children = new Set();
process.on("exit", () => {
  for (const c of children) c.kill("SIGKILL");
  fs.rmSync(tmp, { recursive: true, force: true });
});

function need(command) {
  const found = spawnSync("sh", ["-c", `command -v ${command}`], { encoding: "utf8" });
  assert.equal(found.status, 0, `${command} is not installed: scripts/setup installs it (this test does not pass without it)`);
  return found.stdout.trim();
}

// ---- the unit --------------------------------------------------------------------------------

// The unit's [Service] settings: {key: [values]} (continuation lines joined).
function serviceSettings(text) {
  const out = {};
  let section = "";
  for (const line of text.replace(/\\\n/g, " ").split("\n")) {
    const s = line.trim();
    if (!s || s.startsWith("#")) continue;
    const head = /^\[(.+)\]$/.exec(s);
    if (head) {
      section = head[1];
      continue;
    }
    if (section !== "Service") continue;
    const eq = s.indexOf("=");
    (out[s.slice(0, eq)] ??= []).push(s.slice(eq + 1).trim());
  }
  return out;
}

const unitText = fs.readFileSync(UNIT, "utf8");
const service = serviceSettings(unitText);
const execStart = service.ExecStart[0].split(/\s+/);
const environment = Object.fromEntries(
  (service.Environment ?? []).flatMap((v) => v.split(/\s+/)).map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
);
const help = execFileSync(cohortBin(), ["serve", "--help"], { encoding: "utf8" });
const seconds = (v) => Number(/^(\d+)s?$/.exec(v)?.[1]);

describe("deploy/cohort.service", () => {
  test("its ExecStart runs `serve` with options of `cohort serve --help`, and sets only real settings", () => {
    assert.equal(execStart[1], "serve", `ExecStart runs ${execStart.slice(0, 2).join(" ")}`);
    const options = execStart.filter((a) => a.startsWith("--"));
    assert.ok(options.length >= 5, `ExecStart has ${options.length} options`);
    const known = new Set(help.match(/--[a-z][a-z0-9-]*/g));
    for (const o of options) assert.ok(known.has(o), `${UNIT}: ${o} is not an option of \`cohort serve --help\``);
    const envs = Object.keys(environment);
    assert.ok(envs.length >= 1, "the unit sets a COHORT_* variable");
    for (const e of envs) assert.ok(help.includes(`(${e},`), `${UNIT}: ${e} is not a setting of \`cohort serve --help\``);
  });

  test("deploy/cluster.env, its EnvironmentFile for a cluster, sets only real settings", () => {
    assert.ok(service.EnvironmentFile.some((f) => f.replace(/^-/, "") === "/etc/cohort/env"), "the unit reads /etc/cohort/env");
    const keys = fs.readFileSync("deploy/cluster.env", "utf8").split("\n").filter((l) => l.trim() && !l.startsWith("#"))
      .map((l) => l.slice(0, l.indexOf("=")));
    assert.ok(keys.includes("COHORT_CLUSTER") && keys.includes("COHORT_STORAGE"), `deploy/cluster.env sets ${keys}`);
    for (const k of keys) assert.ok(help.includes(`(${k},`), `deploy/cluster.env: ${k} is not a setting of \`cohort serve --help\``);
  });

  test("systemd-analyze verify accepts it without a warning", () => {
    const analyze = need("systemd-analyze");
    const copy = path.join(tmp, "cohort.service");
    assert.equal(unitText.split("/opt/cohort/bin/cohort serve").length, 2, "ExecStart names /opt/cohort/bin/cohort once");
    fs.writeFileSync(copy, unitText.replace("/opt/cohort/bin/cohort serve", `${path.resolve(cohortBin())} serve`));
    const r = spawnSync(analyze, ["verify", "--man=no", copy], { encoding: "utf8" });
    assert.equal(r.status, 0, `systemd-analyze verify failed:\n${r.stderr}`);
    assert.equal(r.stderr.trim(), "", `systemd-analyze verify warned:\n${r.stderr}`);
  });

  test("the node runs with its options and environment, and stops on SIGTERM inside TimeoutStopSec", async () => {
    const dataDir = path.join(tmp, "state");
    fs.mkdirSync(dataDir, { mode: 0o700 });
    const port = await freePort();
    const adminPort = await freePort();
    const moved = { "--port": String(port), "--admin-port": String(adminPort), "--data-dir": dataDir };
    const args = execStart.slice(1).map((a, i, all) => moved[all[i - 1]] ?? a);
    for (const flag of Object.keys(moved)) assert.ok(execStart.includes(flag), `ExecStart sets ${flag}`);
    const proc = spawn(cohortBin(), args, { env: { ...process.env, ...environment }, stdio: ["ignore", "pipe", "pipe"] });
    children.add(proc);
    let out = "";
    proc.stdout.setEncoding("utf8").on("data", (c) => (out += c));
    proc.stderr.setEncoding("utf8").on("data", (c) => (out += c));
    const exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
    const listening = deferred();
    proc.stdout.on("data", () => out.includes(`cohort listening on http://127.0.0.1:${port}`) && listening.resolve());
    await withTimeout(Promise.race([listening.promise, exited.then(() => assert.fail(`the node exited:\n${out}`))]), 10_000,
      `the node started with the unit's options:\n${out}`);
    assert.match(out, new RegExp(`cohort admin listening on http://127.0.0.1:${adminPort}`));
    assert.equal(fs.statSync(path.join(dataDir, "secret")).mode & 0o777, 0o600, "the secret is created 0600");

    // A browser-like client from the public origin, through the Host the proxy passes.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket/websocket?vsn=2.0.0`, {
      headers: { Host: PUBLIC_NAME }, origin: `https://${PUBLIC_NAME}` });
    await withTimeout(new Promise((resolve, reject) => ws.on("open", resolve).on("error", reject)), WAIT_MS, "a WebSocket to the node");
    const closed = new Promise((resolve) => ws.on("close", (code) => resolve(code)));

    const t0 = Date.now();
    proc.kill("SIGTERM");
    const stopLimit = seconds(service.TimeoutStopSec[0]) * 1000;
    const grace = Number(environment.COHORT_SHUTDOWN_GRACE_MS);
    assert.ok(grace > 0 && grace + 2000 < stopLimit, `shutdown_grace_ms ${grace} leaves room inside TimeoutStopSec ${stopLimit} ms`);
    assert.equal(await withTimeout(closed, stopLimit, "the WebSocket closed"), 1001, "clients are told the server is going away");
    const { code, signal } = await withTimeout(exited, stopLimit, `exit within TimeoutStopSec:\n${out}`);
    children.delete(proc);
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, out);
    assert.match(out, /cohort stopped/);
    console.log(`[deploy] SIGTERM to exit: ${Date.now() - t0} ms (TimeoutStopSec ${stopLimit} ms, shutdown_grace_ms ${grace})`);
  });
});

// ---- nginx -----------------------------------------------------------------------------------

// A config file (deploy/nginx.conf by default) with each line of `from` replaced by its value (null: removed). Each must be
// found exactly once, so a changed file is a failing test, not an untested one.
function adapted(text, from, file = NGINX_CONF) {
  let lines = text.split("\n");
  for (const [line, by] of Object.entries(from)) {
    const at = lines.flatMap((l, i) => (l.trim() === line ? [i] : []));
    assert.equal(at.length, 1, `${file}: the line \`${line}\` appears ${at.length} times`);
    const indent = /^\s*/.exec(lines[at[0]])[0];
    lines = by === null ? lines.filter((_, i) => i !== at[0]) : lines.map((l, i) => (i === at[0] ? indent + by : l));
  }
  return lines.join("\n");
}

// Resolves once something accepts TCP connections on 127.0.0.1:port (nginx says nothing when
// it is ready): one attempt after another fails, up to the deadline.
async function accepting(port, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.on("connect", () => (s.destroy(), resolve(true))).on("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what}: nothing accepts on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("deploy/nginx.conf in front of a node", () => {
  const pool = new ClientPool();
  let CA;
  let nginx;
  let node;
  let httpPort;
  let httpsPort;
  const nodeArgs = (trusted) => ["--public-url", `https://${PUBLIC_NAME}`, "--ip-max-connections", "1",
    ...(trusted ? ["--trusted-proxies", "127.0.0.1"] : [])];

  // A `ws` class for phoenix's transport: TLS to nginx trusting the throwaway certificate, from a
  // given loopback address, with the public name as Host and SNI.
  const through = (localAddress) => class ProxiedWebSocket extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols, { ca: CA, servername: PUBLIC_NAME, localAddress, headers: { Host: PUBLIC_NAME } });
    }
  };
  const proxied = { wsUrl: "" }; // the phoenix endpoint through nginx (set once its port is known)

  // One WebSocket upgrade through nginx: {status, ws?, body?}.
  function upgrade({ from = "127.0.0.2", path: p = "/socket/websocket?vsn=2.0.0", headers = {}, origin } = {}) {
    const ws = new WebSocket(`wss://127.0.0.1:${httpsPort}${p}`, {
      ca: CA, servername: PUBLIC_NAME, localAddress: from, headers: { Host: PUBLIC_NAME, ...headers }, origin });
    pool.track(() => ws.terminate());
    return withTimeout(new Promise((resolve, reject) => {
      ws.on("open", () => resolve({ status: 101, ws }));
      ws.on("unexpected-response", (_req, res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (c) => (body += c)).on("end", () => resolve({ status: res.statusCode, body }));
      });
      ws.on("error", reject);
    }), WAIT_MS, `an upgrade of ${p} through nginx from ${from}`);
  }

  before(async () => {
    const nginxBin = need("nginx");
    const dir = path.join(tmp, "nginx");
    fs.mkdirSync(dir);
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"), "-days", "1", "-subj", `/CN=${PUBLIC_NAME}`,
      "-addext", `subjectAltName=DNS:${PUBLIC_NAME}`,
    ], { stdio: "ignore" });
    CA = fs.readFileSync(path.join(dir, "cert.pem"));
    node = await startServer({ args: nodeArgs(true) });
    [httpPort, httpsPort] = [await freePort(), await freePort()];
    proxied.wsUrl = `wss://127.0.0.1:${httpsPort}/socket`;
    fs.writeFileSync(path.join(dir, "cohort.conf"), adapted(fs.readFileSync(NGINX_CONF, "utf8"), {
      "listen 80;": `listen 127.0.0.1:${httpPort};`,
      "listen [::]:80;": null,
      "listen 443 ssl;": `listen 127.0.0.1:${httpsPort} ssl;`,
      "listen [::]:443 ssl;": null,
      [`ssl_certificate     /etc/letsencrypt/live/${PUBLIC_NAME}/fullchain.pem;`]: `ssl_certificate ${dir}/cert.pem;`,
      [`ssl_certificate_key /etc/letsencrypt/live/${PUBLIC_NAME}/privkey.pem;`]: `ssl_certificate_key ${dir}/key.pem;`,
      "server 127.0.0.1:4000;": `server 127.0.0.1:${node.port};`,
    }));
    // The http block nginx's own nginx.conf would wrap it in, in the temporary directory.
    const temp = (name) => `${name}_temp_path ${dir}/${name};`;
    fs.writeFileSync(path.join(dir, "nginx.conf"), [
      "daemon off;", "master_process off;", `pid ${dir}/nginx.pid;`, `error_log ${dir}/error.log;`,
      "events { worker_connections 256; }",
      `http { access_log off; ${["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map(temp).join(" ")}`,
      `  include ${dir}/cohort.conf; }`, "",
    ].join("\n"));
    const argv = ["-p", dir, "-c", path.join(dir, "nginx.conf"), "-e", path.join(dir, "error.log")];
    const t = spawnSync(nginxBin, ["-t", ...argv], { encoding: "utf8" });
    assert.equal(t.status, 0, `nginx -t:\n${t.stderr}`);
    nginx = spawn(nginxBin, argv, { stdio: ["ignore", "ignore", "pipe"] });
    children.add(nginx);
    let stderr = "";
    nginx.stderr.setEncoding("utf8").on("data", (c) => (stderr += c));
    nginx.on("exit", () => children.delete(nginx));
    await accepting(httpsPort, `nginx (${stderr})`);
  });

  after(async () => {
    await pool.closeAll();
    if (nginx && children.has(nginx)) {
      const gone = new Promise((resolve) => nginx.on("exit", resolve));
      nginx.kill("SIGTERM");
      await withTimeout(gone, WAIT_MS, "nginx stopped");
    }
    await node?.stop();
  });

  test("plain HTTP is redirected to https://, and pages are served over TLS", async () => {
    const res = await new Promise((resolve, reject) => {
      const s = net.connect(httpPort, "127.0.0.1", () => s.write(`GET /counter?x=1 HTTP/1.1\r\nHost: ${PUBLIC_NAME}\r\nConnection: close\r\n\r\n`));
      let text = "";
      s.setEncoding("utf8").on("data", (c) => (text += c)).on("end", () => resolve(text)).on("error", reject);
    });
    assert.match(res, /^HTTP\/1\.1 308 /);
    assert.match(res, new RegExp(`\\r\\nLocation: https://${PUBLIC_NAME.replaceAll(".", "\\.")}/counter\\?x=1\\r\\n`));

    const page = await fetchThrough("/counter");
    assert.equal(page.status, 200);
    assert.match(page.body, /data-phx-session=/, "the live page, rendered by the node");
    assert.match(page.headers["content-security-policy"], new RegExp(`wss://${PUBLIC_NAME.replaceAll(".", "\\.")}`),
      "the node's CSP names the public wss:// origin (--public-url)");
  });

  // A GET through nginx over TLS: {status, headers, body}.
  async function fetchThrough(p) {
    const https = await import("node:https");
    return withTimeout(new Promise((resolve, reject) => {
      https.get({ host: "127.0.0.1", port: httpsPort, path: p, ca: CA, servername: PUBLIC_NAME, headers: { Host: PUBLIC_NAME } }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (c) => (body += c)).on("end", () => resolve({ status: res.statusCode, headers: res.headers, body }));
      }).on("error", reject);
    }), WAIT_MS, `GET ${p} through nginx`);
  }

  test("the phoenix client joins through it: /socket/websocket and /live/websocket are upgraded", async () => {
    const topic = uniq("room:proxied");
    const ann = await pool.joined(proxied, topic, { params: { user_id: "ann" }, socketOpts: { transport: through("127.0.0.2") } });
    const bob = await pool.joined(proxied, topic, { params: { user_id: "bob" }, socketOpts: { transport: through("127.0.0.3") } });
    const token = uniq("ping");
    assert.deepEqual(await push(ann.channel, "ping", { token }), { status: "ok", response: { token } });
    const heard = new Promise((resolve) => bob.channel.on("shout", resolve));
    ann.channel.push("shout", { text: "through nginx" });
    assert.equal((await withTimeout(heard, WAIT_MS, "bob hears ann's shout")).text, "through nginx");
    const live = await upgrade({ from: "127.0.0.4", path: "/live/websocket?vsn=2.0.0" });
    assert.equal(live.status, 101, `/live/websocket: ${live.body}`);
    live.ws.terminate();
    await pool.closeAll();
  });

  test("the node counts clients by the address nginx names, and a client's own forwarding headers change nothing", async () => {
    // --ip-max-connections 1: one WebSocket per client address.
    const watcher = await bystander(pool, proxied, undefined, { transport: through("127.0.0.3") });
    const first = await upgrade({ from: "127.0.0.2" });
    assert.equal(first.status, 101, first.body);
    for (const headers of [{}, { "X-Forwarded-For": "198.51.100.7" }, { Forwarded: "for=198.51.100.8" },
      { Forwarded: 'for="[2001:db8::1]"', "X-Forwarded-For": "198.51.100.9" }]) {
      const again = await upgrade({ from: "127.0.0.2", headers });
      assert.equal(again.status, 429, `a second WebSocket from 127.0.0.2 with ${JSON.stringify(headers)}: ${again.body}`);
      assert.match(again.body, /too many connections from your address/);
    }
    await watcher.check("after 127.0.0.2 was refused");
    const other = await upgrade({ from: "127.0.0.4" });
    assert.equal(other.status, 101, `another client address is its own: ${other.body}`);
    await pool.closeAll();
  });

  test("Host and Origin stay the node's to check behind the proxy", async () => {
    const watcher = await bystander(pool, proxied, undefined, { transport: through("127.0.0.3") });
    const rebound = await upgrade({ from: "127.0.0.5", headers: { Host: "evil.example" } });
    assert.equal(rebound.status, 421, `a foreign Host (DNS rebinding): ${rebound.body}`);
    const foreign = await upgrade({ from: "127.0.0.6", origin: "https://evil.example" });
    assert.equal(foreign.status, 403, `a page of another origin: ${foreign.body}`);
    assert.match(foreign.body, /may not open WebSockets here/);
    const own = await upgrade({ from: "127.0.0.7", origin: `https://${PUBLIC_NAME}` });
    assert.equal(own.status, 101, `the public origin (--public-url): ${own.body}`);
    await watcher.check("after the refusals");
    await pool.closeAll();
  });

  test("a node that does not trust the proxy takes every client for the proxy", async () => {
    await node.stop();
    node = await node.restart(nodeArgs(false));
    const first = await upgrade({ from: "127.0.0.2" });
    assert.equal(first.status, 101, first.body);
    const stranger = await upgrade({ from: "127.0.0.3" });
    assert.equal(stranger.status, 429, `another client, counted as nginx's 127.0.0.1: ${stranger.body}`);
    await pool.closeAll();
  });
});

// ---- logrotate -------------------------------------------------------------------------------

const LOGROTATE = "deploy/cohort.logrotate";

// Resolves with file's text once pred(text) holds (the log is written by its own thread).
async function untilFile(file, pred, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    if (pred(text)) return text;
    if (Date.now() > deadline) throw new Error(`${what}: not in ${file} after ${timeoutMs} ms:\n${text.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("deploy/cohort.logrotate", () => {
  test("a real logrotate moves a node's --log-file; SIGHUP from its postrotate makes the node write on in a new file", async () => {
    const logrotate = need("logrotate");
    const dir = fs.mkdtempSync(path.join(tmp, "logs-"));
    const logFile = path.join(dir, "cohort.log");
    const server = await startServer({ args: ["--log-file", logFile, "--access-log", "true"] });
    children.add(server.proc);
    try {
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
      await untilFile(logFile, (t) => t.includes('"/healthz"') || t.includes("path=/healthz"), "the first request's line");
      // The file as shipped, pointed at this node: its path, no `su` (the test's directory is
      // root's), and the signal sent straight to the node instead of through systemd.
      const conf = adapted(fs.readFileSync(LOGROTATE, "utf8"), {
        "/var/log/cohort/cohort.log {": `${logFile} {`,
        "su cohort cohort": null,
        "systemctl kill --signal=HUP cohort.service": `kill -HUP ${server.proc.pid}`,
      }, LOGROTATE);
      const confFile = path.join(dir, "logrotate.conf");
      fs.writeFileSync(confFile, conf, { mode: 0o644 });
      execFileSync(logrotate, ["--force", "--state", path.join(dir, "state"), confFile], { timeout: 30_000 });

      const moved = fs.readFileSync(`${logFile}.1`, "utf8");  // delaycompress: not compressed yet
      assert.match(moved, /healthz/, "the moved file holds the lines before the rotation");
      await untilFile(logFile, (t) => t.includes("log_reopened"), "the node reopening its log");
      assert.equal(fs.statSync(logFile).mode & 0o777 & ~0o640, 0, "the new file is at most 0640");
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200, "the node serves on after SIGHUP");
      await untilFile(logFile, (t) => t.includes("readyz"), "the next request's line in the new file");
      assert.doesNotMatch(fs.readFileSync(`${logFile}.1`, "utf8"), /readyz/, "nothing after the rotation in the moved file");
    } finally {
      await server.stop();
    }
  });
});
