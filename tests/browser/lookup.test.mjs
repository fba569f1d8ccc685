// lookup.test.mjs — a view's async work (assign_async, start_async, cancel_async) in Chromium, on
// the demo's /lookup page, a phone directory that answers slowly: the loading state first (the
// page as first served, before any script, says so too), then the answer or the failure; a
// cancelled lookup says so and its task stops; a page closed mid-lookup stops its task too,
// which another page sees in its "stopped early" count.
import { test } from "node:test";
import assert from "node:assert/strict";
import { liveFile, openPage, waitText, text } from "./browser.mjs";

const file = await liveFile();
const { browser } = file;

async function lookUp(page, name, { slow = false } = {}) {
  await page.fill("#lookup-name", name);
  await page.setChecked("#lookup-slow", slow);
  await page.click("#lookup-go");
}

// Opens /lookup and waits for the directory the page loads in the background to be ready.
async function lookupPage() {
  const page = await openPage(browser, `${file.server.url}/lookup`);
  await waitText(page, "#directory-ready", "4 people listed");
  return page;
}

test("the first render shows the loading state; the live page then shows the answer or the failure", async () => {
  const html = await (await fetch(`${file.server.url}/lookup`)).text();
  assert.match(html, /id="directory-loading">Opening the directory…/);
  assert.doesNotMatch(html, /directory-ready/);

  const page = await lookupPage();
  await lookUp(page, " Ada ");
  await waitText(page, "#answer-ok", "ada: extension 4120");
  await lookUp(page, "nobody");
  await waitText(page, "#answer-failed", "no one called nobody in the directory");
  assert.equal(await page.locator("#answer-ok").count(), 0);

  await page.click("#census");  // start_async: the view's handle_async hears the end
  await waitText(page, "#census-result", "4 people");
  assert.deepEqual(page.errors, []);
});

test("a cancelled lookup says so at once, and its task stops", async () => {
  const page = await lookupPage();
  const before = Number(await text(page, "#abandoned"));
  await lookUp(page, "grace", { slow: true });  // a minute, unless stopped
  await page.locator("#answer-loading").waitFor();
  await page.click("#cancel");
  await waitText(page, "#answer-failed", "cancelled");
  await waitText(page, "#abandoned", String(before + 1));  // the worker saw its stop and returned

  await lookUp(page, "grace");  // the page goes on working
  await waitText(page, "#answer-ok", "grace: extension 4121");
  assert.deepEqual(page.errors, []);
});

test("closing the page stops its lookup; another page sees the count", async () => {
  const watcher = await lookupPage();
  const leaver = await lookupPage();
  const before = Number(await text(watcher, "#abandoned"));
  await lookUp(leaver, "linus", { slow: true });
  await leaver.locator("#answer-loading").waitFor();
  await leaver.context().close();
  await waitText(watcher, "#abandoned", String(before + 1));
  await lookUp(watcher, "linus");
  await waitText(watcher, "#answer-ok", "linus: extension 4122");
});
