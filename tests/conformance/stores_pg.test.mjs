// stores_pg.test.mjs — the stores suite (stores_suite.mjs) on PostgreSQL storage: the same
// behaviour, from a PostgreSQL of the test's own (tests/support/pg_fixture.sh, loopback).
import { after, before } from "node:test";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";

import { storesSuite } from "./stores_suite.mjs";

const fixture = path.resolve("tests/support/pg_fixture.sh");
const dir = path.join(os.tmpdir(), `cohort-pg-stores-${process.pid}`);
let url;
before(() => {
  url = execFileSync(fixture, ["start", dir], { encoding: "utf8", timeout: 30_000 }).trim();
});
after(() => execFileSync(fixture, ["stop", dir], { timeout: 30_000 }));

storesSuite("stores (PostgreSQL)", () => ["--storage", url]);
