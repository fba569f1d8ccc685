// scaffold.test.mjs — `cohort new` and `cohort gen live` as a new user meets them: the installed
// `cohort` writes an app into an empty directory; it configures and builds against the installed
// package (find_package(Cohort), nothing of the source tree); its own tests pass at once (the
// store and view tests on Cohort::testing, and its browser test in Chromium); it serves its
// page; `gen live` adds a view whose test passes too; bad names and non-empty directories are
// refused before anything is written. Timings of each step go to the TAP diagnostics.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const SOURCE = process.cwd();
const BUILD = process.env.COHORT_BUILD_DIR;
let tmp, prefix, cohort;

before(() => {
  assert.ok(BUILD, "COHORT_BUILD_DIR must name the build to install");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cohort-scaffold-"));
  prefix = path.join(tmp, "prefix");
  execFileSync("cmake", ["--install", BUILD, "--prefix", prefix], { stdio: "pipe" });
  cohort = path.join(prefix, "bin", "cohort");
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Runs a command; fails the test with its output unless it exits 0. Returns its stdout and seconds.
function run(cmd, args, opts = {}) {
  const started = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 600_000, ...opts });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  assert.equal(r.status, 0, `${cmd} ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`);
  return { out: r.stdout, seconds };
}

function files(dir) {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)))
    .sort();
}

// Serves bin from its build directory; resolves to the first GET / once it answers.
function firstPage(bin) {
  const proc = spawn(bin, ["serve", "--port", "0", "--data-dir", path.join(tmp, "data")], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (proc.kill("SIGKILL"), reject(new Error(`no listening line:\n${out}`))), 15_000);
    let asked = false;
    proc.stdout.on("data", async (chunk) => {
      out += chunk;
      const m = /cohort listening on (http:\/\/\S+)/.exec(out);
      if (!m || asked) return;
      asked = true;
      clearTimeout(timer);
      const res = await fetch(m[1] + "/");
      const body = await res.text();
      const client = await fetch(m[1] + "/assets/vendor/cohort-client/index.js");
      await client.arrayBuffer();
      proc.kill("SIGTERM");
      resolve({ status: res.status, body, client: client.status });
    });
    proc.on("exit", (code) => (clearTimeout(timer), asked || reject(new Error(`exited ${code}:\n${out}`))));
  });
}

test("cohort new: an app that builds against the installed package and passes its own tests", async (t) => {
  const app = path.join(tmp, "tally");
  const made = run(cohort, ["new", "tally", "--dir", app]);
  assert.deepEqual(files(app), [
    ".gitignore", "CMakeLists.txt", "README.md", "main.cpp", "package.json",
    "src/tally_store.cpp", "src/tally_store.hpp", "src/tally_view.cpp", "src/tally_view.hpp",
    "static/app.css", "templates/tally.html",
    "tests/browser/tally.test.mjs", "tests/tally_store_test.cpp", "tests/tally_view_test.cpp",
  ]);
  assert.doesNotMatch(fs.readFileSync(path.join(app, "main.cpp"), "utf8"), /@app@/);
  // npm ci would install these; the suite's own node_modules holds the same pinned packages.
  fs.symlinkSync(path.join(SOURCE, "node_modules"), path.join(app, "node_modules"));
  const configure = run("cmake", ["-S", app, "-B", path.join(app, "build"), "-G", "Ninja", `-DCMAKE_PREFIX_PATH=${prefix}`,
                                  "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"]);
  const build = run("cmake", ["--build", path.join(app, "build")]);
  // Without NODE_TEST_CONTEXT, which this test runs under: with it the app's `node --test` would
  // report to a parent that is not there and run nothing.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const tests = run("ctest", ["--test-dir", path.join(app, "build"), "--output-on-failure", "-V"], { env });
  assert.match(tests.out, /100% tests passed, 0 tests failed out of 3/);
  assert.match(tests.out, /ok 1 - a click on one page shows on the other/);  // it ran in Chromium
  for (const name of ["tally_store_test", "tally_view_test", "browser_tally"]) assert.match(tests.out, new RegExp(name));
  const started = process.hrtime.bigint();
  const page = await firstPage(path.join(app, "build", "bin", "tally"));
  const served = Number(process.hrtime.bigint() - started) / 1e9;
  assert.equal(page.status, 200);
  assert.match(page.body, /<h1 id="count">0<\/h1>/);
  assert.equal(page.client, 200, "the app serves Cohort's JavaScript client");
  t.diagnostic(`new ${made.seconds.toFixed(2)} s, configure ${configure.seconds.toFixed(1)} s, ` +
               `build ${build.seconds.toFixed(1)} s, tests ${tests.seconds.toFixed(1)} s, first page ${served.toFixed(2)} s`);

  // A second page: gen live writes it and its test, which passes once built.
  run(cohort, ["gen", "live", "stats", "--dir", app]);
  for (const f of ["src/stats_view.hpp", "src/stats_view.cpp", "templates/stats.html", "tests/stats_view_test.cpp"])
    assert.ok(fs.existsSync(path.join(app, f)), f);
  run("cmake", ["--build", path.join(app, "build")]);
  const again = run("ctest", ["--test-dir", path.join(app, "build"), "--output-on-failure", "-R", "stats_view_test"]);
  assert.match(again.out, /100% tests passed, 0 tests failed out of 1/);
  const twice = spawnSync(cohort, ["gen", "live", "stats", "--dir", app], { encoding: "utf8" });
  assert.equal(twice.status, 2);
  assert.match(twice.stderr, /exists: nothing was written/);
});

test("cohort new refuses bad names and a directory that is not empty, writing nothing", () => {
  for (const [name, why] of [["class", /C\+\+ keyword/], ["Bad-Name", /lower-case/], ["9lives", /starting with a letter/]]) {
    const dir = path.join(tmp, `refused-${name}`);
    const r = spawnSync(cohort, ["new", name, "--dir", dir], { encoding: "utf8" });
    assert.equal(r.status, 2, name);
    assert.match(r.stderr, why);
    assert.equal(fs.existsSync(dir), false);
  }
  const full = path.join(tmp, "full");
  fs.mkdirSync(full);
  fs.writeFileSync(path.join(full, "keep.txt"), "mine");
  const r = spawnSync(cohort, ["new", "tally", "--dir", full], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /is not empty/);
  assert.deepEqual(fs.readdirSync(full), ["keep.txt"]);
  const usage = spawnSync(cohort, ["new"], { encoding: "utf8" });
  assert.equal(usage.status, 2);
  assert.match(usage.stderr, /usage: cohort new APP/);
});
