// logging.test.mjs — the node's log (docs/operations.md, Logs) read from a real node: JSON lines
// with time/level/node/category/event, the start line's effective settings without the secret,
// levels and per-category levels (and their strict parsing at start), the access log of HTTP
// requests and WebSocket sessions, the rate limit of what a client can provoke (limit refusals
// and channel crashes, with a bystander still served), and --log-file reopened by SIGHUP after
// logrotate moved it.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, afterEach, describe, test } from "node:test";

import { deferred, withTimeout, WAIT_MS } from "./helpers.mjs";
import { runCommand, startServer } from "./server.mjs";
import { closePayload, httpRequest, OP, RawWebSocket } from "./wire.mjs";
import { rawGet } from "../security/limits_support.mjs";

const SECRET = `log-test-secret-${"s".repeat(24)}-do-not-print`;
const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const CATEGORIES = new Set(["node", "net", "channels", "presence", "live", "store", "storage", "cluster", "access"]);
const LEVELS = new Set(["trace", "debug", "info", "warn", "error"]);

const servers = [];
async function node(args) {
  const server = await startServer({ args: ["--secret", SECRET, ...args] });
  servers.push(server);
  return server;
}
after(async () => {
  for (const s of servers) await s.kill();
});

const held = [];
afterEach(() => {
  for (const s of held.splice(0)) s.destroy();
});

// Every line the node wrote to stderr, parsed: a line that is not a JSON object fails the test.
function jsonLines(text, where = "stderr") {
  return text
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => {
      let v;
      assert.doesNotThrow(() => (v = JSON.parse(l)), `a ${where} line that is not JSON: ${l}`);
      assert.equal(typeof v, "object", `a ${where} line that is not an object: ${l}`);
      return v;
    });
}
const logOf = (server) => jsonLines(server.output().stderr);

function assertShape(line) {
  const text = JSON.stringify(line);
  assert.match(line.time, RFC3339_MS, text);
  assert.ok(LEVELS.has(line.level), `level of ${text}`);
  assert.equal(typeof line.node, "string", text);
  assert.ok(line.node.length > 0, text);
  assert.ok(CATEGORIES.has(line.category), `category of ${text}`);
  assert.match(line.event, /^[a-z_]+$/, text);
  assert.deepEqual(Object.keys(line).slice(0, 5), ["time", "level", "node", "category", "event"], text);
}

// Resolves to the lines once pred(lines) holds, checked now and at each chunk the node writes.
function untilLog(server, pred, what, timeoutMs = WAIT_MS) {
  const d = deferred();
  const check = () => {
    const lines = logOf(server);
    if (pred(lines)) d.resolve(lines);
  };
  const onData = () => setImmediate(check); // after server.mjs appended the chunk
  server.proc.stderr.on("data", onData);
  check();
  return withTimeout(d.promise, timeoutMs, `${what}; stderr so far:\n${server.output().stderr.slice(-3000)}`)
    .finally(() => server.proc.stderr.off("data", onData));
}

// Resolves once pred(text of file) holds, checked now and at each change in its directory.
function untilFile(file, pred, what, timeoutMs = WAIT_MS) {
  const d = deferred();
  const read = () => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : null);
  const check = () => {
    const text = read();
    if (text !== null && pred(text)) d.resolve(text);
  };
  const watcher = fs.watch(path.dirname(file), () => check());
  check();
  return withTimeout(d.promise, timeoutMs, `${what}; ${file} holds:\n${(read() ?? "(no file)").slice(-3000)}`)
    .finally(() => watcher.close());
}

const event = (name) => (lines) => lines.find((l) => l.event === name);

