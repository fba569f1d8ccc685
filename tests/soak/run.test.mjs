// run.test.mjs — the short soak of the test command: 45 s of mixed traffic and faults on one
// node (SQLite), then 45 s on a cluster (two nodes, Redis, PostgreSQL); nothing acknowledged is
// lost or doubled, every follower, presence list and live view converges, RSS comes back.
// The long run: node tools/bench/soak.mjs --minutes 30 (docs/benchmarks.md).
import assert from "node:assert/strict";
import { test } from "node:test";

import { soak } from "./soak_run.mjs";

const log = process.env.COHORT_SOAK_LOG ? (line) => console.log(line) : () => {};

for (const mode of ["single", "cluster"]) {
  test(`soak, ${mode}: faults injected, nothing lost, everything converges`, { timeout: 110_000 }, async () => {
    const report = await soak({ mode, seconds: 45, seed: mode === "single" ? 7 : 8, log });
    console.log(JSON.stringify(report));
    assert.deepEqual(report.problems, []);
    assert.ok(report.ops.acked > 500, `ops acknowledged: ${report.ops.acked}`);
    assert.ok(Object.values(report.faults).reduce((a, b) => a + b, 0) >= 3, `faults: ${JSON.stringify(report.faults)}`);
    assert.equal(report.lost, 0);
    assert.equal(report.duplicated, 0);
    assert.equal(report.diverged, 0);
  });
}
