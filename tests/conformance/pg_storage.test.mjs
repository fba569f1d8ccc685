// pg_storage.test.mjs — a node on PostgreSQL storage (--storage postgres://...): acknowledged
// ops survive SIGKILL, and a new node with an empty data dir finds them all (the state comes from
// PostgreSQL, not from the node's disk). PostgreSQL is the test's own, started on loopback by
// tests/support/pg_fixture.sh.
import { test } from "node:test";

import { killAndRestore } from "./crash_check.mjs";
import { pgForFile } from "./pg.mjs";

const db = pgForFile("conformance");

test("acknowledged ops survive kill -9 on PostgreSQL; a fresh node restores them from it", () =>
  killAndRestore({ args: ["--storage", db.url], fresh: true }));
