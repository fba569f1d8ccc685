// headers.test.mjs — the security headers on every answer, and a CSP the pages really satisfy.
//
// Every HTML page, static file and JSON answer carries Content-Security-Policy,
// X-Content-Type-Options: nosniff, X-Frame-Options: DENY and Referrer-Policy. In Chromium, the
// demo pages load and their live views connect (connect-src admits the node's ws:// origin)
// with no CSP violation; a script injected into a page does not run; a page of another origin
// cannot frame the node. Each test ends by checking a phoenix client (the bystander).
import assert from "node:assert/strict";
import http from "node:http";
import { before, test } from "node:test";

import { connected, CONTEXT_OPTIONS, launchBrowser, WAIT_MS as PAGE_WAIT_MS } from "../browser/browser.mjs";
import { bystander, ClientPool, deferred, withTimeout } from "../conformance/helpers.mjs";
import { startServer } from "../conformance/server.mjs";
import { exchange, nodeWithBystander } from "./net_support.mjs";

const browser = await launchBrowser();

let server;
let watcher;
const pool = new ClientPool();
nodeWithBystander(pool, () => startServer(), (s, w) => {
  server = s;
  watcher = w;
});

const LIVE_PAGES = ["/counter", "/list", "/dashboard", "/incident", "/quiz", "/board", "/polls"];

function assertSecurityHeaders(r, what) {
  const csp = r.headers["content-security-policy"];
  assert.ok(csp, `${what}: Content-Security-Policy`);
  for (const directive of [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self' ws://127.0.0.1:${server.port}`,
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ])
    assert.ok(csp.split("; ").includes(directive), `${what}: CSP has "${directive}" (got ${csp})`);
  assert.ok(!/unsafe-eval/.test(csp) && !/script-src[^;]*unsafe-inline/.test(csp), `${what}: no unsafe script sources`);
  assert.equal(r.headers["x-content-type-options"], "nosniff", `${what}: nosniff`);
  assert.equal(r.headers["x-frame-options"], "DENY", `${what}: X-Frame-Options`);
  assert.equal(r.headers["referrer-policy"], "strict-origin-when-cross-origin", `${what}: Referrer-Policy`);
}

test("every kind of answer carries the headers", async () => {
  for (const target of ["/", ...LIVE_PAGES, "/assets/cohort.css", "/assets/cohort_live.js", "/assets/vendor/phoenix.min.js",
                        "/healthz", "/no/such/page", "/%zz"]) {
    const r = await exchange(server.port, `GET ${target}`);
    assert.ok([200, 400, 404].includes(r.status), `GET ${target}: ${r.status}`);
    assertSecurityHeaders(r, `GET ${target}`);
  }
  const post = await exchange(server.port, "POST /api/broadcast/room:h", { body: "{}", headers: { "Content-Type": "application/json" } });
  assertSecurityHeaders(post, "POST /api/broadcast");
});

test("the page shell has no inline script for the CSP to block", async () => {
  for (const target of LIVE_PAGES) {
    const { body } = await exchange(server.port, `GET ${target}`);
    const scripts = [...body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length >= 3, `${target}: the shell loads its scripts`);
    for (const [, attrs, inner] of scripts) {
      assert.match(attrs, /\bsrc="\/assets\//, `${target}: a script from the node itself`);
      assert.equal(inner.trim(), "", `${target}: an inline script body`);
    }
    assert.ok(!/\son[a-z]+=/i.test(body), `${target}: an inline event handler attribute`);
  }
});

// A page in a fresh context that records CSP violations (the DOM event and the console report);
// violation(pred) resolves with the first one matching pred, now or later, within the deadline.
async function watchedPage(url) {
  const context = await browser.newContext(CONTEXT_OPTIONS);
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_WAIT_MS);
  const violations = [];
  const waiters = [];
  const record = (v) => {
    violations.push(v);
    for (const w of waiters.splice(0)) if (w.pred(v)) w.resolve(v); else waiters.push(w);
  };
  const violation = (pred) => {
    const found = violations.find(pred);
    if (found) return Promise.resolve(found);
    const d = deferred();
    waiters.push({ pred, resolve: d.resolve });
    return withTimeout(d.promise, PAGE_WAIT_MS, `a CSP violation report (have ${JSON.stringify(violations)})`);
  };
  page.on("console", (m) => /Content Security Policy/i.test(m.text()) && record(m.text()));
  await page.exposeFunction("reportViolation", record);
  await page.addInitScript(() =>
    document.addEventListener("securitypolicyviolation", (e) =>
      window.reportViolation(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`),
    ),
  );
  await page.goto(url);
  return { page, context, violations, violation };
}

test("in Chromium every demo page connects its live view with no CSP violation", async () => {
  for (const path of LIVE_PAGES) {
    const { page, context, violations } = await watchedPage(`${server.url}${path}`);
    try {
      await connected(page); // the live socket opened: connect-src admits ws://
      if (path === "/counter") {
        const before = await page.locator("#count").textContent();
        await page.locator("#inc").click();
        await page.waitForFunction((b) => document.querySelector("#count")?.textContent !== b, before);
      }
      assert.deepEqual(violations, [], `${path}: CSP violations`);
    } finally {
      await context.close();
    }
  }
});

test("a script injected into a page does not run, and is reported", async () => {
  const { page, context, violation } = await watchedPage(`${server.url}/counter`);
  try {
    await connected(page);
    const ran = await page.evaluate(() => {
      const s = document.createElement("script");
      s.textContent = "window.__injected = true";
      document.head.appendChild(s);
      return window.__injected === true;
    });
    assert.equal(ran, false, "the injected inline script ran");
    assert.match(await violation((v) => /script-src/.test(v)), /script-src/);
  } finally {
    await context.close();
  }
});

test("a page of another origin cannot frame the node", async () => {
  const attacker = http.createServer((req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(`<!DOCTYPE html><iframe id="f" src="${server.url}/counter"></iframe>`);
  });
  await new Promise((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  const context = await browser.newContext(CONTEXT_OPTIONS);
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(PAGE_WAIT_MS);
    const counterLoaded = new Promise((resolve) =>
      page.on("response", (r) => r.url() === `${server.url}/counter` && resolve(r.status())),
    );
    // Chromium replaces a frame it refuses to show with its error page.
    const blocked = page.waitForEvent("framenavigated", {
      predicate: (f) => f !== page.mainFrame() && f.url() === "chrome-error://chromewebdata/",
    });
    await page.goto(`http://127.0.0.1:${attacker.address().port}/`);
    assert.equal(await counterLoaded, 200, "the node answered the framed request");
    await blocked;
    assert.ok(!page.frames().some((f) => f.url().startsWith(server.url)), "the node's page is shown in a frame");
  } finally {
    await context.close();
    await new Promise((resolve) => attacker.close(resolve));
  }
});
