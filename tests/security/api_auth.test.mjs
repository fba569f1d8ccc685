// api_auth.test.mjs — the HTTP API's credential, against a real node: POST /api/broadcast needs
// `Authorization: Bearer <api token>` with role publish (and, when the token lists topics, a
// matching topic); GET /metrics and /metrics/live on the main port need role metrics. Without
// a valid token: 401 with a JSON error and a WWW-Authenticate challenge; with a valid token
// lacking the role or topic: 403. Nothing a refused request carried reaches a subscriber, a
// good token's broadcast reaches a joined phoenix client, and a bystander is served throughout.
import { test } from "node:test";
import assert from "node:assert/strict";

import { ClientPool, bystander, collectEvents, uniq } from "../conformance/helpers.mjs";
import { runCommand, secretArgs, serverForFile } from "../conformance/server.mjs";
import { SECRET, apiToken, signed, token } from "../conformance/tokens.mjs";
import { broadcastHttp, httpRequest } from "../conformance/wire.mjs";

const pool = new ClientPool();
let server;
serverForFile(pool, (s) => (server = s), { args: ["--secret", SECRET] });

const bearer = (tok) => `Bearer ${tok}`;

// Every refused attempt: [what, authorization header or null, expected status, error pattern].
function attempts() {
  const forged = apiToken(server, ["publish"]).replace(/.$/, (c) => (c === "A" ? "B" : "A"));
  const otherSecret = signed("api", { roles: ["publish"] }, { secret: "another-secret-that-is-long-enough-32" });
  return [
    ["no Authorization header", null, 401, /needs an API token/],
    ["Basic credentials", "Basic YWRtaW46YWRtaW4=", 401, /needs an API token/],
    ["a socket token with role publish", bearer(signed("socket", { roles: ["publish"] })), 401, /wrong kind/],
    ["a grant with role publish", bearer(signed("grant", { roles: ["publish"] })), 401, /wrong kind/],
    ["an expired api token", bearer(apiToken(server, ["publish"], { ttlSeconds: -1 })), 401, /expired/],
    ["an api token without exp", bearer(token({ kind: "api", roles: ["publish"] })), 401, /no expiry/],
    ["a forged signature", bearer(forged), 401, /bad signature|malformed/],
    ["another node's secret", bearer(otherSecret), 401, /bad signature/],
    ["garbage", "Bearer not-a-token", 401, /malformed/],
    ["role metrics only", bearer(apiToken(server, ["metrics"])), 403, /roles do not include publish/],
    ["a topic outside its patterns", bearer(apiToken(server, ["publish"], { topics: ["news:*", "room:lobby"] })), 403,
     /does not allow topic/],
  ];
}

test("POST /api/broadcast without a valid publishing token is refused, and nothing reaches the topic", async () => {
  const witness = await bystander(pool, server);
  const topic = uniq("room:api");
  const sub = await pool.joined(server, topic);
  const got = collectEvents(sub.channel, "news", 1);
  for (const [what, authorization, status, error] of attempts()) {
    const r = await broadcastHttp(server, topic, { payload: { from: what } }, { event: "news", authorization });
    assert.equal(r.status, status, `${what}: ${r.body}`);
    assert.match(r.json?.error ?? "", error, what);
    if (status === 401) assert.match(String(r.headers["www-authenticate"]), /^Bearer realm="cohort"/, what);
    if (authorization?.startsWith("Bearer ") && authorization.length > 20)
      assert.ok(!r.body.includes(authorization.slice(7)), `${what}: the token is not echoed`);
  }
  // The good one is sent last: had any refused one been delivered, it would have come first.
  const ok = await broadcastHttp(server, topic, { payload: { from: "good" } }, { event: "news" });
  assert.equal(ok.status, 200, ok.body);
  assert.deepEqual(await got, [{ from: "good" }]);
  await witness.check("after refused API calls");
});

test("a token limited to topic patterns publishes to those topics only", async () => {
  const tok = bearer(apiToken(server, ["publish"], { topics: ["room:*", "lobby"] }));
  const topic = uniq("room:pattern");
  const sub = await pool.joined(server, topic);
  const got = collectEvents(sub.channel, "news", 1);
  assert.equal((await broadcastHttp(server, topic, { n: 1 }, { event: "news", authorization: tok })).status, 200);
  assert.deepEqual(await got, [{ n: 1 }]);
  assert.equal((await broadcastHttp(server, "lobby", { n: 2 }, { authorization: tok })).status, 200);
  for (const other of ["lobby:x", "list:activity", "roo", "xroom:a"])
    assert.equal((await broadcastHttp(server, other, { n: 3 }, { authorization: tok })).status, 403, other);
});

test("a token made by `cohort token --roles publish --topics 'room:*'` delivers to a joined phoenix client", async () => {
  const made = await runCommand(["token", "--roles", "publish", "--topics", "room:*", "--ttl", "5m", ...secretArgs(server)]);
  assert.equal(made.code, 0, made.stderr);
  const tok = bearer(made.stdout.trim());
  const topic = uniq("room:cli");
  const a = await pool.joined(server, topic);
  const b = await pool.joined(server, topic);
  const heard = [collectEvents(a.channel, "news", 1), collectEvents(b.channel, "news", 1)];
  const r = await broadcastHttp(server, topic, { payload: { hello: "from the cli token" } }, { event: "news", authorization: tok });
  assert.equal(r.status, 200, r.body);
  for (const events of await Promise.all(heard)) assert.deepEqual(events, [{ hello: "from the cli token" }]);
  assert.equal((await broadcastHttp(server, "list:activity", { x: 1 }, { authorization: tok })).status, 403);
});

test("/metrics and /metrics/live on the main port need role metrics: 401 without a token, 403 with another role", async () => {
  const witness = await bystander(pool, server);
  for (const path of ["/metrics", "/metrics/live"]) {
    const none = await httpRequest(`${server.url}${path}`);
    assert.equal(none.status, 401, `${path}: ${none.body}`);
    assert.match(none.json?.error ?? "", /cohort token --roles metrics/);
    assert.ok(!none.body.includes("cohort_connections_open") && !none.body.includes("views_mounted"));
    const publish = await httpRequest(`${server.url}${path}`, { headers: { authorization: bearer(apiToken(server, ["publish"])) } });
    assert.equal(publish.status, 403, path);
    const wrongKind = await httpRequest(`${server.url}${path}`, { headers: { authorization: bearer(signed("socket", { roles: ["metrics"] })) } });
    assert.equal(wrongKind.status, 401, path);
    const ok = await httpRequest(`${server.url}${path}`, { headers: { authorization: bearer(apiToken(server, ["metrics"])) } });
    assert.equal(ok.status, 200, path);
    assert.ok(ok.body.includes(path === "/metrics" ? "cohort_connections_open" : "views_mounted"), ok.body.slice(0, 200));
  }
  await witness.check("after refused metrics requests");
});
