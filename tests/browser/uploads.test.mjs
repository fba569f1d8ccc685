// uploads.test.mjs — live uploads with the official phoenix_live_view client in Chromium, on the
// demo's incident report: a 5 MB file goes up in chunks with its progress shown as it arrives,
// and once attached every viewer sees it; a file too big, one of a type not accepted and one
// file too many are refused with LiveView's reasons shown in the page (and the submit held
// back); a removed file is never uploaded; no temporary file is left once the upload is consumed;
// an auto upload (the /bindings page's) goes as soon as it is chosen and is consumed by its
// progress callback.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

import { liveFile, openPage, shot, waitTexts, WAIT_MS } from "./browser.mjs";

const file = await liveFile();
const { browser } = file;

const input = "#attach-form input[type=file]";
const MB = 1_000_000;
const bytes = (n, fill = 0x61) => Buffer.alloc(n, fill);

// The files left in the node's upload directory (mode and names checked by the security test).
const tempFiles = () => fs.readdirSync(path.join(file.server.dataDir, "uploads"));

// Records every value the page's progress bars take (the client re-renders them from diffs).
async function watchProgress(page) {
  await page.evaluate(() => {
    window.progressSeen = [];
    const record = (el) => window.progressSeen.push(Number(el.getAttribute("value")));
    new MutationObserver((changes) => {
      for (const c of changes) {
        if (c.type === "attributes" && c.target.matches("progress")) record(c.target);
        for (const n of c.addedNodes ?? []) if (n.nodeType === 1) n.querySelectorAll?.("progress").forEach(record);
      }
    }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["value"] });
  });
}

test("a 5 MB file uploads in chunks with live progress, and every viewer sees the attachment", async () => {
  const a = await openPage(browser, `${file.server.url}/incident`);
  const b = await openPage(browser, `${file.server.url}/incident`);
  await watchProgress(a);
  await a.setInputFiles(input, { name: "diagram.png", mimeType: "image/png", buffer: bytes(5 * MB) });
  await a.locator(".upload-entry .entry-name", { hasText: "diagram.png" }).waitFor();
  await a.click("#attach-submit");

  for (const p of [a, b]) await p.locator("#attachment-list .attachment", { hasText: "diagram.png · 5.0 MB" }).waitFor();
  await a.locator(".upload-entry").waitFor({ state: "detached" });  // consumed: the entry is gone
  const seen = await a.evaluate(() => window.progressSeen);
  const between = [...new Set(seen.filter((v) => v > 0 && v < 100))];
  // 5 MB in 64 kB chunks is ~78 chunks: the page shows many steps, not just 0 and 100.
  assert.ok(between.length >= 10, `progress steps seen in the page: ${JSON.stringify([...new Set(seen)])}`);
  assert.ok(seen.every((v, i) => i === 0 || v >= seen[i - 1] || v === 0), `progress only grows: ${JSON.stringify(seen)}`);
  assert.deepEqual(tempFiles(), [], "the consumed file is deleted");
  await shot(a, "uploads-attached");

  // A viewer who comes later sees it too (it is in the report's store).
  const c = await openPage(browser, `${file.server.url}/incident`);
  await c.locator("#attachment-list .attachment", { hasText: "diagram.png · 5.0 MB" }).waitFor();
  assert.deepEqual([...a.errors, ...b.errors, ...c.errors], []);
  for (const p of [a, b, c]) await p.context().close();
});

test("too big, not accepted and too many files are refused with LiveView's reasons, and nothing is attached", async () => {
  const a = await openPage(browser, `${file.server.url}/incident`);
  const before = await a.locator("#attachment-list .attachment").count();

  await a.setInputFiles(input, [
    { name: "huge.png", mimeType: "image/png", buffer: bytes(10 * MB + 1) },
    { name: "tool.exe", mimeType: "application/x-msdownload", buffer: bytes(1000) },
  ]);
  await waitTexts(a, ".upload-entry .entry-error", ["too_large", "not_accepted"]);
  await a.click("#attach-submit");  // held back by the client: the input has errors
  for (const name of ["huge.png", "tool.exe"]) await a.locator(".upload-entry", { hasText: name }).locator(".entry-cancel").click();
  await a.locator(".upload-entry").first().waitFor({ state: "detached" });

  await a.setInputFiles(input, ["one", "two", "three", "four"].map((n) => ({ name: `${n}.txt`, mimeType: "text/plain", buffer: bytes(100) })));
  await a.locator("#upload-error-too_many_files").waitFor();
  assert.equal(await a.locator(".upload-entry").count(), 4);
  await shot(a, "uploads-refused");
  await a.click("#attach-submit");
  // Removing one brings the upload back within max_entries: the error goes.
  await a.locator(".upload-entry", { hasText: "four.txt" }).locator(".entry-cancel").click();
  await a.locator("#upload-error-too_many_files").waitFor({ state: "detached" });
  assert.equal(await a.locator("#attachment-list .attachment").count(), before, "nothing was attached");
  assert.deepEqual(tempFiles(), [], "nothing was written");
  assert.deepEqual(a.errors, []);
  await a.context().close();
});

test("a file removed before the submit is never uploaded; the others are", async () => {
  const a = await openPage(browser, `${file.server.url}/incident`);
  await a.setInputFiles(input, [
    { name: "keep.txt", mimeType: "text/plain", buffer: bytes(2000) },
    { name: "drop.txt", mimeType: "text/plain", buffer: bytes(3000) },
  ]);
  await a.locator(".upload-entry", { hasText: "drop.txt" }).locator(".entry-cancel").click();
  await a.locator(".upload-entry", { hasText: "drop.txt" }).waitFor({ state: "detached" });
  await a.click("#attach-submit");
  await a.locator("#attachment-list .attachment", { hasText: "keep.txt · 2.0 KB" }).waitFor();
  await a.locator(".upload-entry").first().waitFor({ state: "detached", timeout: WAIT_MS });
  assert.equal(await a.locator("#attachment-list .attachment", { hasText: "drop.txt" }).count(), 0);
  assert.deepEqual(tempFiles(), []);
  assert.deepEqual(a.errors, []);
  await a.context().close();
});

test("an auto upload goes up as soon as the file is chosen, and its progress callback consumes it", async () => {
  const a = await openPage(browser, `${file.server.url}/bindings`);
  await watchProgress(a);
  await a.setInputFiles("#quick-form input[type=file]", { name: "quick.bin", mimeType: "application/octet-stream", buffer: bytes(95_000) });
  await a.locator("#received", { hasText: "quick.bin (95000 bytes)" }).waitFor();
  await a.locator(".quick-entry").waitFor({ state: "detached" });
  const seen = await a.evaluate(() => window.progressSeen);
  assert.ok(new Set(seen.filter((v) => v > 0 && v < 100)).size >= 3, `progress steps: ${JSON.stringify(seen)}`);
  // Too big for this upload: refused at once, the reason shown, nothing received.
  await a.setInputFiles("#quick-form input[type=file]", { name: "big.bin", mimeType: "application/octet-stream", buffer: bytes(1_000_001) });
  await a.locator(".quick-entry .entry-error", { hasText: "too_large" }).waitFor();
  assert.equal(await a.locator("#received").textContent(), "quick.bin (95000 bytes)");
  assert.deepEqual(tempFiles(), []);
  assert.deepEqual(a.errors, []);
  await a.context().close();
});
