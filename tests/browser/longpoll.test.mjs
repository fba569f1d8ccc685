// longpoll.test.mjs — the demo pages in a Chromium without WebSocket (an init script deletes
// window.WebSocket, so the stock phoenix client falls back to LongPoll at /live/longpoll): the
// counter, the quiz, the polls, the incident form, the whiteboard and the dashboard (with its
// nested view) work, and a person on LongPoll and one on a WebSocket see each other's changes;
// an upload's binary chunks and a view's async work go over LongPoll too. Every LongPoll page is checked to have opened no WebSocket
// and to have polled /live/longpoll.
import { test } from "node:test";
import assert from "node:assert/strict";
import { connected, liveFile, newContext, openPage, waitText, shot, WAIT_MS } from "./browser.mjs";
import { draw, openModerator, whoAmI, waitHere } from "./apps.mjs";

const file = await liveFile();
const { browser } = file;

// A page of a new context whose window has no WebSocket, resolved once its live view joined.
// page.transport() tells what it used: {websockets, longpolls} (counts of each kind of request).
async function openLongPollPage(url) {
  const context = await newContext(browser);
  await context.addInitScript(() => {
    delete window.WebSocket;
  });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const errors = [];
  const seen = { websockets: 0, longpolls: 0 };
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("websocket", () => seen.websockets++);
  page.on("request", (r) => r.url().includes("/live/longpoll") && seen.longpolls++);
  page.errors = errors;
  page.transport = () => ({ ...seen });
  await page.goto(url);
  await connected(page);
  assert.equal(await page.evaluate(() => typeof window.WebSocket), "undefined");
  return page;
}

function assertLongPoll(page) {
  const t = page.transport();
  assert.equal(t.websockets, 0, "the LongPoll page opened no WebSocket");
  assert.ok(t.longpolls > 0, "the LongPoll page polled /live/longpoll");
}

test("counter: clicks on LongPoll show on a WebSocket page and the other way round", async () => {
  const lp = await openLongPollPage(`${file.server.url}/counter`);
  const ws = await openPage(browser, `${file.server.url}/counter`);
  const start = Number(await lp.locator("#count").textContent());
  await lp.click("#inc");
  await waitText(ws, "#count", String(start + 1));
  await waitText(lp, "#count", String(start + 1));
  await ws.click("#inc10");
  await waitText(lp, "#count", String(start + 11));
  await lp.click("#dec");
  await waitText(ws, "#count", String(start + 10));
  assertLongPoll(lp);
  await shot(lp, "longpoll-counter");
  assert.deepEqual([...lp.errors, ...ws.errors], []);
});

test("polls: a LongPoll voter and a WebSocket owner see each other's poll and vote", async () => {
  const owner = await openPage(browser, `${file.server.url}/polls`);
  const voter = await openLongPollPage(`${file.server.url}/polls`);
  const [mo, mv] = [await whoAmI(owner), await whoAmI(voter)];
  for (const p of [owner, voter]) await waitHere(p, [mo, mv]);
  await owner.fill("#poll-question", "Which transport?");
  await owner.fill("#poll-o1", "WebSocket");
  await owner.fill("#poll-o2", "LongPoll");
  await owner.click("#create-poll");
  await waitText(owner, "#question", "Which transport?");
  const id = owner.url().split("/").pop();
  await voter.locator(`#poll-${id}`, { hasText: "Which transport?" }).waitFor();
  await voter.click(`#poll-${id} a`);
  await waitText(voter, "#question", "Which transport?");
  await voter.click("#option-o2 button");
  for (const p of [owner, voter]) await waitText(p, "#votes-o2", "1 vote · 100%");
  await voter.click("#option-o1 button");  // a second vote: refused, and the page says so
  await waitText(voter, "#message", "You have already voted in this poll.");
  assertLongPoll(voter);
  assert.deepEqual([...owner.errors, ...voter.errors], []);
});

