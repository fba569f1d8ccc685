// store_client.test.mjs — the plain-JavaScript page /js-counter.html (static/, no bundler: an import
// map and ES modules the node serves) following counter:main with @cohort/client in Chromium:
// its modules load under the node's Content-Security-Policy, an op in one page appears in the
// other and in the LiveView page of the same key, and a reloaded page catches up with `since`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CONTEXT_OPTIONS, WAIT_MS, liveFile, newContext, openPage, shot, text, waitText } from "./browser.mjs";

const file = await liveFile();
const { browser } = file;

// A new browser (its own visitor cookie) on the page, once the follower has its first state;
// every frame its WebSockets send is kept in page.sent.
async function openClientPage(url) {
  const context = await newContext(browser, CONTEXT_OPTIONS);
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.errors = [];
  page.sent = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  page.on("websocket", (ws) => ws.on("framesent", (f) => page.sent.push(String(f.payload))));
  await page.goto(url);
  await page.locator("#inc:enabled").waitFor();
  return page;
}

// The store joins a page sent: their payloads.
const joins = (page) =>
  page.sent.map((f) => JSON.parse(f)).filter((m) => m[2] === "store:counter:main" && m[3] === "phx_join").map((m) => m[4]);

test("the page is served with a CSP that allows its import map, and every module it imports", async () => {
  const res = await fetch(`${file.server.url}/js-counter.html`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-security-policy"), /script-src 'self' 'sha256-[A-Za-z0-9+/]+=*';/);
  for (const m of ["/assets/js_counter.js", "/assets/vendor/phoenix.mjs", "/assets/vendor/cohort-client/index.js",
                   "/assets/vendor/fast-json-patch/index.mjs", "/assets/vendor/fast-json-patch/module/core.mjs"]) {
    const r = await fetch(`${file.server.url}${m}`);
    assert.equal(r.status, 200, m);
    assert.match(r.headers.get("content-type"), /^text\/javascript/, m);
  }
});

test("an op in one page appears in the other and in the live page; a reload catches up with since", async () => {
  const url = `${file.server.url}/js-counter.html`;
  const a = await openClientPage(url);
  const b = await openClientPage(url);
  const live = await openPage(browser, `${file.server.url}/counter`);
  const start = Number(await text(a, "#count"));
  assert.equal(Number(await text(b, "#count")), start);
  assert.notEqual(await text(a, "#me"), "…", "the page knows who its visitor is");

  await a.click("#inc");
  await waitText(b, "#count", String(start + 1));
  await waitText(live, "#count", String(start + 1));
  await b.click("#dec");
  await b.click("#dec");
  await waitText(a, "#count", String(start - 1));
  await live.click("#inc10");  // the live page's op reaches the plain pages too
  await waitText(a, "#count", String(start + 9));
  await waitText(b, "#count", String(start + 9));
  await shot(a, "js_counter");
  const version = Number(await text(a, "#version"));

  // a reloads while b goes on: a's new join carries the version it showed (sessionStorage).
  a.sent.length = 0;
  const reloaded = a.reload();
  await b.click("#inc");
  await reloaded;
  await a.locator("#inc:enabled").waitFor();
  await waitText(a, "#count", String(start + 10));
  const [join] = joins(a);
  assert.ok(join, "the reloaded page joined the key");
  assert.ok(Number.isInteger(join.since) && join.since >= version, `rejoined with since ${join.since} (showed ${version})`);
  assert.match(join.token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/, "with the token /api/client-token gave it");
  await a.click("#inc");
  await waitText(b, "#count", String(start + 11));
  assert.deepEqual([...a.errors, ...b.errors, ...live.errors], []);
});
