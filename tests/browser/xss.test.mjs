// xss.test.mjs — script typed into every demo field that other people see (issue #19 item 9):
// poll questions and options, incident fields, list items. One browser types the payloads; a
// second one, and a late one, must show them as literal text, with no element they spelled, no
// script run (window.__xss stays undefined) and no script even tried (browser.mjs fails a test
// on any Content-Security-Policy violation). The first test proves that net catches what it is
// for: an inline script and an inline handler put into a page are blocked and reported.
import { test } from "node:test";
import assert from "node:assert/strict";
import { liveFile, openPage, takeCspViolations, waitText, waitTexts, texts, WAIT_MS } from "./browser.mjs";

const file = await liveFile();
const { browser } = file;

const IMG = "<img src=x onerror=window.__xss=1>";
const CLOSE_ATTR = `"><script>window.__xss=1</script>`;
const JS_URL = "javascript:window.__xss=1";

// Nothing any payload spelled became script or an element, in each of pages.
async function assertInert(...pages) {
  for (const page of pages) {
    assert.equal(await page.evaluate(() => window.__xss), undefined, `${page.url()}: a payload ran`);
    const spelled = await page.evaluate(() => document.querySelectorAll("main script, main img, main [onerror]").length);
    assert.equal(spelled, 0, `${page.url()}: a payload became an element`);
  }
}

async function waitValue(page, selector, want) {
  await page.waitForFunction(([sel, w]) => document.querySelector(sel)?.value === w, [selector, want], { timeout: WAIT_MS });
}

test("the test net: an inline script and an inline handler are blocked by the policy and reported", async () => {
  const page = await openPage(browser, `${file.server.url}/list`);
  await page.evaluate(() => {
    const s = document.createElement("script");
    s.textContent = "window.__ran = 1";
    document.body.append(s);
    document.body.insertAdjacentHTML("beforeend", "<img src=/no-such-image onerror=\"window.__ran = 2\">");
  });
  // Each is reported twice (the page's securitypolicyviolation event and the console's error);
  // wait for all four, round trip by round trip, within the deadline.
  const deadline = Date.now() + WAIT_MS;
  const seen = [];
  const complete = () => seen.filter((v) => v.directive).length >= 2 && seen.filter((v) => v.console).length >= 2;
  while (!complete() && Date.now() < deadline) {
    await page.evaluate(() => 0);
    seen.push(...takeCspViolations());
  }
  assert.equal(await page.evaluate(() => window.__ran), undefined, "neither ran");
  assert.ok(complete(), `both were reported, as events and in the console: ${JSON.stringify(seen)}`);
  assert.deepEqual(seen.filter((v) => v.directive).map((v) => v.directive).sort(), ["script-src-attr", "script-src-elem"]);
});

test("poll question and options: literal text in the list and on the poll, for the others", async () => {
  const author = await openPage(browser, `${file.server.url}/polls`);
  const other = await openPage(browser, `${file.server.url}/polls`);
  const question = `${IMG} ${CLOSE_ATTR}`;
  await author.fill("#poll-question", question);
  await author.fill("#poll-o1", IMG);
  await author.fill("#poll-o2", CLOSE_ATTR);
  await author.fill("#poll-o3", JS_URL);
  await author.click("#create-poll");
  await waitText(author, "#question", question);
  const id = author.url().split("/").pop();
  await waitText(other, `#poll-${id} a`, question);
  assert.equal(await other.locator(`#poll-${id} a`).getAttribute("href"), `/polls/${id}`);
  const voter = await openPage(browser, author.url());
  await waitText(voter, "#question", question);
  assert.deepEqual(await texts(voter, "#options .option-text"), [IMG, CLOSE_ATTR, JS_URL]);
  await voter.click("#option-o3 button");
  await waitText(author, "#votes-o3", "1 vote · 100%");
  assert.equal(await voter.title(), `${question} · Cohort`);
  await assertInert(author, other, voter);
});

test("incident fields: literal values and text for the other editors and a late joiner", async () => {
  const a = await openPage(browser, `${file.server.url}/incident`);
  const b = await openPage(browser, `${file.server.url}/incident`);
  const typed = { title: `${IMG} ${CLOSE_ATTR}`, service: JS_URL, commander: CLOSE_ATTR, summary: `${IMG}\n${CLOSE_ATTR}\n${JS_URL}` };
  for (const [field, value] of Object.entries(typed)) {
    await a.fill(`#in-${field}`, value);
    await a.click("h1");  // leave the field: the change is flushed and the lease let go
    await waitValue(b, `#in-${field}`, value);
  }
  const late = await openPage(browser, `${file.server.url}/incident`);
  for (const [field, value] of Object.entries(typed)) {
    assert.equal(await late.inputValue(`#in-${field}`), value, field);
    assert.equal(await b.inputValue(`#in-${field}`), value, field);
  }
  // Whose edit it was comes from a's signed session, shown as text.
  const name = (await a.locator("#me-name").textContent()).trim();
  await waitText(late, "#note-title .edited", `Last edited by ${name}`);
  await assertInert(a, b, late);
});

test("list items and the activity feed: literal text for the other browser", async () => {
  const a = await openPage(browser, `${file.server.url}/list`);
  const b = await openPage(browser, `${file.server.url}/list`);
  for (const payload of [IMG, CLOSE_ATTR, JS_URL]) {
    await a.fill("#item-text", payload);
    await a.click("#add");
    await b.locator("#items .text", { hasText: payload }).waitFor();
  }
  await waitTexts(b, "#items .text", [IMG, CLOSE_ATTR, JS_URL]);
  await b.locator("#activity li", { hasText: `added “${JS_URL}”` }).waitFor();
  assert.ok((await texts(b, "#activity li")).some((t) => t.endsWith(`added “${IMG}”`)));
  await assertInert(a, b);
});
