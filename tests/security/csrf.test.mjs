// csrf.test.mjs — the CSRF token of live pages, against a real node: every page embeds a token
// bound to its visitor, and a live join whose params._csrf_token is missing, forged or another
// visitor's is refused with "stale" (what Phoenix answers a bad token); the stock
// phoenix_live_view client in Chromium joins with the page's token, and when its token is bad
// it reloads the page, as Phoenix's client does on "stale", and recovers with a fresh one.
// After each attack a bystander (another live view) is still served.
import { test } from "node:test";
import assert from "node:assert/strict";

import { ClientPool, joinResult, push } from "../conformance/helpers.mjs";
import { serverForFile } from "../conformance/server.mjs";
import { httpRequest } from "../conformance/wire.mjs";
import { CONTEXT_OPTIONS, WAIT_MS, connected, launchBrowser, text, waitText } from "../browser/browser.mjs";

const pool = new ClientPool();
let server;
serverForFile(pool, (s) => (server = s));
const browser = await launchBrowser();

// A page as a visitor (cookie: theirs, or none for a new one): {id, session, csrf, cookie}.
async function page(path = "/counter", cookie) {
  const res = await httpRequest(`${server.url}${path}`, { headers: cookie ? { cookie } : {} });
  assert.equal(res.status, 200);
  const m = /<div id="(phx-[^"]+)" data-phx-main data-phx-session="([^"]+)"/.exec(res.body);
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(res.body)?.[1];
  assert.ok(m && csrf, "a live root and a csrf-token meta tag");
  return { id: m[1], session: m[2], csrf, cookie: String(res.headers["set-cookie"] ?? cookie).split(";")[0] };
}

// Joins a page's view with the given _csrf_token (undefined: none) as phoenix_live_view does.
async function join(p, csrf, path = "/counter") {
  const socket = await pool.connected({ wsUrl: `ws://127.0.0.1:${server.port}/live` }, { params: csrf === undefined ? {} : { _csrf_token: csrf } });
  const params = { _mounts: 0, _mount_attempts: 0, ...(csrf === undefined ? {} : { _csrf_token: csrf }) };
  const channel = socket.channel(`lv:${p.id}`, () => ({ url: `${server.url}${path}`, params, session: p.session, static: null }));
  return { ...(await joinResult(channel)), channel };
}

// A joined live view that answers clicks: proves the node still serves live pages.
async function liveBystander() {
  const p = await page("/counter");
  const j = await join(p, p.csrf);
  assert.equal(j.status, "ok", JSON.stringify(j.response));
  return {
    async check(what) {
      const r = await push(j.channel, "event", { type: "click", event: "toggle", value: { value: "" }, cid: Number(Object.keys(j.response.rendered.c)[0]) });
      assert.equal(r.status, "ok", `bystander ${what}`);
    },
  };
}

test("a join with a missing, forged or other visitor's _csrf_token is refused with stale", async () => {
  const witness = await liveBystander();
  const alice = await page("/counter");
  const bob = await page("/counter");
  assert.notEqual(alice.csrf, bob.csrf, "tokens are per visitor");
  const again = await page("/list", alice.cookie);
  assert.equal(again.csrf, alice.csrf, "the same visitor gets the same token on every page");
  const flipped = alice.csrf.slice(0, -1) + (alice.csrf.endsWith("A") ? "B" : "A");
  for (const [what, csrf] of [
    ["missing", undefined],
    ["empty", ""],
    ["forged", "x".repeat(43)],
    ["one character off", flipped],
    ["another visitor's", bob.csrf],
    ["the session token itself", alice.session],
  ]) {
    const r = await join(alice, csrf);
    assert.equal(r.status, "error", what);
    assert.deepEqual(r.response, { reason: "stale" }, what);
    r.channel.leave();
  }
  const ok = await join(alice, alice.csrf);
  assert.equal(ok.status, "ok", JSON.stringify(ok.response));
  await witness.check("after refused joins");
});

test("the stock client in Chromium joins with the page's token and recovers from a bad one by reloading", async () => {
  const witness = await liveBystander();
  const context = await browser.newContext(CONTEXT_OPTIONS);
  try {
    const tab = await context.newPage();
    tab.setDefaultTimeout(WAIT_MS);
    const other = await page("/counter"); // another visitor's real token
    let documents = 0;
    tab.on("request", (r) => r.resourceType() === "document" && (documents += 1));
    // The first load of the page carries another visitor's token (swapped in as the parser adds
    // the meta tag, before the client reads it); the reload is left alone. (Rewriting the
    // response with page.route would make Chromium treat the page as public and block its
    // WebSocket to 127.0.0.1.)
    await tab.addInitScript((bad) => {
      if (sessionStorage.getItem("csrf-swapped")) return;
      sessionStorage.setItem("csrf-swapped", "1");
      new MutationObserver((_, observer) => {
        const meta = document.querySelector("meta[name=csrf-token]");
        if (!meta) return;
        meta.setAttribute("content", bad);
        observer.disconnect();
      }).observe(document, { childList: true, subtree: true });
    }, other.csrf);
    const frames = [];
    tab.on("websocket", (ws) => ws.on("framereceived", (f) => frames.push(String(f.payload))));
    await tab.goto(`${server.url}/counter`);
    await connected(tab); // after the reload
    assert.equal(documents, 2, "the client reloaded the page once");
    assert.ok(frames.some((f) => f.includes('"phx_reply"') && f.includes('"stale"')), `the first join was refused: ${frames.join("\n")}`);
    const meta = await tab.locator("meta[name=csrf-token]").getAttribute("content");
    assert.notEqual(meta, other.csrf);
    // Fully live: a click round trip.
    const before = Number(await text(tab, "#count"));
    await tab.click("#inc");
    await waitText(tab, "#count", String(before + 1));
  } finally {
    await context.close();
  }
  await witness.check("after a browser recovered from a stale token");
});

test("a normal visit never sees a refusal", async () => {
  const context = await browser.newContext(CONTEXT_OPTIONS);
  try {
    const tab = await context.newPage();
    tab.setDefaultTimeout(WAIT_MS);
    let documents = 0;
    tab.on("request", (r) => r.resourceType() === "document" && (documents += 1));
    const replies = [];
    tab.on("websocket", (ws) => ws.on("framereceived", (f) => replies.push(String(f.payload))));
    await tab.goto(`${server.url}/list`);
    await connected(tab);
    assert.equal(documents, 1, "no reload");
    assert.ok(!replies.some((f) => f.includes('"stale"') || f.includes('"unauthorized"')), replies.join("\n"));
  } finally {
    await context.close();
  }
});
