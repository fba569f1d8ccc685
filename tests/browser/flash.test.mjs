// flash.test.mjs — flash messages with the official client in Chromium: a poll's creator lands
// on the new poll (a live navigation) with "Poll created" shown, and clicking it clears it; a
// page that redirects (a full page load: the flash rides in the __phoenix_flash__ cookie) shows
// its error on the next page once, and not again after a reload; a forged flash cookie shows
// nothing, and the page still serves.
import { test } from "node:test";
import assert from "node:assert/strict";
import { liveFile, openPage, waitText } from "./browser.mjs";

const file = await liveFile();
const { browser } = file;

test("a live navigation carries the flash, and a click clears it", async () => {
  const owner = await openPage(browser, `${file.server.url}/polls`);
  await owner.fill("#poll-question", "Tea or coffee?");
  await owner.fill("#poll-o1", "Tea");
  await owner.fill("#poll-o2", "Coffee");
  await owner.click("#create-poll");
  await waitText(owner, "#question", "Tea or coffee?");
  await waitText(owner, "#flash-info", "Poll created. Share this page's address to let people vote.");
  await owner.click("#flash-info");
  await owner.locator("#flash-info").waitFor({ state: "detached" });
  assert.deepEqual(owner.errors, []);
});

test("a redirect's flash shows once on the next page load", async () => {
  const page = await openPage(browser, `${file.server.url}/polls/Not-A-Poll`);
  assert.match(page.url(), /\/polls$/);
  await waitText(page, "#flash-error", "That is not the address of a poll.");
  const cookies = await page.context().cookies();
  assert.equal(cookies.some((c) => c.name === "__phoenix_flash__" && c.value), false, "the flash cookie is cleared once shown");
  await page.reload();
  await page.locator("[data-phx-main].phx-connected").waitFor();
  assert.equal(await page.locator("#flash-error").count(), 0);
  assert.deepEqual(page.errors, []);
});

test("a forged flash cookie shows nothing", async () => {
  const context = await browser.newContext();
  const url = new URL(file.server.url);
  await context.addCookies([{ name: "__phoenix_flash__", value: "eyJmbGFzaCI6eyJpbmZvIjoiWW91IHdvbiJ9fQ.forged", domain: url.hostname, path: "/" }]);
  const page = await context.newPage();
  const res = await page.goto(`${file.server.url}/polls`);
  assert.equal(res.status(), 200);
  await page.locator("[data-phx-main].phx-connected").waitFor();
  assert.equal(await page.locator("#flash-info").count(), 0);
  await context.close();
});
