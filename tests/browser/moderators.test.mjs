// moderators.test.mjs — an on_mount hook guarding a group of pages, with the official client in
// Chromium: a visitor without the moderator role who opens /moderators is sent to the dashboard
// before the page mounts — on the first GET (a 302 carrying the flash in its cookie) and on a
// live navigation alike — and the dashboard says why; a moderator (a fresh grant link) sees it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { liveFile, openPage, waitText } from "./browser.mjs";
import { openModerator } from "./apps.mjs";

const file = await liveFile();
const { browser } = file;
const WHY = "That page is for moderators: ask for the moderator sign-in link.";

test("a visitor without the role is sent away before the page mounts, and told why", async () => {
  const page = await openPage(browser, `${file.server.url}/moderators`);
  assert.match(page.url(), /\/dashboard$/);
  await waitText(page, "#flash-error", WHY);
  assert.equal(await page.locator("#moderator-tools").count(), 0);
  // The same through a live navigation from the connected dashboard (a live link, as the nav's).
  await page.click("#flash-error");
  await page.locator("#flash-error").waitFor({ state: "detached" });
  await page.evaluate(() => {
    const a = Object.assign(document.createElement("a"), { id: "to-moderators", href: "/moderators", textContent: "moderators" });
    a.dataset.phxLink = "redirect";
    a.dataset.phxLinkState = "push";
    document.querySelector("main").append(a);
  });
  await page.click("#to-moderators");
  await waitText(page, "#flash-error", WHY);
  assert.match(page.url(), /\/dashboard$/);
  assert.equal(await page.locator("#moderator-tools").count(), 0);
  // What the first GET answers: a 302 that carries the flash in its cookie.
  const res = await page.request.get(`${file.server.url}/moderators`, { maxRedirects: 0 });
  assert.equal(res.status(), 302);
  assert.equal(res.headers()["location"], "/dashboard");
  assert.match(res.headers()["set-cookie"] ?? "", /__phoenix_flash__=[^;]+; Path=\//);
  assert.deepEqual(page.errors, []);
});

test("a moderator sees the page", async () => {
  const page = await openModerator(browser, file.server, "/moderators");
  await page.locator("#moderator-tools").waitFor();
  assert.match(page.url(), /\/moderators$/);
});
