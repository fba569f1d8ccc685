// longpoll.test.mjs — attacks on the LongPoll transport (docs/security.md, LongPoll), each
// against a real node, asserting the refusal (the status in the JSON body, or the HTTP status
// the parser answers) and that bystanders — a WebSocket client and a LongPoll client — are still
// served: a forged session token, another node's token, a foreign Origin, too many sessions
// from one address, an oversized POST, too many lines in one POST, a flood of messages, and
// sessions that never poll (the buffer bound, and the drop after 1.5 windows).
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { LongPoll } from "phoenix";

import { ClientPool, bystander, cast, push, uniq } from "../conformance/helpers.mjs";
import { startServer } from "../conformance/server.mjs";
import { metric, untilMetric } from "./limits_support.mjs";

const SECRET = "longpoll-security-test-secret-of-32-bytes-or-more";
const WINDOW_MS = 1000;

// A node (started by start) with two long-lived bystanders, one per transport, checked after
// every test: neither was closed, and both are still answered and hear broadcasts.
function nodeWithBystanders(start, use) {
  const longLived = new ClientPool();
  const pool = new ClientPool();
  let server;
  let watchers;
  before(async () => {
    server = await start();
    watchers = [await bystander(longLived, server), await bystander(longLived, server, undefined, { transport: LongPoll })];
    use(server, pool);
  });
  afterEach(async () => {
    await pool.closeAll();
    for (const w of watchers) await w.check();
  });
  after(async () => {
    await pool.closeAll();
    await longLived.closeAll();
    await server?.kill();
  });
}

// One LongPoll request (fresh connection each, so no keep-alive hides a refusal).
async function lpRequest(server, query, { method = "GET", headers = {}, body, path = "/socket/longpoll" } = {}) {
  const res = await fetch(`${server.url}${path}?${query}`, { method, headers: { Connection: "close", ...headers }, body });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}
const openSession = async (server, headers = {}) => {
  const r = await lpRequest(server, "vsn=2.0.0&", { headers });
  assert.equal(r.json?.status, 410, `a new session: ${r.text}`);
  return r.json.token;
};
const withToken = (token) => `vsn=2.0.0&token=${encodeURIComponent(token)}`;
const joinFrame = (topic, ref = "1") => JSON.stringify([ref, ref, topic, "phx_join", {}]);

describe("session tokens", () => {
  let server;
  let other;
  nodeWithBystanders(
    () => startServer({ admin: true, args: ["--secret", SECRET, "--longpoll-window-ms", String(WINDOW_MS)] }),
    (s) => (server = s),
  );
  before(async () => {
    other = await startServer({ args: ["--secret", SECRET] });
  });
  after(async () => other?.kill());

  test("a forged token (one byte of its MAC changed) is 410 on GET and POST, and opens nothing", async () => {
    const token = await openSession(server);
    const [claims, mac] = token.split(".");
    const forged = `${claims}.${mac[0] === "A" ? "B" : "A"}${mac.slice(1)}`;
    const open = await metric(server, "cohort_longpoll_sessions_open");
    for (const method of ["GET", "POST"]) {
      const r = await lpRequest(server, withToken(forged), { method, body: method === "POST" ? joinFrame("room:f") : undefined });
      assert.equal(r.status, 200);
      assert.equal(r.json.status, 410, `${method} with a forged token`);
      assert.equal(r.json.error, "invalid session token");
    }
    // A valid token with a byte appended, as the last of two token params (the first is the app's).
    const r = await lpRequest(server, `token=user&vsn=2.0.0&token=${encodeURIComponent(claims + "." + mac)}x`);
    assert.equal(r.json.status, 410);
    assert.equal(await metric(server, "cohort_longpoll_sessions_open"), open, "no session was opened for a forged token");
  });

  test("another node's token (same secret) is 410 there; the client then opens a session on that node", async () => {
    const token = await openSession(other);
    const r = await lpRequest(server, withToken(token));
    assert.equal(r.json.status, 410);
    assert.equal(r.json.error, "session of another node");
    const post = await lpRequest(server, withToken(token), { method: "POST", body: joinFrame("room:o") });
    assert.equal(post.json.status, 410);
    // The recovery the client makes: a new session here, which works.
    const mine = await openSession(server);
    const topic = uniq("room:o");
    assert.equal((await lpRequest(server, withToken(mine), { method: "POST", body: joinFrame(topic) })).json.status, 200);
    const poll = await lpRequest(server, withToken(mine));
    assert.deepEqual(JSON.parse(poll.json.messages[0]), ["1", "1", topic, "phx_reply", { status: "ok", response: {} }]);
  });
});

