// admin.test.mjs — the operator's dashboard and status are not public, against a real node:
// on the main port GET /admin is 403 without a visitor of role admin (none, a plain visitor, a
// moderator, a forged or expired admin cookie) and GET /admin/status is 401/403 without an API
// token of role metrics; the admin listener serves both as is and no other static file. The
// node status topic (cohort:node_status) cannot be joined by a client, whatever the socket's
// patterns, nor broadcast to through the HTTP API. A page session the admin listener issued (it
// acts as the operator) joins only on the admin listener's /live socket: replayed on the main
// port's it is refused, as is a main-port session on the admin listener. A bystander is served
// after every attempt.
import { test } from "node:test";
import assert from "node:assert/strict";

import { ClientPool, bystander, joinResult, uniq } from "../conformance/helpers.mjs";
import { serverForFile } from "../conformance/server.mjs";
import { SECRET, apiToken, nowSeconds, signed } from "../conformance/tokens.mjs";
import { httpRequest } from "../conformance/wire.mjs";

const pool = new ClientPool();
let server;
serverForFile(pool, (s) => (server = s), { args: ["--secret", SECRET], admin: true });

const visitor = (user, { rolesExp, secret = SECRET, ttlSeconds = 3600 } = {}) =>
  `cohort_user=${signed("visitor", rolesExp ? { user, roles_exp: rolesExp } : { user }, { ttlSeconds, secret })}`;

test("GET /admin on the main port: 403 for every visitor without role admin, the page for one with it", async () => {
  const guard = await bystander(pool, server);
  const later = nowSeconds() + 600;
  const refused = [
    ["no cookie", null],
    ["a plain visitor", visitor({ id: uniq("u") })],
    ["a moderator", visitor({ id: uniq("u"), roles: ["moderator"] }, { rolesExp: later })],
    ["an admin whose roles ran out", visitor({ id: uniq("u"), roles: ["admin"] }, { rolesExp: nowSeconds() - 1 })],
    ["an admin cookie signed with another secret", visitor({ id: uniq("u"), roles: ["admin"] },
                                                           { rolesExp: later, secret: "another-secret-that-is-long-enough-32" })],
    ["an admin cookie of the wrong kind", `cohort_user=${signed("session", { user: { id: "x", roles: ["admin"] } })}`],
  ];
  for (const [what, cookie] of refused) {
    const res = await httpRequest(`${server.url}/admin`, { headers: cookie ? { cookie } : {} });
    assert.equal(res.status, 403, `${what}: ${res.status} ${res.body.slice(0, 200)}`);
    assert.doesNotMatch(res.body, /data-phx-session/, `${what}: no live session handed out`);
    await guard.check(`after GET /admin as ${what}`);
  }
  const admin = await httpRequest(`${server.url}/admin`,
                                  { headers: { cookie: visitor({ id: uniq("u"), roles: ["admin"] }, { rolesExp: later }) } });
  assert.equal(admin.status, 200);
  assert.match(admin.body, /Cohort admin/);
  assert.match(admin.body, /data-phx-session/);
});

test("GET /admin/status on the main port needs an API token of role metrics", async () => {
  const guard = await bystander(pool, server);
  for (const [what, headers, status] of [
    ["no token", {}, 401],
    ["a visitor cookie of role admin", { cookie: visitor({ id: "a", roles: ["admin"] }, { rolesExp: nowSeconds() + 600 }) }, 401],
    ["a token of role publish", { authorization: `Bearer ${apiToken(server, ["publish"])}` }, 403],
  ]) {
    const res = await httpRequest(`${server.url}/admin/status`, { headers });
    assert.equal(res.status, status, `${what}: ${res.body}`);
    assert.equal(res.json?.node, undefined, `${what}: no status leaked`);
    await guard.check(`after GET /admin/status with ${what}`);
  }
  const ok = await httpRequest(`${server.url}/admin/status`, { headers: { authorization: `Bearer ${apiToken(server, ["metrics"])}` } });
  assert.equal(ok.status, 200);
  assert.match(ok.json.node.name, new RegExp(`:${server.port}$`));
});