describe("JSON lines (--log-format json)", () => {
  test("every line parses, with time/level/node/category/event; the start line has the effective settings, never the secret", async () => {
    const server = await node(["--log-format", "json", "--node-name", "log-test-node", "--max-frame", "65536"]);
    const lines = await untilLog(server, event("started"), "the started line");
    const started = event("started")(lines);
    for (const l of lines) assertShape(l);
    assert.equal(started.level, "info");
    assert.equal(started.category, "node");
    assert.equal(started.node, "log-test-node");
    assert.equal(started.listen, `http://127.0.0.1:${server.port}`);
    assert.equal(started.settings.max_frame, 65536, "the effective value of a flag");
    assert.equal(started.settings.outbound_queue_limit, 4194304, "a default");
    assert.equal(started.settings.log_format, "json");
    assert.equal(started.settings.secret, "(set)", "the secret is shown as set, not as itself");
    const { stdout, stderr } = server.output();
    assert.ok(!stderr.includes(SECRET) && !stdout.includes(SECRET), "the secret is never printed");
    assert.ok(!lines.some((l) => l.category === "access"), "no access lines unless --access-log");

    assert.deepEqual(await server.stop(), { code: 0, signal: null });
    const all = logOf(server);
    for (const l of all) assertShape(l);
    assert.equal(event("stop_requested")(all)?.reason, "SIGTERM");
    assert.equal(typeof event("stopped")(all)?.drain_ms, "number", JSON.stringify(all.slice(-3)));
  });

  test("--log-level warn hides info lines; an error still comes out", async () => {
    const server = await node(["--log-format", "json", "--log-level", "warn"]);
    const raw = await RawWebSocket.connect(server.port);
    held.push(raw.sock);
    raw.sendJson(["1", "1", "room:crash-me", "phx_join", {}]);
    raw.sendJson(["1", "2", "room:crash-me", "crash", {}]);
    const lines = await untilLog(server, event("channel_crashed"), "the channel_crashed line");
    const crashed = event("channel_crashed")(lines);
    assert.equal(crashed.level, "error");
    assert.equal(crashed.category, "channels");
    assert.equal(crashed.topic, "room:crash-me");
    for (const l of lines) assertShape(l);
    const quiet = lines.filter((l) => l.level === "info" || l.level === "debug" || l.level === "trace");
    assert.deepEqual(quiet, [], "no line below warn");
  });

  test("--log-levels: a category may be quieter than --log-level", async () => {
    const server = await node(["--log-format", "json", "--log-levels", "channels=off,node=info"]);
    await untilLog(server, event("started"), "the started line");
    const raw = await RawWebSocket.connect(server.port);
    held.push(raw.sock);
    raw.sendJson(["1", "1", "room:crash-quiet", "phx_join", {}]);
    raw.sendJson(["1", "2", "room:crash-quiet", "crash", {}]);
    for (;;) if ((await raw.nextJson(WAIT_MS, "the phx_error of the crash"))[3] === "phx_error") break;
    // The crash is answered; a later line of another category shows the log went on meanwhile.
    await rawGet(server.port, "/healthz");
    process.kill(server.proc.pid, "SIGHUP");
    const lines = await untilLog(server, event("log_reopened"), "the log_reopened line after the crash");
    assert.equal(event("channel_crashed")(lines), undefined, "channels=off silences the crash line");
  });
});

describe("bad log settings: the node refuses to start and says why", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cohort-log-refused-"));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const serve = (args) => runCommand(["serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", dir, ...args], { timeoutMs: 15_000 });

  for (const [args, why] of [
    [["--log-levels", "netwrk=debug"], /unknown log category 'netwrk'.*categories: node, net, channels/],
    [["--log-levels", "net=loud"], /unknown log level 'loud' for net/],
    [["--log-levels", "net"], /'net' is not CATEGORY=LEVEL/],
    [["--log-level", "verbose"], /unknown log level 'verbose'/],
    [["--log-format", "xml"], /'xml' is not a log format \(text or json\)/],
  ]) {
    test(`${args.join(" ")}`, async () => {
      const r = await serve(args);
      assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
      assert.match(r.stderr, why);
      assert.ok(!r.stdout.includes("listening"), "it never listened");
    });
  }

  test("a log file that cannot be opened", async () => {
    const r = await serve(["--log-file", path.join(dir, "no-such-dir", "cohort.log")]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /cannot open log file .*no-such-dir\/cohort\.log: No such file or directory/);
  });
});

