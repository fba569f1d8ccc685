// signin.test.mjs — sign-in links and the visitor cookie, against a real node: a grant link works
// once (GET only shows what it grants; the POST that uses it needs the visitor's cookie and CSRF
// token), expires, dies with a restart; the redirect after it stays on the site whatever `then`
// says (CR/LF header injection, "/\evil.example", "//evil", "https://evil", a TAB); the cookie is
// HttpOnly, SameSite=Lax, has a Max-Age, and its roles expire while the visitor keeps their id;
// the link is written to a 0600 file and printed only with --print-grant, the secret never.
// After each attack a bystander is still served.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

import { ClientPool, bystander, uniq } from "../conformance/helpers.mjs";
import { grantLink, serverForFile, startServer } from "../conformance/server.mjs";
import { SECRET, nowSeconds, secretOf, signed } from "../conformance/tokens.mjs";
import { httpRequest, rawHttp } from "../conformance/wire.mjs";

const pool = new ClientPool();
let server;
serverForFile(pool, (s) => (server = s), { args: ["--secret", SECRET, "--print-grant"] });

const ROLE_TTL_S = 43200; // the default role_ttl_s

// A grant signed here for the node's current run (its epoch), as `cohort grant` makes one.
function grantFor(srv, { ttlSeconds = 600, roles = ["moderator"], epoch } = {}) {
  epoch ??= fs.readFileSync(path.join(srv.dataDir, "grant-epoch"), "utf8").trim();
  return signed("grant", { roles, jti: uniq("g"), epoch }, { ttlSeconds, secret: secretOf(srv) });
}

