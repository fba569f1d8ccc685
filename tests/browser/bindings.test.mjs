// bindings.test.mjs — the official client's bindings and JS commands against a Cohort view, in
// Chromium, on the demo's /bindings page: each binding's effect is read from the page (what the
// server counted, or what the client did by itself), and client-side changes survive a server
// render.
import { test } from "node:test";
import assert from "node:assert/strict";
import { liveFile, openPage, waitText } from "./browser.mjs";

const file = await liveFile();
const { browser } = file;

test("JS commands: push with a value; show, hide and toggle; add_class, dispatch and transition", async () => {
  const page = await openPage(browser, `${file.server.url}/bindings`);
  await page.click("#push");
  await waitText(page, "#pushed", "1");
  assert.equal(await page.textContent("#last-by"), "2");

  assert.equal(await page.isVisible("#panel"), false);
  await page.click("#toggle");
  await page.locator("#panel").waitFor({ state: "visible" });
  await page.click("#push");  // a server render does not undo what the client did
  await waitText(page, "#pushed", "2");
  assert.equal(await page.isVisible("#panel"), true);
  await page.click("#hide");
  await page.locator("#panel").waitFor({ state: "hidden" });
  await page.click("#show");
  await page.locator("#panel").waitFor({ state: "visible" });

  await page.evaluate(() => {
    window.heated = 0;
    document.querySelector("#box").addEventListener("cohort:heated", () => window.heated++);
  });
  await page.click("#heat");
  await page.waitForFunction(() => document.querySelector("#box").classList.contains("hot") && window.heated === 1);
  await page.click("#push");
  await waitText(page, "#pushed", "3");
  assert.equal(await page.evaluate(() => document.querySelector("#box").classList.contains("hot")), true);
  await page.click("#fade");  // the transition class comes, then goes after its time
  await page.waitForFunction(() => !document.querySelector("#box").classList.contains("fading"));
  assert.deepEqual(page.errors, []);
});

test("click-away, window keys with phx-key, throttle, debounce on blur, disable-with and JS.push's page loading", async () => {
  const page = await openPage(browser, `${file.server.url}/bindings`);
  await page.click("#menu");  // inside: not away
  await page.click("h1");     // outside
  await waitText(page, "#away", "1");

  await page.keyboard.press("a");  // not the phx-key
  await page.keyboard.press("Escape");
  await waitText(page, "#escapes", "1");

  for (let i = 0; i < 5; i++) await page.click("#tick");
  await waitText(page, "#ticks", "1");  // the first at once; the rest wait for the 2 s interval

  await page.fill("#note-text", "hello");
  assert.equal(await page.textContent("#typed"), "");  // nothing sent while typing
  await page.click("h1");  // blur
  await waitText(page, "#typed", "hello");

  await page.evaluate(() => {
    window.loading = [];
    window.addEventListener("phx:page-loading-start", () => window.loading.push("start"));
    window.addEventListener("phx:page-loading-stop", () => window.loading.push("stop"));
  });
  await page.click("#save");
  await waitText(page, "#saves", "1");
  await page.waitForFunction(() => window.loading.includes("start") && window.loading.includes("stop"));
  assert.equal(await page.textContent("#save"), "Save");  // phx-disable-with restored after the reply
  assert.equal(await page.isDisabled("#save"), false);
  assert.deepEqual(page.errors, []);
});