describe("the access log (--access-log)", () => {
  test("a GET: method, path without the query string, status, bytes, duration, client", async () => {
    const server = await node(["--log-format", "json", "--access-log"]);
    const r = await httpRequest(`${server.url}/healthz?token=query-secret`);
    assert.equal(r.status, 200);
    const lines = await untilLog(server, (ls) => ls.some((l) => l.event === "request" && l.path === "/healthz"), "the request line");
    const line = lines.find((l) => l.event === "request" && l.path === "/healthz");
    assertShape(line);
    assert.equal(line.category, "access");
    assert.equal(line.method, "GET");
    assert.equal(line.status, 200);
    assert.ok(line.bytes > r.body.length, `bytes ${line.bytes} count the head and the body (${r.body.length})`);
    assert.equal(typeof line.duration_ms, "number");
    assert.equal(line.client, "127.0.0.1");
    assert.ok(!server.output().stderr.includes("query-secret"), "the query string is never logged");

    const missing = await httpRequest(`${server.url}/no/such/page`);
    assert.equal(missing.status, 404);
    await untilLog(server, (ls) => ls.some((l) => l.event === "request" && l.path === "/no/such/page" && l.status === 404),
                   "the 404's request line");
  });

  test("a WebSocket: session_open, then session_close with the client's close code; a server close says so", async () => {
    const server = await node(["--log-format", "json", "--access-log", "--max-frame", "4096"]);
    const byClient = await RawWebSocket.connect(server.port, { path: "/socket/websocket?vsn=2.0.0&token=ws-secret" });
    held.push(byClient.sock);
    await untilLog(server, (ls) => ls.some((l) => l.event === "session_open" && l.transport === "websocket"), "session_open");
    // Three messages in (a join, two pings), and the bytes of every frame out until the last reply
    // (2-byte headers: each is under 126 bytes).
    const sent = [["1", "1", "room:access-counts", "phx_join", {}], ["1", "2", "room:access-counts", "ping", { n: 1 }],
                  ["1", "3", "room:access-counts", "ping", { n: 2 }]];
    for (const m of sent) byClient.sendJson(m);
    let bytesOut = 0;
    for (let last; last?.[1] !== "3";) {
      last = await byClient.nextJson(WAIT_MS, "the second ping's reply");
      bytesOut += 2 + Buffer.byteLength(JSON.stringify(last));
    }
    byClient.send(OP.close, closePayload(4321, "bye"));
    await byClient.waitEnded();
    let lines = await untilLog(server, (ls) => ls.some((l) => l.event === "session_close" && l.code === 4321),
                               "session_close with code 4321");
    const open = lines.find((l) => l.event === "session_open");
    const closed = lines.find((l) => l.event === "session_close" && l.code === 4321);
    for (const l of [open, closed]) {
      assertShape(l);
      assert.equal(l.category, "access");
      assert.equal(l.transport, "websocket");
      assert.equal(l.path, "/socket/websocket");
      assert.equal(l.client, "127.0.0.1");
    }
    assert.equal(closed.closed_by, "client");
    assert.equal(typeof closed.duration_ms, "number");
    assert.equal(closed.messages_in, 3, JSON.stringify(closed));
    assert.equal(closed.bytes_in, sent.reduce((n, m) => n + Buffer.byteLength(JSON.stringify(m)), 0), JSON.stringify(closed));
    assert.equal(closed.bytes_out, bytesOut, JSON.stringify(closed));
    assert.ok(!server.output().stderr.includes("ws-secret"), "the token in the query is never logged");

    // Too big a frame: the node closes with 1009.
    const tooBig = await RawWebSocket.connect(server.port);
    held.push(tooBig.sock);
    tooBig.send(OP.text, Buffer.alloc(8192, 0x61));
    assert.equal((await tooBig.closed()).code, 1009);
    lines = await untilLog(server, (ls) => ls.some((l) => l.event === "session_close" && l.code === 1009), "session_close 1009");
    assert.equal(lines.find((l) => l.event === "session_close" && l.code === 1009).closed_by, "server");
  });
});

describe("a flood of limit refusals is rate-limited (--log-limit-per-s 3)", () => {
  test("60 connections past --ip-max-connections: at most 3 lines a second, the rest summed in lines_suppressed; a bystander is served", async () => {
    const LIMIT = 3;
    const FLOOD = 60;
    const server = await node(["--log-format", "json", "--ip-max-connections", "4", "--log-limit-per-s", String(LIMIT)]);
    await untilLog(server, event("started"), "the started line");
    for (let i = 0; i < 4; i++) {
      const r = await rawGet(server.port, "/healthz"); // kept alive: holds one of the 4 slots
      held.push(r.sock);
      assert.equal(r.status, 200);
    }
    const started = Date.now();
    const refused = await Promise.all(Array.from({ length: FLOOD }, () => rawGet(server.port, "/healthz")));
    for (const r of refused) held.push(r.sock);
    assert.deepEqual(refused.map((r) => r.status), Array(FLOOD).fill(429));
    const bystander = await rawGet(server.port, "/healthz", { localAddress: "127.0.0.2" });
    held.push(bystander.sock);
    assert.equal(bystander.status, 200, "a client from another address is served during the flood");

    const isRefusal = (l) => l.event === "limit_refused" && l.limit === "ip_connections";
    const isSummary = (l) => l.event === "lines_suppressed" && l.of_event === "limit_refused" && l.of_kind === "ip_connections";
    const accounted = (ls) => ls.filter(isRefusal).length + ls.filter(isSummary).reduce((n, l) => n + l.count, 0);
    const lines = await untilLog(server, (ls) => accounted(ls) >= FLOOD, `${FLOOD} refusals logged or summed`, 10_000);
    const elapsedS = (Date.now() - started) / 1000;
    const logged = lines.filter(isRefusal);
    const summaries = lines.filter(isSummary);
    for (const l of [...logged, ...summaries]) assertShape(l);
    assert.equal(accounted(lines), FLOOD, "every refusal is a line or counted in a summary, once");
    const windows = Math.ceil(elapsedS) + 1;
    assert.ok(logged.length >= 1 && logged.length <= LIMIT * windows,
              `${logged.length} refusal lines in ${elapsedS.toFixed(1)} s (at most ${LIMIT} in each of ${windows} windows)`);
    assert.ok(summaries.length >= 1, "a summary says how many were left out");
    assert.equal(logged[0].client, "127.0.0.1");
    assert.equal(logged[0].level, "info");
    assert.equal(logged[0].category, "net");
    console.log(`[logging] ${FLOOD} refusals in ${elapsedS.toFixed(2)} s: ${logged.length} lines + ${summaries.length} summaries (${summaries.map((s) => s.count).join(", ")})`);
  });
});