const cookieOf = (setCookie) => (setCookie ? String(setCookie).split(";")[0] : null);
const claimsOf = (cookie) => JSON.parse(Buffer.from(cookie.split("=")[1].split(".")[0], "base64url"));
const unescape = (text) => text?.replace(/&(amp|lt|gt|quot|#39);/g, (_, e) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e]);
// A hidden form field's value, as a browser would submit it.
const hidden = (body, name) => unescape(new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(body)?.[1]);

// GET the link (a path) as a browser with cookie (or none): the confirmation page's form fields.
async function openLink(link, cookie, srv = server) {
  const res = await httpRequest(`${srv.url}${link}`, { headers: cookie ? { cookie } : {} });
  return { ...res, cookie: cookieOf(res.headers["set-cookie"]) ?? cookie, csrf: hidden(res.body, "_csrf_token"),
           grant: hidden(res.body, "grant"), then: hidden(res.body, "then") };
}

// POSTs the sign-in form on a raw connection: {status, headers: [[name, value]...], head}.
async function submit(fields, cookie, srv = server) {
  const body = new URLSearchParams(fields).toString();
  const r = await rawHttp(srv.port,
    "POST /signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
    (cookie ? `Cookie: ${cookie}\r\n` : "") + `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  const head = r.text.split("\r\n\r\n")[0];
  const headers = head.split("\r\n").slice(1).map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]);
  return { status: r.status, headers, head, text: r.text, get: (n) => headers.find(([k]) => k === n)?.[1] };
}

// Opens a link and submits its form as the same browser: the POST's answer.
async function signIn(link, cookie) {
  const page = await openLink(link, cookie);
  assert.equal(page.status, 200, page.body);
  return { page, answer: await submit({ grant: page.grant, then: page.then, _csrf_token: page.csrf }, page.cookie) };
}

describe("single use", () => {
  test("GET shows the grant and changes nothing; the POST signs in once; a second use is refused", async () => {
    const witness = await bystander(pool, server);
    const link = await grantLink(server, { then: "/quiz" });
    const first = await openLink(link);
    assert.equal(first.status, 200);
    assert.match(first.body, /<strong id="signin-roles">moderator<\/strong>/);
    assert.equal(first.headers["referrer-policy"], "no-referrer");
    assert.equal(first.headers["cache-control"], "no-store");
    assert.match(first.cookie, /^cohort_user=/);
    // A link preview fetching the link again uses nothing up.
    assert.equal((await openLink(link)).status, 200);
    const answer = await submit({ grant: first.grant, then: first.then, _csrf_token: first.csrf }, first.cookie);
    assert.equal(answer.status, 303, answer.text);
    assert.equal(answer.get("location"), "/quiz");
    const cookie = cookieOf(answer.get("set-cookie"));
    const claims = claimsOf(cookie);
    assert.deepEqual(claims.user.roles, ["moderator"]);
    assert.equal(claims.user.id, claimsOf(first.cookie).user.id, "the visitor keeps their identity");
    // The moderator page: the quiz shows its controls.
    const quiz = await httpRequest(`${server.url}/quiz`, { headers: { cookie } });
    assert.ok(!quiz.body.includes("Open a moderator sign-in link"), "the moderator does not get the sign-in hint");
    // Used: the same form again, the link again, and by another browser: all refused.
    const again = await submit({ grant: first.grant, then: first.then, _csrf_token: first.csrf }, first.cookie);
    assert.equal(again.status, 403);
    assert.match(again.text, /already used/);
    const other = await openLink(link);
    assert.equal(other.status, 403);
    assert.match(other.body, /already used/);
    await witness.check("after a used grant");
  });

  test("a POST without the visitor's cookie or with another visitor's CSRF token is refused, and does not use the grant up", async () => {
    const link = await grantLink(server);
    const mine = await openLink(link);
    const theirs = await openLink(link);
    assert.notEqual(mine.csrf, theirs.csrf, "the CSRF token is bound to the visitor");
    for (const [what, fields, cookie] of [
      ["no cookie (another site's form: SameSite=Lax keeps it back)", { grant: mine.grant, _csrf_token: mine.csrf }, null],
      ["another visitor's token", { grant: mine.grant, _csrf_token: theirs.csrf }, mine.cookie],
      ["no token", { grant: mine.grant }, mine.cookie],
      ["a forged token", { grant: mine.grant, _csrf_token: "A".repeat(43) }, mine.cookie],
    ]) {
      const r = await submit(fields, cookie);
      assert.equal(r.status, 403, what);
      assert.match(r.text, /stale or came from another site/, what);
      assert.equal(r.get("set-cookie"), undefined, what);
    }
    const r = await submit({ grant: mine.grant, then: "/", _csrf_token: mine.csrf }, mine.cookie);
    assert.equal(r.status, 303, "the grant is still good for its own visitor");
  });
});

describe("expiry", () => {
  test("an expired grant, a grant of another run, and a tampered grant are refused", async () => {
    const witness = await bystander(pool, server);
    for (const [what, grant, reason] of [
      ["expired", grantFor(server, { ttlSeconds: -1 }), /expired/],
      ["another run", grantFor(server, { epoch: "not-this-run" }), /made before the node restarted/],
      ["tampered", grantFor(server).replace(/.$/, (c) => (c === "A" ? "B" : "A")), /bad signature|malformed/],
      ["a visitor token", signed("visitor", { roles: ["moderator"] }, { secret: SECRET }), /wrong kind/],
    ]) {
      const page = await openLink(`/signin?grant=${grant}`);
      assert.equal(page.status, 403, what);
      assert.match(page.body, reason, what);
      const fresh = await openLink(`/signin?grant=${grantFor(server)}`);
      const r = await submit({ grant, _csrf_token: fresh.csrf }, fresh.cookie);
      assert.equal(r.status, 403, `${what} (POST)`);
    }
    await witness.check("after refused grants");
  });

  test("a restart invalidates the links of the run before", async (t) => {
    const own = await startServer({ args: ["--secret", SECRET] });
    t.after(() => own.kill());
    const link = await grantLink(own);
    assert.equal((await openLink(link, null, own)).status, 200);
    await own.stop();
    const again = await own.restart();
    t.after(() => again.kill());
    const page = await openLink(link, null, again);
    assert.equal(page.status, 403);
    assert.match(page.body, /made before the node restarted/);
    assert.equal((await openLink(await grantLink(again), null, again)).status, 200, "a link of the new run works");
  });

  test("roles in the cookie expire; the visitor keeps their identity", async () => {
    const user = { id: "u-expiring", name: "Calm Heron", color: "#0b7e8c", roles: ["moderator"] };
    const stale = signed("visitor", { user, roles_exp: nowSeconds() - 1 }, { ttlSeconds: 3600, secret: SECRET });
    const res = await httpRequest(`${server.url}/quiz`, { headers: { cookie: `cohort_user=${stale}` } });
    assert.equal(res.status, 200);
    const renewed = claimsOf(cookieOf(res.headers["set-cookie"]));
    assert.equal(renewed.user.id, "u-expiring");
    assert.equal(renewed.user.roles, undefined, "the roles are gone");
    const session = JSON.parse(Buffer.from(/data-phx-session="([^"]+)"/.exec(res.body)[1].split(".")[0], "base64url"));
    assert.equal(session.user.roles, undefined);
    assert.match(res.body, /Open a moderator sign-in link/, "the page treats them as a viewer");
    // Roles still valid: the page's session ends when they do, not two weeks later.
    const soon = nowSeconds() + 120;
    const fresh = signed("visitor", { user, roles_exp: soon }, { ttlSeconds: 3600, secret: SECRET });
    const page = await httpRequest(`${server.url}/quiz`, { headers: { cookie: `cohort_user=${fresh}` } });
    const s2 = JSON.parse(Buffer.from(/data-phx-session="([^"]+)"/.exec(page.body)[1].split(".")[0], "base64url"));
    assert.deepEqual(s2.user.roles, ["moderator"]);
    assert.ok(s2.exp <= soon, `session exp ${s2.exp} <= roles_exp ${soon}`);
  });
});

describe("redirects", () => {
  const BAD = [
    ["CR/LF header injection", "/\r\nX-Injected: 1"],
    ["LF only", "/\nX-Injected: 1"],
    ["backslash host", "/\\evil.example"],
    ["protocol-relative", "//evil.example"],
    ["absolute URL", "https://evil.example/"],
    ["TAB browsers drop", "/\t/evil.example"],
    ["backslashes", "\\\\evil.example"],
    ["javascript:", "javascript:alert(1)"],
    ["no leading slash", "evil.example"],
  ];

  test("`then` outside the site lands on / (POST), and the form never carries it (GET)", async () => {
    const witness = await bystander(pool, server);
    for (const [what, then] of BAD) {
      // GET with the raw value in the query: the form's then is neutralised to "/".
      const page = await openLink(`/signin?grant=${grantFor(server)}&then=${encodeURIComponent(then)}`);
      assert.equal(page.status, 200, what);
      assert.equal(page.then, "/", what);
      // POST with the value itself: the redirect is "/" and no header was added.
      const r = await submit({ grant: page.grant, then, _csrf_token: page.csrf }, page.cookie);
      assert.equal(r.status, 303, `${what}: ${r.head}`);
      assert.equal(r.get("location"), "/", what);
      assert.ok(!/x-injected/i.test(r.head), `${what}: injected header in\n${r.head}`);
      assert.equal(r.headers.filter(([k]) => k === "location").length, 1, what);
    }
    // The percent-encoded CR/LF of the issue, sent verbatim on the wire.
    const page = await openLink(`/signin?grant=${grantFor(server)}&then=/%0d%0aX-Injected:%201`);
    assert.equal(page.then, "/");
    await witness.check("after redirect injections");
  });

  test("a local path with a query survives the round trip", async () => {
    const { answer } = await signIn(await grantLink(server, { then: "/poll/abc?x=1&y=2" }));
    assert.equal(answer.get("location"), "/poll/abc?x=1&y=2");
  });
});

describe("cookies and secrets", () => {
  test("the visitor cookie: HttpOnly, SameSite=Lax, Path=/, a Max-Age; no Secure without TLS", async () => {
    const { answer } = await signIn(await grantLink(server));
    for (const setCookie of [answer.get("set-cookie"), (await httpRequest(`${server.url}/counter`)).headers["set-cookie"]]) {
      const attrs = String(setCookie).split(";").slice(1).map((a) => a.trim());
      assert.ok(attrs.includes("HttpOnly"), setCookie);
      assert.ok(attrs.includes("SameSite=Lax"), setCookie);
      assert.ok(attrs.includes("Path=/"), setCookie);
      assert.ok(attrs.includes("Max-Age=31536000"), setCookie);
      assert.ok(!attrs.includes("Secure"), setCookie);
    }
    const claims = claimsOf(cookieOf(answer.get("set-cookie")));
    assert.equal(claims.kind, "visitor");
    assert.ok(Math.abs(claims.roles_exp - (nowSeconds() + ROLE_TTL_S)) <= 5, `roles_exp ${claims.roles_exp}`);
  });

  test("with --print-grant the link is printed, never the secret; without it, only the file has it (0600)", async (t) => {
    const { stdout, stderr } = server.output();
    assert.match(stdout, /moderator sign-in: http:\/\/127\.0\.0\.1:\d+\/signin\?grant=\S+&then=\/quiz/);
    assert.ok(!stdout.includes(SECRET) && !stderr.includes(SECRET), "the secret is never printed");
    const quiet = await startServer({});
    t.after(() => quiet.kill());
    const out = quiet.output().stdout + quiet.output().stderr;
    assert.ok(!out.includes("grant="), out);
    assert.match(out, /moderator sign-in link: in \S+moderator-grant/);
    const secret = secretOf(quiet);
    assert.ok(!out.includes(secret), "the generated secret is never printed");
    for (const file of ["moderator-grant", "grant-epoch", "secret"])
      assert.equal(fs.statSync(path.join(quiet.dataDir, file)).mode & 0o777, 0o600, file);
    const link = fs.readFileSync(path.join(quiet.dataDir, "moderator-grant"), "utf8").trim();
    const m = /^http:\/\/127\.0\.0\.1:(\d+)(\/signin\?grant=\S+)$/.exec(link);
    assert.ok(m, link);
    assert.equal(Number(m[1]), quiet.port);
    const page = await openLink(m[2], null, quiet);
    assert.equal(page.status, 200, "the file's link works");
    const grant = JSON.parse(Buffer.from(page.grant.split(".")[0], "base64url"));
    assert.ok(grant.exp - nowSeconds() <= 600 && grant.exp - nowSeconds() > 590, `a 10-minute grant: ${grant.exp}`);
  });
});

after(() => pool.closeAll());
