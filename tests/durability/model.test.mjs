// model.test.mjs — the model-based persistence run (model_run.mjs) on the embedded SQLite storage.
// A short seeded run is part of the test command; a long one: COHORT_MODEL_SEEDS=1,2,3
// COHORT_MODEL_ROUNDS=60 COHORT_MODEL_OPS=400 (see docs/stores.md).
import { test } from "node:test";

import { modelRuns } from "./model_settings.mjs";
import { modelRun } from "./model_run.mjs";

for (const run of modelRuns({ seeds: [11, 12], rounds: 6, ops: 150 }))
  test(`SQLite, seed ${run.seed}: ${run.rounds} kills, ${run.ops} ops a round, every acknowledged state loads again`, { timeout: run.timeoutMs }, async () => {
    const stats = await modelRun({ seed: run.seed, rounds: run.rounds, opsPerRound: run.ops, log: run.log });
    console.log(JSON.stringify(stats));
  });
