// static_files.test.mjs — path traversal against the static root, over raw TCP.
//
// The node serves a static root of the test's own: index.html, assets/app.js, dot-files
// (.env, .git/config), a symlink that leads out of the root (to a file holding a marker), a
// directory symlink to /etc, a symlink into .git, and the node's own data directory (with the
// token secret the node writes there at start). Each attempt of the table is one request written
// byte for byte; it must be answered 404 (or 400 for a malformed escape, a NUL, a target that is
// not a path) and its answer must carry none of the files it aimed at. Between attempts a
// phoenix client (the bystander) and a GET of the index prove the node still serves.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, afterEach, before, test } from "node:test";

import { bystander, ClientPool } from "../conformance/helpers.mjs";
import { startServer } from "../conformance/server.mjs";
import { exchange } from "./net_support.mjs";

const OUTSIDE_MARKER = "outside-the-static-root-7f3a";
const INDEX_MARKER = "static-index-5d1c";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "cohort-static-"));
const root = path.join(work, "static");
const dataDir = path.join(root, "data"); // inside the root on purpose: it must still never be served
fs.mkdirSync(path.join(root, "assets"), { recursive: true });
fs.mkdirSync(path.join(root, ".git"), { recursive: true });
fs.writeFileSync(path.join(root, "index.html"), `<!DOCTYPE html><title>${INDEX_MARKER}</title>`);
fs.writeFileSync(path.join(root, "assets", "app.js"), "console.log('app');\n");
fs.writeFileSync(path.join(root, ".env"), "DOTFILE=secret-env\n");
fs.writeFileSync(path.join(root, ".git", "config"), "[core] dotdir-config\n");
fs.writeFileSync(path.join(work, "outside.txt"), OUTSIDE_MARKER);
fs.symlinkSync(path.join(work, "outside.txt"), path.join(root, "escape.txt"));
fs.symlinkSync("/etc", path.join(root, "etc-link"));
fs.symlinkSync(path.join(root, ".git", "config"), path.join(root, "to-dot"));
process.on("exit", () => fs.rmSync(work, { recursive: true, force: true }));

let server;
let secret;
let watcher;
const pool = new ClientPool();
const longLived = new ClientPool();

before(async () => {
  server = await startServer({ args: ["--static-dir", root], dataDir });
  secret = fs.readFileSync(path.join(dataDir, "secret"), "utf8").trim();
  assert.ok(secret.length >= 32, "the node wrote its token secret into the data directory");
  watcher = await bystander(longLived, server);
});
afterEach(async () => {
  await pool.closeAll();
  await watcher.check();
  const index = await exchange(server.port, "GET /");
  assert.equal(index.status, 200, "the bystander GET / is served");
  assert.ok(index.body.includes(INDEX_MARKER));
});
after(async () => {
  await longLived.closeAll();
  await server?.kill();
});

// What no answer may ever contain.
function assertLeaksNothing(r, what) {
  for (const [name, needle] of [
    ["/etc/passwd", "root:x:0:0"],
    ["the file outside the root", OUTSIDE_MARKER],
    ["the token secret", secret],
    [".env", "secret-env"],
    [".git/config", "dotdir-config"],
    ["the SQLite database", "SQLite format 3"],
  ])
    assert.ok(!r.text.includes(needle), `${what}: the answer contains ${name}`);
}

// [request target, expected status]. Targets are sent exactly as written.
const ATTEMPTS = [
  ["//etc/passwd", 404],
  ["/../../../../../../etc/passwd", 404],
  ["/assets/../../outside.txt", 404],
  ["/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", 404],
  ["/%2E%2E/outside.txt", 404],
  ["/assets/%2e%2e/%2e%2e/outside.txt", 404],
  ["/..%2f..%2f..%2f..%2fetc%2fpasswd", 404],
  ["/assets/..%2F..%2Foutside.txt", 404],
  ["/%2fetc%2fpasswd", 404],
  ["/%2F%2Fetc%2Fpasswd", 404],
  ["/..\\..\\outside.txt", 404],
  ["/..%5c..%5coutside.txt", 404],
  ["/assets\\..\\..\\outside.txt", 404],
  ["/%252e%252e/%252e%252e/outside.txt", 404], // decoded once: a file literally named "%2e%2e"
  ["/escape.txt", 404], // a symlink out of the root
  ["/etc-link/passwd", 404], // a directory symlink out of the root
  ["/etc/passwd", 404],
  ["/.env", 404],
  ["/%2eenv", 404],
  ["/.git/config", 404],
  ["/.git/", 404],
  ["/to-dot", 404], // a symlink into a dot-directory
  ["/data/secret", 404], // the data directory, although it lies inside the root
  ["/data/cohort.db", 404],
  ["/./data/secret", 404],
  ["/assets/./app.js", 404],
  ["/index.html%00.txt", 400],
  ["/%00", 400],
  ["/%zz/etc/passwd", 400],
  ["/%2/outside.txt", 400],
  ["/assets/app.js%", 400],
  ["../etc/passwd", 400], // not an origin-form target
  ["etc/passwd", 400],
];

test(`${ATTEMPTS.length} traversal attempts are each answered 404 or 400 and leak nothing`, async () => {
  assert.ok(ATTEMPTS.length >= 20);
  for (const [target, status] of ATTEMPTS) {
    const r = await exchange(server.port, `GET ${target}`);
    assert.equal(r.status, status, `GET ${target}: status (answer: ${JSON.stringify(r.text.slice(0, 200))})`);
    assertLeaksNothing(r, `GET ${target}`);
  }
});

test("HEAD requests are refused the same way", async () => {
  for (const target of ["//etc/passwd", "/escape.txt", "/data/secret", "/.env"]) {
    const r = await exchange(server.port, `HEAD ${target}`);
    assert.equal(r.status, 404, `HEAD ${target}`);
  }
});

test("files inside the root are still served, symlinks included when they stay inside", async () => {
  const app = await exchange(server.port, "GET /assets/app.js");
  assert.equal(app.status, 200);
  assert.equal(app.body, "console.log('app');\n");
  assert.match(app.headers["content-type"], /^text\/javascript/);
  assert.equal((await exchange(server.port, "GET //assets//app%2Ejs")).body, "console.log('app');\n");
  fs.symlinkSync(path.join(root, "assets", "app.js"), path.join(root, "inside.js"));
  assert.equal((await exchange(server.port, "GET /inside.js")).status, 200);
});

test("the token secret is served by no spelling of its path", async () => {
  for (const target of ["/data/secret", "/data%2Fsecret", "/%64ata/secret", "/data/secret/", "/DATA/secret", "//data//secret"]) {
    const r = await exchange(server.port, `GET ${target}`);
    assert.ok(r.status === 404 || r.status === 400, `GET ${target}: ${r.status}`);
    assertLeaksNothing(r, `GET ${target}`);
  }
});

test("a node on the default static root refuses //etc/passwd too (the reported repro)", async () => {
  const plain = await startServer();
  try {
    for (const target of ["//etc/passwd", "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd"]) {
      const r = await exchange(plain.port, `GET ${target}`);
      assert.equal(r.status, 404, `GET ${target}`);
      assert.ok(!r.text.includes("root:x:0:0"), `GET ${target} leaked /etc/passwd`);
    }
    assert.equal((await exchange(plain.port, "GET /assets/cohort.css")).status, 200);
  } finally {
    await plain.kill();
  }
});