describe("a flood of channel crashes is rate-limited (--log-limit-per-s 3)", () => {
  test("40 crashes a client provokes: at most 3 channel_crashed lines a second, the rest summed; a bystander is served", async () => {
    const LIMIT = 3;
    const CRASHES = 40;
    const server = await node(["--log-format", "json", "--log-limit-per-s", String(LIMIT)]);
    await untilLog(server, event("started"), "the started line");
    const raw = await RawWebSocket.connect(server.port);
    held.push(raw.sock);
    const started = Date.now();
    for (let i = 0; i < CRASHES; i++) {
      const topic = `room:crash-flood-${i}`;
      raw.sendJson([`${i}-j`, `${i}-j`, topic, "phx_join", {}]);
      raw.sendJson([`${i}-j`, `${i}-c`, topic, "crash", {}]);
    }
    for (let errors = 0; errors < CRASHES;) if ((await raw.nextJson(WAIT_MS, "the phx_error of every crash"))[3] === "phx_error") errors++;
    const bystander = await RawWebSocket.connect(server.port);
    held.push(bystander.sock);
    bystander.sendJson(["1", "1", "room:crash-bystander", "phx_join", {}]);
    const joined = await bystander.nextJson(WAIT_MS, "the bystander's join reply");
    assert.equal(joined[4].status, "ok", "a bystander joins after the flood");

    const isCrash = (l) => l.event === "channel_crashed";
    const isSummary = (l) => l.event === "lines_suppressed" && l.of_event === "channel_crashed";
    const accounted = (ls) => ls.filter(isCrash).length + ls.filter(isSummary).reduce((n, l) => n + l.count, 0);
    const lines = await untilLog(server, (ls) => accounted(ls) >= CRASHES, `${CRASHES} crashes logged or summed`, 10_000);
    const elapsedS = (Date.now() - started) / 1000;
    const logged = lines.filter(isCrash);
    for (const l of [...logged, ...lines.filter(isSummary)]) assertShape(l);
    assert.equal(accounted(lines), CRASHES, "every crash is a line or counted in a summary, once");
    const windows = Math.ceil(elapsedS) + 1;
    assert.ok(logged.length >= 1 && logged.length <= LIMIT * windows,
              `${logged.length} crash lines in ${elapsedS.toFixed(1)} s (at most ${LIMIT} in each of ${windows} windows)`);
    assert.equal(logged[0].level, "error");
    assert.equal(logged[0].in_event, "crash");
  });
});

describe("--log-file and SIGHUP (logrotate)", () => {
  test("the file is created 0640; after a rename, SIGHUP makes a new file that receives the later lines", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cohort-logfile-"));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "cohort.log");
    const server = await node(["--log-format", "json", "--access-log", "--log-file", file]);
    await untilFile(file, (t) => t.includes('"event":"started"'), "the started line in the file");
    assert.equal(fs.statSync(file).mode & 0o777, 0o640 & ~process.umask(), "mode 0640 (less what the umask takes)");

    const rotated = `${file}.1`;
    fs.renameSync(file, rotated);
    assert.equal((await httpRequest(`${server.url}/healthz?before-hup`)).status, 200);
    await untilFile(rotated, (t) => t.includes('"path":"/healthz"'), "a line written to the moved file before SIGHUP");

    process.kill(server.proc.pid, "SIGHUP");
    await untilFile(file, (t) => t.includes('"event":"log_reopened"'), "a new file with the log_reopened line");
    assert.ok(server.isRunning(), "SIGHUP does not stop the node");
    assert.equal((await httpRequest(`${server.url}/no-such-page-after-hup`)).status, 404);
    const fresh = await untilFile(file, (t) => t.includes('"path":"/no-such-page-after-hup"'), "the later request in the new file");
    for (const l of jsonLines(fresh, file)) assertShape(l);
    assert.ok(!fs.readFileSync(rotated, "utf8").includes("/no-such-page-after-hup"), "the moved file gets no later line");
    for (const l of jsonLines(fs.readFileSync(rotated, "utf8"), rotated)) assertShape(l);
    assert.equal(server.output().stderr, "", "with --log-file nothing goes to stderr");
  });
});
