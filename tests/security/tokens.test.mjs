// tokens.test.mjs — signed tokens and the secret behind them, against a real node: every token
// has a kind and an expiry, and a token of one kind is refused where another is expected (a live
// session, a visitor cookie, a store join, an API call); the secret file is created 0600 and
// refused when group/other can read it; a short --secret is refused at start; start-up errors
// never print a password from a URL or the secret. After each attack a bystander is still served.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { ClientPool, bystander, joinResult, uniq } from "../conformance/helpers.mjs";
import { runCommand, secretArgs, serverForFile } from "../conformance/server.mjs";
import { nowSeconds, secretOf, signed, token } from "../conformance/tokens.mjs";
import { httpRequest } from "../conformance/wire.mjs";

const pool = new ClientPool();
let server;
serverForFile(pool, (s) => (server = s)); // no --secret: the node creates <data-dir>/secret

const KINDS = ["session", "visitor", "grant", "api", "socket"];
const tempDir = (what) => fs.mkdtempSync(path.join(os.tmpdir(), `cohort-${what}-`));

// Starts `cohort serve` expecting it to refuse: resolves to {code, stdout, stderr}.
async function refusedStart(args) {
  const r = await runCommand(["serve", "--host", "127.0.0.1", "--port", "0", ...args], { timeoutMs: 15_000 });
  assert.notEqual(r.code, 0, `the node started anyway:\n${r.stdout}`);
  return r;
}

// Joins store:<key> with a join token; resolves to the join reply.
async function joinStore(token) {
  const socket = await pool.connected(server);
  const channel = socket.channel(`store:${uniq("doc:tok")}`, { token });
  const r = await joinResult(channel);
  channel.leave();
  return r;
}

async function metricsStatus(tok) {
  return (await httpRequest(`${server.url}/metrics`, { headers: { authorization: `Bearer ${tok}` } })).status;
}

describe("kinds", () => {
  test("a store join takes a socket token, and no other kind of the same secret", async () => {
    const witness = await bystander(pool, server);
    const secret = secretOf(server);
    const good = await joinStore(signed("socket", { sub: "ed", roles: ["editor"] }, { secret }));
    assert.equal(good.status, "ok", JSON.stringify(good.response));
    for (const kind of KINDS.filter((k) => k !== "socket")) {
      const r = await joinStore(signed(kind, { sub: "ed", roles: ["editor"] }, { secret }));
      assert.equal(r.status, "error", kind);
      assert.deepEqual(r.response, { reason: "unauthorized", detail: "wrong kind" }, kind);
    }
    await witness.check("after tokens of the wrong kind");
  });

  test("the API takes api tokens only: a socket, session or grant token with the role is a 401", async () => {
    const secret = secretOf(server);
    assert.equal(await metricsStatus(signed("api", { roles: ["metrics"] }, { secret })), 200);
    for (const kind of KINDS.filter((k) => k !== "api"))
      assert.equal(await metricsStatus(signed(kind, { roles: ["metrics"] }, { secret })), 401, kind);
  });

  test("a page's session token is not a visitor cookie: presented as one, it is replaced by a new visitor", async () => {
    const res = await httpRequest(`${server.url}/counter`);
    const session = /data-phx-session="([^"]+)"/.exec(res.body)[1];
    const claims = JSON.parse(Buffer.from(session.split(".")[0], "base64url").toString());
    assert.equal(claims.kind, "session");
    assert.ok(claims.exp > nowSeconds(), "the session expires");
    // The page's session presented as the visitor cookie: not a visitor token, so replaced.
    const asCookie = await httpRequest(`${server.url}/counter`, { headers: { cookie: `cohort_user=${session}` } });
    assert.match(String(asCookie.headers["set-cookie"]), /^cohort_user=/);
    const cookieClaims = JSON.parse(Buffer.from(String(asCookie.headers["set-cookie"]).split("=")[1].split(".")[0], "base64url"));
    assert.equal(cookieClaims.kind, "visitor");
    assert.notEqual(cookieClaims.user.id, claims.user.id, "a session token does not make its user the visitor");
    assert.ok(cookieClaims.exp > nowSeconds());
  });
});