test("incident: values typed on LongPoll appear on a WebSocket page and back; the lease shows who edits", async () => {
  const lp = await openLongPollPage(`${file.server.url}/incident`);
  const ws = await openPage(browser, `${file.server.url}/incident`);
  const [ml, mw] = [await whoAmI(lp), await whoAmI(ws)];
  for (const p of [lp, ws]) await waitHere(p, [ml, mw]);
  const value = (page, sel, want) =>
    page.waitForFunction(([s, w]) => document.querySelector(s)?.value === w, [sel, want], { timeout: WAIT_MS });
  await lp.fill("#in-title", "Checkout slow over LongPoll");
  await ws.locator("#note-title").getByText(`${ml.name} is editing`).waitFor();
  await value(ws, "#in-title", "Checkout slow over LongPoll");
  await lp.click("h1");  // leaves the field: the lease goes
  await ws.selectOption("#in-severity", "Critical");
  await value(lp, "#in-severity", "Critical");
  assertLongPoll(lp);
  assert.deepEqual([...lp.errors, ...ws.errors], []);
});

test("quiz: a LongPoll viewer follows a WebSocket moderator and answers", async () => {
  const mod = await openModerator(browser, file.server, "/quiz");
  await mod.locator("#me .role-badge", { hasText: "moderator" }).waitFor();
  const viewer = await openLongPollPage(`${file.server.url}/quiz`);
  await viewer.locator("#lobby").waitFor();
  const [mm, mv] = [await whoAmI(mod), await whoAmI(viewer)];
  for (const p of [mod, viewer]) await waitHere(p, [mm, mv]);
  await mod.click("#ctl-start");
  await viewer.locator("#question-text").waitFor();
  await waitText(viewer, "#question-text", await mod.locator("#question-text").textContent().then((t) => t.trim()));
  await viewer.click("#choice-0 button");
  await waitText(viewer, "#answer-count", "1 answer · yours is in");
  await waitText(mod, "#count-0", "1");
  assertLongPoll(viewer);
  assert.deepEqual([...mod.errors, ...viewer.errors], []);
});

test("whiteboard: a stroke drawn on LongPoll shows on a WebSocket page", async () => {
  const lp = await openLongPollPage(`${file.server.url}/board`);
  const ws = await openPage(browser, `${file.server.url}/board`);
  const strokes = "#board-strokes polyline";
  const before = await ws.locator(strokes).count();
  await draw(lp, [[0.2, 0.2], [0.6, 0.4]], { steps: 10 });
  await ws.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length === n, [strokes, before + 1], { timeout: WAIT_MS });
  assertLongPoll(lp);
  assert.deepEqual([...lp.errors, ...ws.errors], []);
});

test("dashboard: a LongPoll visitor is counted, and the nested node figures render over LongPoll", async () => {
  const admin = await openLongPollPage(`${file.server.url}/dashboard`);
  await admin.locator("#node-figures #websockets").waitFor();
  const before = Number(await admin.locator("#people-count").textContent());
  const other = await openLongPollPage(`${file.server.url}/counter`);
  await waitText(admin, "#people-count", String(before + 1));
  await admin.waitForFunction(() => Number(document.querySelector("#samples")?.textContent) >= 2, null, { timeout: WAIT_MS });
  assertLongPoll(admin);
  assertLongPoll(other);
  assert.deepEqual([...admin.errors, ...other.errors], []);
});

test("an upload's binary chunks and a slow lookup's answer travel over LongPoll", async () => {
  const lp = await openLongPollPage(`${file.server.url}/bindings`);
  const buffer = Buffer.alloc(95_000, 7);
  await lp.setInputFiles("#quick-form input[type=file]", { name: "quick.bin", mimeType: "application/octet-stream", buffer });
  await lp.locator("#received", { hasText: "quick.bin (95000 bytes)" }).waitFor();
  const dir = await openLongPollPage(`${file.server.url}/lookup`);
  await waitText(dir, "#directory-ready", "4 people listed");
  await dir.fill("#lookup-name", "margaret");
  await dir.click("#lookup-go");
  await waitText(dir, "#answer-ok", "margaret: extension 4123");
  assertLongPoll(lp);
  assertLongPoll(dir);
  assert.deepEqual([...lp.errors, ...dir.errors], []);
});
