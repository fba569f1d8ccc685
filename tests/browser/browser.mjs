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
import { chromium } from "playwright-core";
import { after, before } from "node:test";
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
      ...extraArgs,
    ],
  });
  after(() => browser.close());
  return browser;
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
  const context = await browser.newContext(CONTEXT_OPTIONS);
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