describe("expiry", () => {
  test("tokens without exp, or past it, are refused", async () => {
    const witness = await bystander(pool, server);
    const secret = secretOf(server);
    const noExp = token({ kind: "socket", sub: "ed", roles: ["editor"] }, secret);
    assert.deepEqual((await joinStore(noExp)).response, { reason: "unauthorized", detail: "no expiry" });
    const expired = signed("socket", { sub: "ed", roles: ["editor"] }, { secret, ttlSeconds: -1 });
    assert.deepEqual((await joinStore(expired)).response, { reason: "unauthorized", detail: "expired" });
    assert.equal(await metricsStatus(signed("api", { roles: ["metrics"] }, { secret, ttlSeconds: -1 })), 401);
    assert.equal(await metricsStatus(token({ kind: "api", roles: ["metrics"] }, secret)), 401);
    await witness.check("after expired tokens");
  });
});

describe("the secret", () => {
  test("the node creates <data-dir>/secret with mode 0600, 32 random bytes", () => {
    const file = path.join(server.dataDir, "secret");
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.match(fs.readFileSync(file, "utf8"), /^[0-9a-f]{64}\n$/);
  });

  test("a secret file group or others can read stops the start, saying how to fix it", async () => {
    const dir = tempDir("secret-mode");
    try {
      const secret = "f".repeat(64);
      fs.writeFileSync(path.join(dir, "secret"), `${secret}\n`);
      fs.chmodSync(path.join(dir, "secret"), 0o644);
      const r = await refusedStart(["--data-dir", dir]);
      assert.match(r.stderr, /secret has mode 0644/);
      assert.match(r.stderr, /chmod 600/);
      assert.ok(!r.stderr.includes(secret) && !r.stdout.includes(secret), "the secret is not printed");
      fs.chmodSync(path.join(dir, "secret"), 0o600);
      fs.writeFileSync(path.join(dir, "secret"), "too-short\n");
      const short = await refusedStart(["--data-dir", dir]);
      assert.match(short.stderr, /at least 32/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await (await bystander(pool, server)).check("while other nodes failed to start");
  });

  test("a --secret shorter than 32 bytes is refused at start, without echoing it", async () => {
    const dir = tempDir("secret-short");
    try {
      const r = await refusedStart(["--data-dir", dir, "--secret", "hunter2-is-too-short"]);
      assert.match(r.stderr, /--secret is 20 bytes; at least 32/);
      assert.ok(!(r.stderr + r.stdout).includes("hunter2"), r.stderr);
      assert.equal(fs.existsSync(path.join(dir, "secret")), false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("start-up errors show storage and cluster URLs without their passwords", async () => {
    const dir = tempDir("redact");
    try {
      // Port 1 on loopback: nothing listens, so the connection fails at once.
      const pg = await refusedStart(["--data-dir", dir, "--storage", "postgres://app:hunter2@127.0.0.1:1/cohort"]);
      assert.match(pg.stderr, /postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/cohort/);
      const redis = await refusedStart(["--data-dir", dir, "--cluster", "redis://:hunter2@127.0.0.1:1"]);
      assert.match(redis.stderr, /redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
      const bad = await refusedStart(["--data-dir", dir, "--storage", "mysql://app:hunter2@db/x"]);
      for (const r of [pg, redis, bad]) assert.ok(!(r.stderr + r.stdout).includes("hunter2"), r.stderr);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("cohort token", () => {
  test("prints an api token of the node's own secret, and never creates a secret elsewhere", async () => {
    const r = await runCommand(["token", "--roles", "metrics", "--ttl", "10m", ...secretArgs(server)]);
    assert.equal(r.code, 0, r.stderr);
    const tok = r.stdout.trim();
    const claims = JSON.parse(Buffer.from(tok.split(".")[0], "base64url"));
    assert.equal(claims.kind, "api");
    assert.deepEqual(claims.roles, ["metrics"]);
    assert.ok(Math.abs(claims.exp - (nowSeconds() + 600)) <= 5, `exp ${claims.exp}`);
    assert.equal(await metricsStatus(tok), 200);
    assert.ok(!r.stderr.includes(tok), "the note on stderr does not repeat the token");
    const dir = tempDir("no-secret");
    try {
      const none = await runCommand(["token", "--roles", "metrics", "--data-dir", dir]);
      assert.equal(none.code, 2);
      assert.match(none.stderr, /does not exist/);
      assert.equal(fs.existsSync(path.join(dir, "secret")), false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    for (const bad of [["--roles", ""], ["--roles", "publish", "--ttl", "forever"], ["--roles", "publish", "--topics", "*:x"]]) {
      const b = await runCommand(["token", ...bad, ...secretArgs(server)]);
      assert.equal(b.code, 2, `${bad.join(" ")}: ${b.stdout}`);
      assert.equal(b.stdout, "");
    }
  });
});
