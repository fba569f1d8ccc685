// routes.test.mjs — one URL decoding path and whole-segment routes, against a real node.
//
// Every request path is percent-decoded once (a malformed escape is a 400 before any route
// runs) and routes match whole segments with the same ":name" syntax everywhere. The broadcast
// API is the case in point: its topic is decoded, so "room%3Alobby" reaches room:lobby, and a
// store topic or a reserved event is refused however it is spelled. Operator routes live on the
// admin listener only. After each test a phoenix client (the bystander) proves the node still
// serves its other clients.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { bystander, ClientPool, deferred, uniq, WAIT_MS, withTimeout } from "../conformance/helpers.mjs";
import { startServer } from "../conformance/server.mjs";
import { bearer } from "../conformance/tokens.mjs";
import { assertRefused, exchange, nodeWithBystander, upgrade } from "./net_support.mjs";

let server;
let watcher;
const pool = new ClientPool();
nodeWithBystander(pool, () => startServer({ admin: true }), (s, w) => {
  server = s;
  watcher = w;
});

// With an API token that may publish anywhere: what is refused here is refused for its route.
const post = (target, payload = { body: "hi" }) =>
  exchange(server.port, `POST ${target}`, {
    body: JSON.stringify(payload),
    headers: { "Content-Type": "application/json", Authorization: bearer(server, ["publish"]).authorization },
  });

// A client joined on topic that records its "shout" events.
async function listener(topic) {
  const { channel } = await pool.joined(server, topic);
  const heard = [];
  const waiters = [];
  channel.on("shout", (p) => {
    heard.push(p);
    for (const w of waiters.splice(0)) w.resolve(p);
  });
  return {
    heard,
    next() {
      const d = deferred();
      waiters.push(d);
      return withTimeout(d.promise, WAIT_MS, `a shout on ${topic}`);
    },
  };
}

describe("the broadcast API decodes its topic", () => {
  test("POST /api/broadcast/room%3Alobby reaches room:lobby (it used to answer ok and deliver nothing)", async () => {
    const topic = uniq("room:lobby");
    const room = await listener(topic);
    const got = room.next();
    const r = await post(`/api/broadcast/${encodeURIComponent(topic)}`, { payload: { n: 1 } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { ok: true });
    assert.deepEqual(await got, { n: 1 });
  });

  test("an encoded slash stays inside the topic", async () => {
    const topic = `${uniq("room:a")}/b`;
    const room = await listener(topic);
    const got = room.next();
    assert.equal((await post(`/api/broadcast/${topic.replace("/", "%2F")}`, { payload: { n: 2 } })).status, 200);
    assert.deepEqual(await got, { n: 2 });
    // Unencoded, the slash makes a second segment: no route.
    assertRefused(await post(`/api/broadcast/${topic}`), 404, "a topic split over two segments");
  });

  test("store topics are refused however they are spelled", async () => {
    for (const spelled of ["store:doc:1", "store%3Adoc%3A1", "%73tore%3adoc%3a1", "store%3Adoc:1", "%73%74%6f%72%65:doc:1"]) {
      const r = await post(`/api/broadcast/${spelled}`);
      assertRefused(r, 403, `POST /api/broadcast/${spelled}`);
      assert.match(r.json.error, /store/);
    }
  });

  test("reserved events are refused however they are spelled", async () => {
    const topic = uniq("room:reserved");
    const room = await listener(topic);
    for (const event of ["phx_reply", "phx%5Freply", "%70hx_close", "presence_diff", "presence%5Fstate"]) {
      const r = await post(`/api/broadcast/${topic}?event=${event}`);
      assertRefused(r, 403, `event=${event}`);
      assert.match(r.json.error, /reserved/);
    }
    // Nothing reached the room; a plain shout after them does.
    const got = room.next();
    assert.equal((await post(`/api/broadcast/${topic}`, { payload: { after: true } })).status, 200);
    assert.deepEqual(await got, { after: true });
    assert.equal(room.heard.length, 1);
  });
});

describe("routes match whole segments", () => {
  test("a route's prefix is not a route: /apiary, /healthzz, /api/broadcast are 404", async () => {
    for (const target of ["/apiary", "/api", "/api/broadcast", "/api/broadcast/", "/api/broadcastx/room:a"])
      assertRefused(await post(target), 404, `POST ${target}`);
    for (const target of ["/healthzz", "/healthz/x", "/signinx", "/assets/vendor/phoenix.min.js/x", "/counter/x"])
      assert.equal((await exchange(server.port, `GET ${target}`)).status, 404, `GET ${target}`);
  });

  test("segments are compared decoded, and empty segments do not count", async () => {
    for (const target of ["/healthz", "/healthz/", "//healthz", "/health%7A", "/%68ealthz"]) {
      const r = await exchange(server.port, `GET ${target}`);
      assert.equal(r.status, 200, `GET ${target}`);
      assert.deepEqual(r.json, { ok: true });
    }
    assert.equal((await exchange(server.port, "GET /assets/vendor/phoenix%2Emin.js")).status, 200);
  });

  test("a malformed escape is 400 before any route runs, on every kind of route", async () => {
    for (const [line, what] of [
      ["GET /%zz", "static"],
      ["GET /healthz%", "a route"],
      ["GET /counter%2", "a live view"],
      ["POST /api/broadcast/room%3", "the broadcast API"],
      ["GET /socket/websocket%G0?vsn=2.0.0", "the socket path"],
    ])
      assertRefused(await exchange(server.port, line), 400, `${line} (${what})`);
    assertRefused(await exchange(server.port, "GET /healthz%00"), 400, "a NUL in the path");
  });

  test("WebSocket upgrade paths match by segments too", async () => {
    assert.equal((await upgrade(server.port, { path: "/socket/websocket?vsn=2.0.0" })).status, 101);
    assert.equal((await upgrade(server.port, { path: "//socket/websocket/?vsn=2.0.0" })).status, 101);
    assertRefused(await upgrade(server.port, { path: "/socket/websocketx?vsn=2.0.0" }), 404, "a longer last segment");
    assertRefused(await upgrade(server.port, { path: "/socket/websocket/x?vsn=2.0.0" }), 404, "an extra segment");
  });
});

describe("operator routes: the admin listener, or the main port with an API token", () => {
  test("the main port answers /metrics and /metrics/live 401 without a token, however spelled", async () => {
    for (const target of ["/metrics", "/metrics/live", "/%6Detrics"]) {
      const r = await exchange(server.port, `GET ${target}`);
      assertRefused(r, 401, `GET ${target} on the main port`);
      assert.ok(!r.text.includes("cohort_websockets_open"));
    }
  });

  // The admin dashboard's own (Cohort's page assets, /admin, /admin/status, the /live socket) are
  // tested in security_admin.
  test("the admin port serves /metrics, /metrics/live and /healthz, and nothing of the app", async () => {
    const admin = Number(new URL(server.adminUrl).port);
    const metrics = await exchange(admin, "GET /metrics");
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^cohort_websockets_open [1-9]/m, "the bystander's socket is counted");
    const live = await exchange(admin, "GET /metrics/live");
    assert.equal(live.status, 200);
    assert.equal(typeof live.json.renders, "number");
    assert.equal((await exchange(admin, "GET /healthz")).status, 200);
    for (const line of ["GET /", "GET /counter", "GET /index.html", "GET /js-counter.html", "POST /api/broadcast/room:a"])
      assertRefused(await exchange(admin, line), 404, `${line} on the admin port`);
    assertRefused(await upgrade(admin, {}), 404, "a WebSocket on the admin port");
  });
});