describe("origin, body size and lines", () => {
  let server;
  let pool;
  nodeWithBystanders(() => startServer({ args: ["--max-frame", "65536"] }), (s, p) => ((server = s), (pool = p)));

  test("a foreign Origin is refused (status 403) on GET, POST and OPTIONS, without CORS headers", async () => {
    const evil = { Origin: "http://evil.example" };
    for (const method of ["GET", "POST", "OPTIONS"]) {
      const r = await lpRequest(server, "vsn=2.0.0&", { method, headers: evil, body: method === "POST" ? "[]" : undefined });
      assert.equal(r.status, 200);
      assert.equal(r.json.status, 403, `${method} from a foreign origin: ${r.text}`);
      assert.equal(r.headers.get("access-control-allow-origin"), null, `${method}: no CORS grant`);
    }
    // The node's own origin gets the pre-flight answered.
    const own = await lpRequest(server, "vsn=2.0.0&", {
      method: "OPTIONS",
      headers: { Origin: server.url, "Access-Control-Request-Headers": "content-type" },
    });
    assert.equal(own.headers.get("access-control-allow-origin"), server.url);
    assert.match(own.headers.get("access-control-allow-methods"), /POST/);
  });

  test("a POST body over max_frame is refused 413 by the HTTP parser; the session still works", async () => {
    const token = await openSession(server);
    const big = `[${"\"x\",".repeat(40_000)}"x"]`;
    const r = await lpRequest(server, withToken(token), { method: "POST", body: big });
    assert.equal(r.status, 413);
    const topic = uniq("room:big");
    assert.equal((await lpRequest(server, withToken(token), { method: "POST", body: joinFrame(topic) })).json.status, 200);
  });

  test("more than 100 lines, or a line neither JSON nor base64, is status 400 and nothing is handled", async () => {
    const token = await openSession(server);
    const topic = uniq("room:lines");
    const lines = [joinFrame(topic), ...Array.from({ length: 100 }, (_, i) => JSON.stringify([null, String(i + 2), "phoenix", "heartbeat", {}]))];
    const many = await lpRequest(server, withToken(token), { method: "POST", body: lines.join("\n") });
    assert.equal(many.json.status, 400);
    assert.match(many.json.error, /more than 100/);
    const bad = await lpRequest(server, withToken(token), { method: "POST", body: `${joinFrame(topic)}\n%%%not base64%%%` });
    assert.equal(bad.json.status, 400);
    assert.match(bad.json.error, /line 2/);
    // Neither join ran: the next poll is empty (204 after the window).
    const poll = await lpRequest(server, withToken(token));
    assert.equal(poll.json.status, 204);
  });
});

describe("per-address sessions (--trusted-proxies 127.0.0.1 --ip-max-connections 3)", () => {
  let server;
  nodeWithBystanders(
    () =>
      startServer({
        admin: true,
        args: ["--trusted-proxies", "127.0.0.1", "--ip-max-connections", "3", "--longpoll-window-ms", String(WINDOW_MS)],
      }),
    (s) => (server = s),
  );

  test("a session counts as a connection: the fourth from one client is refused (403), and a slot frees when one drops", async () => {
    const client = { "X-Forwarded-For": "203.0.113.7" };
    const refusedBefore = await metric(server, "cohort_limit_refusals_total", "ip_connections");
    for (let i = 0; i < 3; i++) await openSession(server, client);
    const r = await lpRequest(server, "vsn=2.0.0&", { headers: client });
    assert.equal(r.json.status, 403);
    assert.match(r.json.error, /too many connections/);
    assert.equal(await metric(server, "cohort_limit_refusals_total", "ip_connections"), refusedBefore + 1);
    // Another client behind the same proxy is not affected.
    await openSession(server, { "X-Forwarded-For": "203.0.113.8" });
    // Nobody polls the three: they are dropped after 1.5 windows and the client may open again.
    const dropped = await metric(server, "cohort_longpoll_dropped_timeout_total");
    await untilMetric(server, "cohort_longpoll_dropped_timeout_total", null, (v) => v >= dropped + 3, "the unpolled sessions dropped", WINDOW_MS * 4);
    await openSession(server, client);
  });
});

