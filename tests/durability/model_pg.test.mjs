// model_pg.test.mjs — the model-based persistence run (model_run.mjs) on PostgreSQL storage, a
// server of the file's own on loopback (tests/conformance/pg.mjs). Settings as model.test.mjs.
import { test } from "node:test";

import { pgForFile } from "../conformance/pg.mjs";
import { modelRuns } from "./model_settings.mjs";
import { modelRun } from "./model_run.mjs";

const db = pgForFile("model");
for (const run of modelRuns({ seeds: [21], rounds: 5, ops: 150 }))
  test(`PostgreSQL, seed ${run.seed}: ${run.rounds} kills, ${run.ops} ops a round, every acknowledged state loads again`, { timeout: run.timeoutMs }, async () => {
    const stats = await modelRun({ seed: run.seed, rounds: run.rounds, opsPerRound: run.ops, storageArgs: ["--storage", db.url], log: run.log });
    console.log(JSON.stringify(stats));
  });
