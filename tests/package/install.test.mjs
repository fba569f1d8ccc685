// install.test.mjs — Cohort as an installed package, used the way an outside app uses it.
//
// Installs the build (COHORT_BUILD_DIR) to a temporary prefix with `cmake --install`, then:
// - builds examples/demo from its own CMakeLists.txt against that prefix (find_package(Cohort)
//   sees only the prefix: no source tree, no src/ headers) and serves its pages;
// - runs the installed `cohort serve` from an empty directory: its pages, Cohort's assets,
//   the vendor bundles and the JavaScript client come from <prefix>/share/cohort;
// - builds examples/kanban, an app that is not one of the demos, the same way (with its store's
//   GoogleTest unit tests), runs them, and serves it from its build directory with no directory
//   flags: sign-in refusals over HTTP and two people on one board in Chromium (kanban.mjs); then
//   installs it to a prefix of its own and serves it from there;
// - checks pkg-config's view of the package;
// - removes a runtime directory: the node refuses to start and says where it looked.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { KANBAN_SECRET, WIP_LIMIT, signInRefusals, twoPeople } from "./kanban.mjs";

const SOURCE = process.cwd();
const BUILD = process.env.COHORT_BUILD_DIR;
const START_MS = 15_000;
let tmp, prefix;

before(() => {
  assert.ok(BUILD, "COHORT_BUILD_DIR must name the build to install");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cohort-package-"));
  prefix = path.join(tmp, "prefix");
  execFileSync("cmake", ["--install", BUILD, "--prefix", prefix], { stdio: "pipe" });
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Starts bin with args in cwd; resolves {port, stop} on its "listening" line, rejects when it
// exits first or says nothing within START_MS.
function serve(bin, args, cwd) {
  const proc = spawn(bin, ["serve", "--port", "0", ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (proc.kill("SIGKILL"), reject(new Error(`no listening line in ${START_MS} ms:\n${out}`))), START_MS);
    const read = (chunk) => {
      out += chunk;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) clearTimeout(timer), resolve({ port: Number(m[1]), stop: () => stop(proc) });
    };
    proc.stdout.on("data", read);
    proc.stderr.on("data", read);
    proc.on("exit", (code) => (clearTimeout(timer), reject(Object.assign(new Error(`exited ${code}:\n${out}`), { code, out }))));
  });
}

function stop(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve();
    proc.on("exit", resolve);
    proc.kill("SIGTERM");
  });
}

async function get(port, p) {
  const res = await fetch(`http://127.0.0.1:${port}${p}`);
  return { status: res.status, body: await res.text() };
}

// The pages a browser needs for a live view: the page itself, Cohort's script, both bundles.
async function servesLivePages(port) {
  const page = await get(port, "/counter");
  assert.equal(page.status, 200);
  assert.match(page.body, /data-phx-main/);
  for (const asset of ["/assets/cohort_live.js", "/assets/vendor/phoenix.min.js", "/assets/vendor/phoenix_live_view.min.js"])
    assert.equal((await get(port, asset)).status, 200, asset);
  assert.equal((await get(port, "/")).status, 200);
}

