// counter.test.mjs — the shared counter page in two browsers: a click in one shows in the other,
// the page is readable before any script runs, and a component keeps its state per browser.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { liveFile, openPage, waitText, text, shot } from "./browser.mjs";

// The node and the browser of this file (started before the first test, gone after the last).
const file = await liveFile();
const { browser } = file;

test("the GET render already shows the counter, the csrf tag and a signed session", async () => {
  const res = await fetch(`${file.server.url}/counter`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type"), /text\/html/);
  assert.match(res.headers.get("set-cookie"), /^cohort_user=[^;]+; Path=\//);
  const html = await res.text();
  assert.match(html, /<meta name="csrf-token" content="[^"]+">/);
  assert.match(html, /<div id="phx-[A-Za-z0-9_-]+" data-phx-main data-phx-session="[^"]+\.[^"]+" data-phx-static="">/);
  assert.match(html, /<span id="count" class="count">-?\d+<\/span>/);
  assert.match(html, /<script defer src="\/assets\/vendor\/phoenix_live_view.min.js"><\/script>/);
  const bundle = await fetch(`${file.server.url}/assets/vendor/phoenix_live_view.min.js`);
  assert.equal(bundle.status, 200);
  assert.match(await bundle.text(), /^var LiveView=/);
});

test("a click in one browser updates the other; the title follows", async () => {
  const a = await openPage(browser, `${file.server.url}/counter`);
  const b = await openPage(browser, `${file.server.url}/counter`);
  const start = Number(await text(a, "#count"));
  assert.equal(Number(await text(b, "#count")), start);

  await a.click("#inc");
  await waitText(b, "#count", String(start + 1));
  await waitText(a, "#count", String(start + 1));
  await b.click("#inc10");
  await waitText(a, "#count", String(start + 11));
  await b.waitForFunction((want) => document.title === `Counter ${want} · Cohort`, start + 11);
  await a.click("#dec");
  await waitText(b, "#count", String(start + 10));
  await shot(a, "counter");
  assert.deepEqual([...a.errors, ...b.errors], []);
});

test("a component click changes only that browser's component", async () => {
  const a = await openPage(browser, `${file.server.url}/counter`);
  const b = await openPage(browser, `${file.server.url}/counter`);
  assert.equal(await a.locator("#about-text").count(), 0);
  await a.click("#about-toggle");
  await a.locator("#about-text").waitFor();
  assert.equal(await text(a, "#about-toggle"), "Hide");
  // b still shows its closed panel, and still works (a click round trip proves it is live).
  const before = Number(await text(b, "#count"));
  await b.click("#inc");
  await waitText(b, "#count", String(before + 1));
  assert.equal(await b.locator("#about-text").count(), 0);
  await a.click("#about-toggle");
  await a.locator("#about-text").waitFor({ state: "detached" });
  assert.deepEqual([...a.errors, ...b.errors], []);
});

test("the step lives in the URL: patch links and push_patch change it without a reload; back and forward work", async () => {
  const a = await openPage(browser, `${file.server.url}/counter`);
  const b = await openPage(browser, `${file.server.url}/counter`);
  await a.evaluate(() => (window.__marker = "same document"));
  assert.equal(await text(a, "#step"), "1");

  await a.click("#step-5");  // <a data-phx-link="patch">: live_patch, then handle_params
  await a.waitForURL(/\/counter\?step=5$/);
  await waitText(a, "#step", "5");
  const start = Number(await text(b, "#count"));
  await a.click("#inc-step");
  await waitText(b, "#count", String(start + 5));
  assert.equal(await text(b, "#step"), "1", "the other browser keeps its own step");

  await a.click("#step-double");  // phx-click -> the server's push_patch -> handle_params
  await a.waitForURL(/\/counter\?step=10$/);
  await waitText(a, "#step", "10");
  await a.goBack();
  await a.waitForURL(/\/counter\?step=5$/);
  await waitText(a, "#step", "5");
  await a.goForward();
  await a.waitForURL(/\/counter\?step=10$/);
  await waitText(a, "#step", "10");
  assert.equal(await a.evaluate(() => window.__marker), "same document", "no page load happened");

  await a.reload();  // the URL alone brings the step back
  await waitText(a, "#step", "10");
  assert.deepEqual([...a.errors, ...b.errors], []);
});

test("arrow keys (phx-window-keydown) step the shared counter by this browser's step", async () => {
  const a = await openPage(browser, `${file.server.url}/counter?step=5`);
  const b = await openPage(browser, `${file.server.url}/counter`);
  const start = Number(await text(b, "#count"));
  await a.keyboard.press("ArrowUp");
  await waitText(b, "#count", String(start + 5));
  await b.keyboard.press("ArrowDown");
  await waitText(a, "#count", String(start + 4));
  await a.keyboard.press("ArrowDown");
  await waitText(b, "#count", String(start - 1));
  assert.deepEqual([...a.errors, ...b.errors], []);
});

test("Escape (phx-window-keyup on the component) closes only this browser's panel", async () => {
  const a = await openPage(browser, `${file.server.url}/counter`);
  const b = await openPage(browser, `${file.server.url}/counter`);
  for (const p of [a, b]) {
    await p.click("#about-toggle");
    await p.locator("#about-text").waitFor();
  }
  await a.keyboard.press("Escape");
  await a.locator("#about-text").waitFor({ state: "detached" });
  assert.equal(await text(a, "#about-toggle"), "How does this work?");
  // b's panel is its own: still open after a round trip that proves b is live.
  const before = Number(await text(b, "#count"));
  await b.click("#inc");
  await waitText(b, "#count", String(before + 1));
  assert.equal(await b.locator("#about-text").count(), 1);
  await b.keyboard.press("x");  // phx-key="Escape": other keys do nothing
  await b.keyboard.press("Escape");
  await b.locator("#about-text").waitFor({ state: "detached" });
  assert.deepEqual([...a.errors, ...b.errors], []);
});

test("a hook's pushEvent reply reaches its callback (the Latency hook shows the round trip)", async () => {
  const a = await openPage(browser, `${file.server.url}/counter`);
  await a.waitForFunction(() => /^round trip \d+ ms$/.test(document.getElementById("latency")?.textContent));
  // A later diff leaves the hook's text alone (phx-update="ignore").
  const before = Number(await text(a, "#count"));
  await a.click("#inc");
  await waitText(a, "#count", String(before + 1));
  assert.match(await text(a, "#latency"), /^round trip \d+ ms$/);
  assert.deepEqual(a.errors, []);
});