describe("sessions that never poll, and floods", () => {
  let server;
  let pool;
  nodeWithBystanders(
    () =>
      startServer({
        admin: true,
        args: [
          "--max-frame", "4096", "--outbound-queue-limit", "16384", "--longpoll-window-ms", String(WINDOW_MS),
          "--socket-messages-per-s", "20", "--socket-message-burst", "20",
        ],
      }),
    (s, p) => ((server = s), (pool = p)),
  );

  test("a joined session nobody polls is closed when its buffer passes outbound_queue_limit; then 410", async () => {
    const token = await openSession(server);
    const topic = uniq("room:slow");
    assert.equal((await lpRequest(server, withToken(token), { method: "POST", body: joinFrame(topic) })).json.status, 200);
    const overflowBefore = await metric(server, "cohort_longpoll_dropped_overflow_total");
    const { channel } = await pool.joined(server, topic);
    const text = "y".repeat(1000);
    // 20 broadcasts of ~1 KB pass the 16 KiB bound well within one window.
    for (let i = 0; i < 20; i++) cast(channel, "shout", { i, text });
    await untilMetric(server, "cohort_longpoll_dropped_overflow_total", null, (v) => v === overflowBefore + 1, "the overflow close");
    const r = await lpRequest(server, withToken(token));
    assert.equal(r.json.status, 410, "the closed session answers 410");
    assert.ok((await metric(server, "cohort_limit_closes_total", "outbound_queue")) >= 1);
  });

  test("a flood past the message rate is refused rate_limited, then the session is closed (410)", async () => {
    const token = await openSession(server);
    const topic = uniq("room:flood");
    assert.equal((await lpRequest(server, withToken(token), { method: "POST", body: joinFrame(topic) })).json.status, 200);
    const closesBefore = await metric(server, "cohort_limit_closes_total", "socket_messages");
    // 40 pings a POST (within the 4 KiB body limit): 20 pass, 20 are refused, and the next one closes.
    const pings = (from) => Array.from({ length: 40 }, (_, i) => JSON.stringify(["1", String(from + i), topic, "ping", {}])).join("\n");
    for (let k = 0; k < 4; k++) {
      const r = await lpRequest(server, withToken(token), { method: "POST", body: pings(100 + k * 100) });
      if (r.json.status === 410) break;
      assert.equal(r.json.status, 200, r.text);
    }
    assert.equal(await metric(server, "cohort_limit_closes_total", "socket_messages"), closesBefore + 1);
    assert.equal((await lpRequest(server, withToken(token))).json.status, 410, "the flooding session is gone");
  });

  test("a joined session that never polls is dropped after 1.5 windows, then 410", async () => {
    const topic = uniq("room:idle");
    const token = await openSession(server);
    const post = await lpRequest(server, withToken(token), {
      method: "POST",
      body: JSON.stringify(["1", "1", topic, "phx_join", { user_id: "ghost" }]),
    });
    assert.equal(post.json.status, 200);
    const { channel } = await pool.joined(server, topic, { params: { user_id: "watcher" } });
    const { response } = await push(channel, "ping", {});
    assert.deepEqual(response, {});
    const dropped = await metric(server, "cohort_longpoll_dropped_timeout_total");
    await untilMetric(server, "cohort_longpoll_dropped_timeout_total", null, (v) => v >= dropped + 1, "the drop", WINDOW_MS * 4);
    const r = await lpRequest(server, withToken(token), { method: "POST", body: joinFrame(topic, "2") });
    assert.equal(r.json.status, 410);
  });
});