function dataDir(name) {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

test("the installed cohort serve, started from an empty directory, serves the demos", async () => {
  const empty = fs.mkdtempSync(path.join(tmp, "empty-"));
  const node = await serve(path.join(prefix, "bin", "cohort"), ["--data-dir", dataDir("data-installed")], empty);
  try {
    await servesLivePages(node.port);
    // The JavaScript client: an npm package under share/cohort/clients/js, and the ES modules a
    // page without a bundler imports (static/js-counter.html), served from the prefix.
    const pkg = JSON.parse(fs.readFileSync(path.join(prefix, "share", "cohort", "clients", "js", "package.json"), "utf8"));
    assert.equal(pkg.name, "@cohort/client");
    const client = await get(node.port, "/assets/vendor/cohort-client/index.js");
    assert.equal(client.status, 200);
    assert.equal(client.body, fs.readFileSync(path.join(prefix, "share", "cohort", "clients", "js", "index.js"), "utf8"));
    for (const m of ["/assets/vendor/phoenix.mjs", "/assets/vendor/fast-json-patch/index.mjs", "/js-counter.html"])
      assert.equal((await get(node.port, m)).status, 200, m);
    // The admin dashboard's template was found under the prefix (share/cohort/operator): /admin
    // exists, for admins only (404 would mean the node went without it).
    assert.equal((await get(node.port, "/admin")).status, 403);
  } finally {
    await node.stop();
  }
});

function cmake(args) {
  try {
    return execFileSync("cmake", args, { stdio: "pipe", encoding: "utf8" });
  } catch (e) {
    throw new Error(`cmake ${args.join(" ")} failed:\n${e.stdout}\n${e.stderr}`);
  }
}

// Configures and builds examples/<app> from its own CMakeLists.txt against the prefix alone, and
// checks that its build sees no source-tree header: only the prefix's public headers.
function buildExample(app, build, extra = []) {
  cmake(["-S", path.join(SOURCE, "examples", app), "-B", build, "-G", "Ninja", `-DCMAKE_PREFIX_PATH=${prefix}`,
    "-DCMAKE_BUILD_TYPE=RelWithDebInfo", "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache", ...extra]);
  cmake(["--build", build]);
  const commands = fs.readFileSync(path.join(build, "build.ninja"), "utf8");
  assert.ok(!commands.includes(path.join(SOURCE, "src")), `the ${app} build must not see Cohort's src/`);
  assert.ok(!commands.includes(path.join(SOURCE, "include")), `the ${app} build must not see Cohort's include/`);
  assert.ok(commands.includes(path.join(prefix, "include")));
}

test("examples/demo builds against the installed package alone and serves its pages", async () => {
  const build = path.join(tmp, "demo-build");
  buildExample("demo", build);
  const share = path.join(prefix, "share", "cohort");
  const node = await serve(path.join(build, "cohort_demo"), ["--data-dir", dataDir("data-demo"),
    "--static-dir", path.join(share, "static"), "--templates-dir", path.join(share, "templates"),
    "--assets-dir", path.join(share, "node_modules")], tmp);
  try {
    await servesLivePages(node.port);
  } finally {
    await node.stop();
  }
});

const kanbanBuild = () => path.join(tmp, "kanban-build");

test("examples/kanban builds against the installed package alone, passes its unit tests and serves two people", async (t) => {
  const build = kanbanBuild();
  buildExample("kanban", build, ["-DKANBAN_TESTS=ON"]);
  // The build directory is the app's runtime tree: Cohort's assets and bundles copied from the prefix.
  for (const file of ["bin/kanban", "templates/board.html", "static/kanban.css", "static/assets/cohort_live.js",
    "static/assets/cohort_hooks.js", "static/assets/cohort.css", "node_modules/phoenix/priv/static/phoenix.min.js",
    "node_modules/phoenix_live_view/priv/static/phoenix_live_view.min.js"])
    assert.ok(fs.existsSync(path.join(build, file)), `${file} in the kanban build`);
  const unit = spawnSync(path.join(build, "bin", "board_store_test"), ["--gtest_brief=1"], { encoding: "utf8", timeout: 60_000 });
  assert.equal(unit.status, 0, `board_store_test:\n${unit.stdout}\n${unit.stderr}`);
  t.diagnostic(`board_store_test: ${/\[  PASSED  \] \d+ tests?/.exec(unit.stdout)?.[0]}`);

  const node = await serve(path.join(build, "bin", "kanban"), ["--data-dir", dataDir("data-kanban"),
    "--secret", KANBAN_SECRET, "--wip-limit", String(WIP_LIMIT)], tmp);
  try {
    const url = `http://127.0.0.1:${node.port}`;
    await signInRefusals(t, url);
    await twoPeople(t, url);
  } finally {
    await node.stop();
  }
});

test("examples/kanban installed to a prefix of its own serves from there, started from an empty directory", async () => {
  const own = path.join(tmp, "kanban-prefix");
  cmake(["--install", kanbanBuild(), "--prefix", own]);
  const empty = fs.mkdtempSync(path.join(tmp, "empty-"));
  const node = await serve(path.join(own, "bin", "kanban"), ["--data-dir", dataDir("data-kanban-installed")], empty);
  try {
    for (const asset of ["/login", "/kanban.css", "/assets/cohort_live.js", "/assets/vendor/phoenix_live_view.min.js"])
      assert.equal((await get(node.port, asset)).status, 200, asset);
    const board = await fetch(`http://127.0.0.1:${node.port}/board/main`, { redirect: "manual" });
    assert.equal(board.status, 302);
    assert.equal(board.headers.get("location"), "/login?then=/board/main");
    // The admin dashboard, from the app's own operator/: for admins only, so the app's identify
    // hook sends someone not signed in to its sign-in first (404 would mean no dashboard).
    const admin = await fetch(`http://127.0.0.1:${node.port}/admin`, { redirect: "manual" });
    assert.equal(admin.status, 302);
    assert.match(admin.headers.get("location"), /^\/login\?then=/);
  } finally {
    await node.stop();
  }
});

test("pkg-config describes the installed package", () => {
  const env = { ...process.env, PKG_CONFIG_PATH: path.join(prefix, "lib", "pkgconfig") };
  const pc = (...args) => execFileSync("pkg-config", args, { env, encoding: "utf8" }).trim();
  assert.equal(pc("--modversion", "cohort"), "0.2.0");
  // The .pc file finds its prefix from where it lies (${pcfiledir}): wherever --prefix put it.
  const include = /-I(\S*prefix\S*)/.exec(pc("--cflags", "cohort"))?.[1];
  assert.equal(include && fs.realpathSync(include), fs.realpathSync(path.join(prefix, "include")));
  assert.match(pc("--libs", "cohort"), /-lcohort_app .*-lcohort_net/);
});

test("a missing runtime directory stops the node at start-up with where it looked", async () => {
  const templates = path.join(prefix, "share", "cohort", "templates");
  fs.renameSync(templates, templates + ".away");
  try {
    const failed = await serve(path.join(prefix, "bin", "cohort"), ["--data-dir", dataDir("data-missing")], tmp).then(
      (node) => node.stop().then(() => assert.fail("the node started without its templates")),
      (e) => e);
    assert.equal(failed.code, 1);
    assert.match(failed.out, /no templates directory: looked in .*share\/cohort\/templates/);
    assert.match(failed.out, /--templates-dir/);
  } finally {
    fs.renameSync(templates + ".away", templates);
  }
});
