// types.test.mjs — the client's TypeScript declarations (clients/js/index.d.ts) compile, under
// --strict, against the official phoenix client's types, for what an app does with them, and
// refuse the misuses clients/js/test/types_check.ts marks @ts-expect-error.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

test("index.d.ts type-checks an app's use and refuses its misuse", () => {
  const tsc = spawnSync("node_modules/.bin/tsc", [
    "--noEmit", "--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext",
    "--types", "phoenix", "clients/js/test/types_check.ts",
  ], { encoding: "utf8", timeout: 120_000 });
  assert.equal(tsc.status, 0, `tsc:\n${tsc.stdout}\n${tsc.stderr}`);
});
