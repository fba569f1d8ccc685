// tally.test.mjs — the tally page in a real Chromium, two visitors at once.
// Needs `npm ci` (playwright-core) and Debian's chromium; ctest runs it when both are there.
// APP_BIN: the built app (ctest sets it).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

// Starts the app on a free port with a data directory of its own; resolves to its URL.
function startApp() {
  const dataDir = mkdtempSync(path.join(tmpdir(), "@app@-test-"));
  const child = spawn(process.env.APP_BIN, ["serve", "--port", "0", "--host", "127.0.0.1", "--data-dir", dataDir],
                      { stdio: ["ignore", "pipe", "inherit"] });
  const stop = () => { child.kill("SIGTERM"); rmSync(dataDir, { recursive: true, force: true }); };
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no "listening" line within 10 s:\n${out}`)), 10_000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const m = /cohort listening on (\S+)/.exec(out);
      if (m) { clearTimeout(timer); resolve({ url: m[1], stop }); }
    });
    child.on("exit", (code) => reject(new Error(`the app exited (${code}):\n${out}`)));
  });
}

test("a click on one page shows on the other", async (t) => {
  const app = await startApp();
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium" });
  t.after(async () => { await browser.close(); app.stop(); });
  const pages = await Promise.all([browser.newContext(), browser.newContext()].map(async (c) => (await c).newPage()));
  for (const page of pages) {
    await page.goto(app.url);
    await page.waitForSelector("[data-phx-main].phx-connected", { timeout: 10_000 });
  }
  await pages[0].click("#add-5");
  await pages[1].waitForFunction(() => document.querySelector("#count")?.textContent === "5", null, { timeout: 10_000 });
  assert.equal(await pages[1].textContent("#count"), "5");
});
