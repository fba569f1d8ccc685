// live.test.mjs (test bench_live) — `cohort-bench live` (tools/bench/live.cpp) against a real node: a few
// live views of /counter opened as the official client opens them, every diff merged into each
// view's tree; mount, change, sustained and events each finish with no failure and report the
// counts they were asked for, and the counter the page shows afterwards is what their clicks made.
// The bench binary comes from COHORT_BENCH (tests/bench/tests.cmake). Every run is bounded
// (execFile timeout, and the bench's own --setup-timeout / --round-timeout).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";

import { httpRequest } from "../conformance/wire.mjs";
import { shownCount } from "../conformance/live_client.mjs";
import { startServer } from "../conformance/server.mjs";

const VIEWS = 20;
let server;

function benchBin() {
  const bin = process.env.COHORT_BENCH;
  if (!bin) throw new Error("COHORT_BENCH is not set: point it at build/tools/bench/cohort-bench (ctest sets it)");
  fs.accessSync(bin, fs.constants.X_OK);
  return bin;
}

// Runs `cohort-bench live <mode> ...` on /counter; resolves {code, result, stdout, stderr}.
function bench(mode, args) {
  const argv = ["live", mode, "--page", `${server.url}/counter`, "--server-pid", String(server.proc.pid),
    "--setup-timeout", "20", "--round-timeout", "10", ...args];
  return new Promise((resolve) => {
    execFile(benchBin(), argv, { timeout: 60_000 }, (err, stdout, stderr) => {
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
      resolve({ code: err ? (err.code ?? err.signal) : 0, result: line ? JSON.parse(line.slice(7)) : null, stdout, stderr });
    });
  });
}

function assertClean(run, what) {
  const tell = `${what}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
  assert.equal(run.code, 0, tell);
  assert.ok(run.result, tell);
  assert.equal(run.result.failures, 0, tell);
  return run.result;
}

async function count() {
  const res = await httpRequest(`${server.url}/counter`);
  return shownCount(res.body);
}

before(async () => {
  server = await startServer({ args: ["--socket-messages-per-s", "0"] });
});
after(async () => server?.stop());

test("mount: every view joined, its tree holds the count, server memory per view reported", async () => {
  const shown = await count();
  const r = assertClean(await bench("mount", ["--views", String(VIEWS), "--value-after", '<span id="count" class="count">']), "live mount");
  assert.equal(r.views, VIEWS);
  assert.equal(r.joined, VIEWS);
  assert.equal(r.value, shown);
  assert.ok(r.mount_p50_ms > 0 && r.mount_max_ms >= r.mount_p50_ms);
  assert.equal(typeof r.server_rss_per_view, "number");
});

test("change: 3 rounds, each change shown by every view, carried in the clicker's reply", async () => {
  const shown = await count();
  const r = assertClean(await bench("change", ["--views", String(VIEWS), "--rounds", "3"]), "live change");
  assert.equal(r.rounds, 3);
  assert.equal(r.final_value, shown + 3);
  assert.equal(r.missed, 0);
  assert.equal(r.clicker_value_in_reply, 3, "the node answers an inc once its op is done: the reply carries it");
  assert.ok(r.ack_to_view_max_ms >= 0 && r.click_to_view_p50_ms > 0);
  assert.ok(r.bytes_per_view_per_change > 0);
  assert.equal(await count(), shown + 3);
});

test("sustained: 10 changes/s for 1 s, every change answered and shown by every view", async () => {
  const shown = await count();
  const r = assertClean(await bench("sustained", ["--views", String(VIEWS), "--rates", "10", "--duration", "1"]), "live sustained");
  assert.equal(r.steps.length, 1);
  const step = r.steps[0];
  assert.ok(step.clicks >= 10, `clicks ${step.clicks}`);
  assert.equal(step.answered, step.clicks);
  assert.equal(step.refused, 0);
  assert.equal(step.views_at_final, VIEWS);
  assert.equal(step.missed, 0);
  assert.equal(r.final_value, shown + step.clicks);
  assert.equal(await count(), r.final_value);
});

test("events: 2 clickers for 1 s, each reply carries the clicker's own change, viewers end at the total", async () => {
  const shown = await count();
  const r = assertClean(await bench("events", ["--views", String(VIEWS), "--clickers", "2", "--duration", "1"]), "live events");
  assert.equal(r.clickers, 2);
  assert.ok(r.events > 0);
  assert.equal(r.change_in_reply, r.events);
  assert.equal(r.change_later, 0);
  assert.equal(r.final_value, shown + r.events);
  assert.equal(r.views_at_final, VIEWS);
  assert.equal(await count(), r.final_value);
});