test("the admin listener serves /admin and /admin/status as is, Cohort's assets, and no other static file", async () => {
  const page = await httpRequest(`${server.adminUrl}/admin`);
  assert.equal(page.status, 200);
  assert.match(page.body, /Cohort admin/);
  const status = await httpRequest(`${server.adminUrl}/admin/status`);
  assert.equal(status.status, 200);
  assert.equal(typeof status.json.connections.websockets, "number");
  assert.equal((await httpRequest(`${server.adminUrl}/assets/cohort_live.js`)).status, 200);
  assert.equal((await httpRequest(`${server.adminUrl}/assets/vendor/phoenix_live_view.min.js`)).status, 200);
  for (const other of ["/index.html", "/", "/counter", "/js-counter.html"])
    assert.equal((await httpRequest(`${server.adminUrl}${other}`)).status, 404, `admin listener ${other}`);
});

test("a client cannot join the node status topic, nor broadcast to it through the HTTP API", async () => {
  const guard = await bystander(pool, server);
  // The demo's /socket routes "room:*" and "store:*"; /live routes "lv:*" and "lvu:*": a "cohort:" topic
  // matches none, and the endpoint refuses it before any pattern is tried.
  for (const path of ["socket", "live"]) {
    const socket = await pool.connected({ ...server, wsUrl: server.wsUrl.replace(/\/socket$/, `/${path}`) });
    for (const topic of ["cohort:node_status", "cohort:anything"]) {
      const r = await joinResult(socket.channel(topic, {}));
      assert.deepEqual(r, { status: "error", response: { reason: "unmatched topic" } }, `join ${topic} on /${path}`);
    }
  }
  await guard.check("after joins of the status topic");
  const res = await httpRequest(`${server.url}/api/broadcast/${encodeURIComponent("cohort:node_status")}?event=status`, {
    method: "POST",
    headers: { authorization: `Bearer ${apiToken(server, ["publish"])}`, "content-type": "application/json" },
    body: JSON.stringify({ node: { name: "forged:1" } }),
  });
  assert.equal(res.status, 403, res.body);
  assert.match(res.json.error, /belong to the node/);
  // What the node publishes there is still only its own sample.
  const status = await httpRequest(`${server.adminUrl}/admin/status`);
  assert.deepEqual(status.json.peers, []);
  await guard.check("after a broadcast to the status topic");
});

// A live page's session and csrf token, as phoenix_live_view reads them from the HTML.
async function livePage(url) {
  const res = await httpRequest(url);
  assert.equal(res.status, 200, res.body.slice(0, 200));
  const m = /<div id="(phx-[^"]+)" data-phx-main data-phx-session="([^"]+)"/.exec(res.body);
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(res.body)?.[1];
  assert.ok(m && csrf, "a live root and a csrf-token meta tag");
  return { id: m[1], session: m[2], csrf, url };
}

// Joins page's view over the /live socket at base (http://host:port), as phoenix_live_view does.
async function joinLive(base, page) {
  const socket = await pool.connected({ wsUrl: `${base.replace(/^http/, "ws")}/live` }, { params: { _csrf_token: page.csrf } });
  const params = { _mounts: 0, _mount_attempts: 0, _csrf_token: page.csrf };
  return joinResult(socket.channel(`lv:${page.id}`, () => ({ url: page.url, params, session: page.session, static: null })));
}

test("a page session is good only on the listener that issued it: the operator's cannot be replayed on the main port", async () => {
  const guard = await bystander(pool, server);
  const operator = await livePage(`${server.adminUrl}/admin`);
  const replayed = await joinLive(server.url, operator);
  assert.deepEqual(replayed, { status: "error", response: { reason: "unauthorized" } }, "the admin listener's session on the main port");
  await guard.check("after the operator's session was replayed on the main port");
  const onAdmin = await joinLive(server.adminUrl, await livePage(`${server.adminUrl}/admin`));
  assert.equal(onAdmin.status, "ok", `the operator's session on the admin listener: ${JSON.stringify(onAdmin.response)}`);
  assert.equal(typeof onAdmin.response.rendered, "object", "the dashboard rendered");
  const visitorPage = await livePage(`${server.url}/counter`);
  assert.deepEqual(await joinLive(server.adminUrl, { ...visitorPage, url: `${server.adminUrl}/counter` }),
                   { status: "error", response: { reason: "unauthorized" } }, "a main-port session on the admin listener");
  assert.equal((await joinLive(server.url, await livePage(`${server.url}/counter`))).status, "ok", "a main-port session on the main port");
  await guard.check("after a main-port session was tried on the admin listener");
});
