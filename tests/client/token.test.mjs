// token.test.mjs — the demo's GET /api/client-token against a real node: a page's own visitor gets
// a socket token for who its cookie says they are, which @cohort/client joins and runs ops with;
// another site's Origin is refused (403) while a bystander goes on being served.
import { test } from "node:test";
import assert from "node:assert/strict";

import { followStore } from "../../clients/js/index.js";
import { bystander } from "../conformance/helpers.mjs";
import { serverForFile } from "../conformance/server.mjs";
import { secretOf, token } from "../conformance/tokens.mjs";
import { RecordingPool, WAIT_MS, withTimeout } from "./support.mjs";

const pool = new RecordingPool();
let server;
serverForFile(pool, (s) => (server = s));

const claimsOf = (t) => JSON.parse(Buffer.from(t.split(".")[0], "base64url").toString());
const cookieOf = (res) => res.headers.get("set-cookie")?.split(";")[0];

test("a visitor's token names their cookie's identity and runs ops as them", async () => {
  const first = await fetch(`${server.url}/api/client-token`);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get("cache-control"), "no-store");
  const cookie = cookieOf(first);
  assert.match(cookie, /^cohort_user=/, "a new visitor gets the cookie with the token");
  const body = await first.json();
  assert.equal(body.expires_in, 600);
  const claims = claimsOf(body.token);
  assert.equal(claims.kind, "socket");
  assert.match(claims.sub, /^u-/);
  assert.equal(typeof claims.name, "string");
  assert.ok(Math.abs(claims.exp - (Date.now() / 1000 + 600)) < 5);
  assert.equal(token(Object.fromEntries(Object.entries(claims)), secretOf(server)), body.token, "signed with the node's secret");

  // The same browser (its cookie, its own page's Origin) gets a token for the same visitor.
  const again = await fetch(`${server.url}/api/client-token`, { headers: { cookie, origin: server.url } });
  assert.equal(again.status, 200);
  assert.equal(again.headers.get("set-cookie"), null);
  assert.equal(claimsOf((await again.json()).token).sub, claims.sub);

  const socket = await pool.connected(server);
  const counter = followStore(socket, "counter:main", { token: body.token });
  await withTimeout(counter.reached(), WAIT_MS, "counter:main's state");
  const before = counter.state.count;
  const { version } = await counter.op("inc", { by: 2 });
  await withTimeout(counter.reached(version), WAIT_MS, `version ${version}`);
  assert.equal(counter.state.count, before + 2);
  counter.leave();
});

test("another site's Origin is refused; a bystander is still served", async () => {
  const by = await bystander(pool, server);
  const first = await fetch(`${server.url}/api/client-token`);
  const cookie = cookieOf(first);
  for (const origin of ["http://evil.example", "null", `http://localhost:${server.port + 1}`]) {
    const res = await fetch(`${server.url}/api/client-token`, { headers: { cookie, origin } });
    assert.equal(res.status, 403, origin);
    assert.equal(res.headers.get("set-cookie"), null);
    const body = await res.json();
    assert.match(body.error, /only this site's own pages/);
    assert.equal(body.token, undefined);
  }
  await by.check("after refused token requests");
  assert.equal((await fetch(`${server.url}/api/client-token`, { headers: { cookie, origin: server.url } })).status, 200);
});
