// crash.test.mjs — acknowledged store ops survive SIGKILL with the embedded SQLite storage
// (see crash_check.mjs for what is checked).
import { test } from "node:test";

import { killAndRestore } from "./crash_check.mjs";

test("acknowledged ops survive kill -9; versions continue; rejected ops never appear", () => killAndRestore());
