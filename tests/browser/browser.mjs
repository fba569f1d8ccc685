// browser.mjs — Debian's Chromium, driven by playwright-core, for the browser tests.
//
// launchBrowser() starts /usr/bin/chromium headless (never a downloaded browser) with the flags
// this machine needs (no sandbox as root, no background networking: the network is closed) and
// closes it when the test file ends (call it at the top level of a test file: its after() hook
// belongs to whatever test or hook is running when it is called). openPage(browser, url) gives a page in a fresh context (a
// separate browser profile: its own cookies, so its own user) once its live view has joined.
// Waiting is always on a condition with a deadline (Playwright's auto-waiting locators,
// waitForFunction), never a fixed sleep.
// Screenshots: shot(page, name) writes <build dir>/test-artifacts/<name>.png (COHORT_ARTIFACTS, set by
// tests.cmake; scripts/test prints the path at the end), with CSS animations and transitions
// finished (and contexts prefer reduced motion), so bars show their final length. docs/screenshots/ holds copies of some of them.
// Content-Security-Policy: every context is made by newContext(), which reports each CSP
// violation of its pages (the securitypolicyviolation event, and the console's CSP errors), and
// each test of a file that called launchBrowser() fails afterwards if any was reported. An HTML
// page served without a Content-Security-Policy header gets TEST_CSP added on its way in (the
// node's own header, when it sends one, is left as it is), so a page that needs inline script,
// an inline event handler, a javascript: URL or eval fails here.
import { chromium } from "playwright-core";
import assert from "node:assert/strict";
import { after, afterEach, before } from "node:test";
import { startServer } from "../conformance/server.mjs";
import fs from "node:fs";
import path from "node:path";

export const CHROMIUM = process.env.COHORT_CHROMIUM ?? "/usr/bin/chromium";
export const WAIT_MS = 10_000; // every wait on the page: generous for 2 busy cores, still bounded
const ARTIFACTS = path.resolve(process.env.COHORT_ARTIFACTS ?? "build/test-artifacts");

// extraArgs: more Chromium flags (the security tests map names with --host-resolver-rules and
// accept the test CA with --ignore-certificate-errors).
export async function launchBrowser(extraArgs = []) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium (./scripts/setup does)`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
      // A document the tests fulfil themselves (to add TEST_CSP) counts as coming from no
      // address at all; without this its live socket to 127.0.0.1 is refused as a public page
      // reaching into the local network.
      "--disable-features=LocalNetworkAccessChecks",
      ...extraArgs,
    ],
  });
  after(() => browser.close());
  afterEach(() => {
    const seen = takeCspViolations();
    assert.deepEqual(seen, [], `Content-Security-Policy violations:\n${JSON.stringify(seen, null, 2)}`);
  });
  return browser;
}

// The policy the tests hold pages to when the node sends none (the node's own is stricter or
// equal: docs/security.md). connect-src names the page's own ws:// origin explicitly.
export function testCsp(host) {
  return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    `connect-src 'self' ws://${host}; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'`;
}

const cspViolations = [];

// The CSP violations reported since the last call (and forgets them).
export function takeCspViolations() {
  return cspViolations.splice(0);
}

// A browser context whose pages' CSP violations are collected (see the top of this file).
export async function newContext(browser, options = {}) {
  const context = await browser.newContext({ ...CONTEXT_OPTIONS, ...options });
  await context.exposeBinding("__cohortCspViolation", ({ page }, v) => cspViolations.push({ page: page?.url(), ...v }));
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cohortCspViolation({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample,
                                    source: e.sourceFile, line: e.lineNumber });
    });
  });
  context.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) cspViolations.push({ page: m.page()?.url(), console: m.text() });
  });
  await context.route("**/*", async (route) => {
    if (route.request().resourceType() !== "document") return route.continue();
    const response = await route.fetch({ maxRedirects: 0 });  // a redirect goes back to the browser, which follows it
    const headers = response.headers();
    const html = (headers["content-type"] ?? "").startsWith("text/html");
    if (html && !headers["content-security-policy"]) headers["content-security-policy"] = testCsp(new URL(route.request().url()).host);
    return route.fulfill({ response, headers });
  });
  return context;
}

// The node and the browser of one test file; call it at the top level of the file. The node
// (startServer(opts)) starts before the first test and is killed after the last; the browser
// closes after the last test. A test may replace file.server (a restart).
export async function liveFile(opts = {}) {
  const file = { browser: await launchBrowser(), server: null };
  before(async () => {
    file.server = await startServer(opts);
  });
  after(async () => file.server?.kill());
  return file;
}

// Options of every test context: reduced motion, so the pages' CSS transitions are off and a
// screenshot never catches a bar half-way.
export const CONTEXT_OPTIONS = { reducedMotion: "reduce" };

// A page of a new context at url, resolved once the main live view is connected.
export async function openPage(browser, url) {
  const context = await newContext(browser);
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.errors = errors;
  await page.goto(url);
  await connected(page);
  return page;
}

// Waits until the page's main live view has joined (phoenix_live_view sets phx-connected).
export async function connected(page) {
  await page.locator("[data-phx-main].phx-connected").waitFor();
}

export async function text(page, selector) {
  return (await page.locator(selector).textContent()).trim();
}

// Waits until the element's trimmed text equals want.
export async function waitText(page, selector, want) {
  await page.waitForFunction(
    ([sel, w]) => document.querySelector(sel)?.textContent.trim() === w,
    [selector, want],
    { timeout: WAIT_MS },
  ).catch(async (e) => {
    const got = await page.locator(selector).textContent().catch(() => "(absent)");
    throw new Error(`waiting for ${selector} to read ${JSON.stringify(want)}: it reads ${JSON.stringify(got)}\n${e.message}`);
  });
}

// The trimmed texts of every element matching selector, in document order.
export async function texts(page, selector) {
  return page.locator(selector).evaluateAll((els) => els.map((e) => e.textContent.trim()));
}

// Waits until texts(page, selector) equals want.
export async function waitTexts(page, selector, want) {
  await page.waitForFunction(
    ([sel, w]) => JSON.stringify([...document.querySelectorAll(sel)].map((e) => e.textContent.trim())) === w,
    [selector, JSON.stringify(want)],
    { timeout: WAIT_MS },
  ).catch(async (e) => {
    throw new Error(`waiting for ${selector} to be ${JSON.stringify(want)}: got ${JSON.stringify(await texts(page, selector))}\n${e.message}`);
  });
}

export async function shot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true, animations: "disabled" });
}
