// pg_storage.test.mjs — a node on PostgreSQL storage (--storage postgres://...): acknowledged
// ops survive SIGKILL, and a new node with an empty data dir finds them all (the state comes from
// PostgreSQL, not from the node's disk). PostgreSQL is the test's own, started on loopback by
// tests/support/pg_fixture.sh.
import { after, before, test } from "node:test";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";

import { killAndRestore } from "./crash_check.mjs";

const fixture = path.resolve("tests/support/pg_fixture.sh");
const dir = path.join(os.tmpdir(), `cohort-pg-conformance-${process.pid}`);
let url;
before(() => {
  url = execFileSync(fixture, ["start", dir], { encoding: "utf8", timeout: 30_000 }).trim();
});
after(() => execFileSync(fixture, ["stop", dir], { timeout: 30_000 }));

test("acknowledged ops survive kill -9 on PostgreSQL; a fresh node restores them from it", () =>
  killAndRestore({ args: ["--storage", url], fresh: true }));
