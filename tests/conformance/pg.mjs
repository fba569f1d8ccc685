// pg.mjs — a PostgreSQL of the test file's own, on loopback (tests/support/pg_fixture.sh):
// started before the file's first test, stopped after its last. Call pgForFile() at the top
// level of the file, before the hooks that need db.url.
import { after, before } from "node:test";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";

const fixture = path.resolve("tests/support/pg_fixture.sh");

export function pgForFile(name) {
  const db = { url: null, dir: path.join(os.tmpdir(), `cohort-pg-${name}-${process.pid}`) };
  before(() => {
    db.url = execFileSync(fixture, ["start", db.dir], { encoding: "utf8", timeout: 30_000 }).trim();
  });
  after(() => execFileSync(fixture, ["stop", db.dir], { timeout: 30_000 }));
  return db;
}
