// list.test.mjs — the shared list in two browsers: a phx-change form, adding, reordering and
// removing keyed rows, and the activity stream.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { liveFile, openPage, waitText, waitTexts, texts, shot } from "./browser.mjs";

// The node and the browser of this file (started before the first test, gone after the last).
const file = await liveFile();
const { browser } = file;

async function add(page, words) {
  await page.fill("#item-text", words);
  await page.click("#add");
}

test("form change validates as the user types; submit adds for everyone", async () => {
  const a = await openPage(browser, `${file.server.url}/list`);
  const b = await openPage(browser, `${file.server.url}/list`);
  await a.locator("#empty").waitFor();

  await a.fill("#item-text", "x".repeat(205));  // phx-change on every input
  await waitText(a, "#hint", "Too long: 205 of 200 characters");
  await a.fill("#item-text", "milk");
  await waitText(a, "#hint", "");

  await add(a, "milk");
  await waitTexts(b, "#items .text", ["milk"]);
  await add(b, "bread");
  await add(a, "eggs");
  await waitTexts(a, "#items .text", ["milk", "bread", "eggs"]);
  await waitTexts(b, "#items .text", ["milk", "bread", "eggs"]);
  assert.equal(await b.locator("#empty").count(), 0);
  // The activity stream: newest first, for everyone.
  await b.locator("#activity li", { hasText: "added “eggs”" }).waitFor();
  assert.deepEqual([...a.errors, ...b.errors], []);
});

test("reorder and remove in one browser show in the other, rows keyed by id", async () => {
  const a = await openPage(browser, `${file.server.url}/list`);
  const b = await openPage(browser, `${file.server.url}/list`);
  await waitTexts(b, "#items .text", ["milk", "bread", "eggs"]);
  // Mark b's DOM node for "eggs" (a JS property: the DOM patch would reset an attribute): a
  // keyed move must keep the element, not rebuild it.
  await b.locator("#items li", { hasText: "eggs" }).evaluate((el) => (el.cohortMark = "kept"));

  await a.locator("#items li", { hasText: "eggs" }).locator(".up").click();
  await waitTexts(b, "#items .text", ["milk", "eggs", "bread"]);
  await a.locator("#items li", { hasText: "eggs" }).locator(".up").click();
  await waitTexts(b, "#items .text", ["eggs", "milk", "bread"]);
  assert.equal(await b.locator("#items li", { hasText: "eggs" }).evaluate((el) => el.cohortMark), "kept");

  await b.locator("#items li", { hasText: "milk" }).locator(".remove").click();
  await waitTexts(a, "#items .text", ["eggs", "bread"]);
  await waitTexts(b, "#items .text", ["eggs", "bread"]);
  await shot(a, "list");
  assert.deepEqual(await texts(a, "#items .text"), ["eggs", "bread"]);
  assert.deepEqual([...a.errors, ...b.errors], []);
});

test("a new item flashes in the other browser: the server's push_event reaches the Highlight hook", async () => {
  const a = await openPage(browser, `${file.server.url}/list`);
  const b = await openPage(browser, `${file.server.url}/list`);
  // Record every element of b's list that gets the highlight class, from now on.
  await b.evaluate(() => {
    window.__flashed = [];
    new MutationObserver((records) => {
      for (const r of records)
        if (r.target.classList.contains("highlight") && !window.__flashed.includes(r.target.id)) window.__flashed.push(r.target.id);
    }).observe(document.getElementById("items"), { subtree: true, attributes: true, attributeFilter: ["class"] });
  });
  await add(a, "tea");
  const row = b.locator("#items li", { hasText: "tea" });
  await row.waitFor();
  const id = await row.getAttribute("id");
  await b.waitForFunction((want) => window.__flashed.includes(want), id);
  assert.deepEqual(await b.evaluate(() => window.__flashed), [id], "only the new row flashed");
  assert.deepEqual([...a.errors, ...b.errors], []);
});
