// alone.test.mjs — Cohort built without the cluster (cmake -DCOHORT_WITH_CLUSTER=OFF), as a user who
// runs one node on SQLite builds it: no hiredis, no libpq.
//
// Configures and builds the libraries and the demo binary from the source tree into
// COHORT_BUILD_DIR/alone (tests and benchmarks off) and installs them to alone/prefix, then checks that the binary links neither library, that
// --cluster and a postgresql:// --storage are refused at start-up with a reason naming the
// build option, and runs the single-node conformance tests (channels, presence, stores, live
// views, lifecycle) against it with the official clients.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const SOURCE = process.cwd();
const BUILD = process.env.COHORT_BUILD_DIR;
const CONFORMANCE = ["channels", "presence", "stores", "live", "lifecycle"];
let alone, bin;

before(() => {
  assert.ok(BUILD, "COHORT_BUILD_DIR must name the main build (the alone build goes beside it)");
  alone = path.join(BUILD, "alone");
  const configure = ["-S", SOURCE, "-B", alone, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                     "-DCOHORT_WITH_CLUSTER=OFF", "-DCOHORT_BUILD_TESTS=OFF", "-DCOHORT_BUILD_BENCH=OFF"];
  execFileSync("cmake", configure, { stdio: "pipe" });
  execFileSync("cmake", ["--build", alone], { stdio: "pipe" });
  // Installed, the binary finds its pages and assets under the prefix (build/alone/.. has none).
  const prefix = path.join(alone, "prefix");
  fs.rmSync(prefix, { recursive: true, force: true });
  execFileSync("cmake", ["--install", alone, "--prefix", prefix], { stdio: "pipe" });
  bin = path.join(prefix, "bin", "cohort");
});

test("the binary links neither hiredis nor libpq", () => {
  const libs = execFileSync("ldd", [bin], { encoding: "utf8" });
  assert.match(libs, /libsqlite3/, "ldd lists the libraries: SQLite is one");
  assert.doesNotMatch(libs, /hiredis/);
  assert.doesNotMatch(libs, /libpq/);
  const config = fs.readFileSync(path.join(alone, "CohortConfig.cmake"), "utf8");
  assert.match(config, /set\(Cohort_WITH_CLUSTER OFF\)/, "find_package(Cohort) will not look for them either");
  assert.doesNotMatch(fs.readFileSync(path.join(alone, "cohort.pc"), "utf8"), /libpq|hiredis/);
});

// Runs `cohort serve` with args in a fresh data directory; it must exit (never listen).
function refusedServe(args) {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), "cohort-alone-"));
  try {
    const run = spawnSync(bin, ["serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", data, ...args],
                          { encoding: "utf8", timeout: 15_000 });
    return { status: run.status, out: run.stdout + run.stderr };
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
}

test("--cluster is refused at start-up, naming the build option", () => {
  const run = refusedServe(["--cluster", "redis://127.0.0.1:6379"]);
  assert.equal(run.status, 2, run.out);  // 2: the settings are wrong
  assert.match(run.out, /cluster is set, but this Cohort was built without the cluster \(COHORT_WITH_CLUSTER=OFF\)/);
  assert.doesNotMatch(run.out, /listening/);
});

test("a PostgreSQL storage is refused at start-up, naming the build option", () => {
  const run = refusedServe(["--storage", "postgresql://cohort@127.0.0.1/cohort"]);
  assert.equal(run.status, 2, run.out);
  assert.match(run.out, /storage is set, but this Cohort was built without PostgreSQL \(COHORT_WITH_CLUSTER=OFF\)/);
});

test("the single-node conformance tests pass against it", () => {
  const files = CONFORMANCE.map((name) => path.join(SOURCE, "tests/conformance", `${name}.test.mjs`));
  // Without NODE_TEST_CONTEXT (set for this file by its own runner) the child reports in TAP.
  const { NODE_TEST_CONTEXT, ...env } = process.env;
  const run = spawnSync(process.execPath, ["--test", "--test-reporter=tap", ...files], {
    cwd: SOURCE, encoding: "utf8", timeout: 600_000, env: { ...env, COHORT_BIN: bin },
  });
  assert.equal(run.status, 0, `${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`);
  const passed = /# pass (\d+)/.exec(run.stdout);
  assert.ok(passed && Number(passed[1]) > 20, `the files' tests ran: ${passed && passed[1]}`);
  assert.match(run.stdout, /# fail 0/);
  assert.match(run.stdout, /# skipped 0/);
});
