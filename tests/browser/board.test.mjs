// board.test.mjs — the shared whiteboard in three browsers: a stroke shows for the others while
// it is still being drawn, sent in batches (far fewer events than pointer moves); undo removes
// one's own last stroke only; a viewer cannot clear, the moderator can; a late joiner sees the
// whole board; a closed tab leaves the board's presence.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../conformance/server.mjs";
import { launchBrowser, openPage, waitText, shot, WAIT_MS } from "./browser.mjs";
import { openModerator, forgeClick, whoAmI, leave } from "./apps.mjs";

let server;
// At the top level, so that launchBrowser's after() hook closes it when the file ends.
const browser = await launchBrowser();
before(async () => {
  server = await startServer();
});
after(async () => server?.kill());

const strokes = "#board-strokes polyline";
async function waitCount(page, selector, n) {
  await page.waitForFunction(([sel, want]) => document.querySelectorAll(sel).length === want, [selector, n], { timeout: WAIT_MS })
    .catch(async (e) => {
      throw new Error(`waiting for ${n} × ${selector}: there are ${await page.locator(selector).count()}\n${e.message}`);
    });
}
// Points of the newest server-drawn stroke.
async function lastPoints(page) {
  return page.locator(strokes).last().evaluate((el) => el.getAttribute("points").split(" ").length);
}
async function liveEvents() {
  return (await (await fetch(`${server.url}/metrics/live`)).json()).events;
}

// Draws a polyline through points given in fractions of the board, `steps` pointer moves each.
// The board must be inside the viewport: a pointer outside it reaches no element.
async function draw(page, points, { steps = 10, beforeUp } = {}) {
  await page.setViewportSize({ width: 1280, height: 1100 });
  await page.locator("#board").scrollIntoViewIfNeeded();
  const box = await page.locator("#board").boundingBox();
  const at = ([fx, fy]) => [box.x + fx * box.width, box.y + fy * box.height];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps });
  if (beforeUp) await beforeUp();
  await page.mouse.up();
}

test("strokes appear while drawn, batched; undo is one's own; clear is the moderator's", async () => {
  const a = await openPage(browser, `${server.url}/board`);
  const b = await openPage(browser, `${server.url}/board`);
  const mod = await openModerator(browser, server, "/board");
  await waitCount(b, strokes, 0);
  assert.equal(await a.locator("#clear").count(), 0);  // viewers have no clear button

  // a draws; b sees the stroke before a lets go, and sees it grow.
  const eventsBefore = await liveEvents();
  await draw(a, [[0.1, 0.2], [0.3, 0.5], [0.5, 0.3]], {
    steps: 30,
    beforeUp: async () => {
      await waitCount(b, strokes, 1);
      await b.waitForFunction((sel) => document.querySelector(sel)?.getAttribute("points").split(" ").length >= 20, strokes);
    },
  });
  await b.waitForFunction((sel) => document.querySelector(sel)?.getAttribute("points").split(" ").length >= 61, strokes);
  // 60 pointer moves went out as a begin, a few extends and an end: batches, not one per move.
  const sent = (await liveEvents()) - eventsBefore;
  assert.ok(sent < 30, `60 pointer moves became ${sent} live events`);
  assert.equal(await b.locator(strokes).first().getAttribute("stroke"), await a.locator("#board").getAttribute("data-color"));

  // b draws twice, a once more; b's undo removes b's newest stroke only.
  await draw(b, [[0.6, 0.6], [0.8, 0.8]]);
  await draw(b, [[0.6, 0.2], [0.9, 0.2]]);
  await draw(a, [[0.2, 0.8], [0.4, 0.9]]);
  await waitCount(mod, strokes, 4);
  await b.click("#undo");
  await waitCount(a, strokes, 3);
  await waitText(a, "#stroke-count", "3 strokes");
  const byB = await a.locator(strokes).evaluateAll((els) => els.map((e) => e.getAttribute("points")));
  assert.equal(byB.length, 3);
  assert.ok(await lastPoints(a) >= 2);

  // A late joiner sees the whole board, point for point.
  const late = await openPage(browser, `${server.url}/board`);
  await waitCount(late, strokes, 3);
  assert.deepEqual(await late.locator(strokes).evaluateAll((els) => els.map((e) => e.getAttribute("points"))), byB);
  await shot(late, "board");

  // A viewer cannot clear (the store refuses); the moderator can.
  await forgeClick(a, "clear");
  await waitText(a, "#message", "Only the moderator can clear the board.");
  await waitCount(b, strokes, 3);
  await mod.click("#clear");
  for (const p of [a, b, late]) await waitCount(p, strokes, 0);

  // b's browser goes away: b leaves the board's presence.
  const { id } = await whoAmI(b);
  await a.locator(`#here-${id}`).waitFor();
  await leave(b);
  await a.locator(`#here-${id}`).waitFor({ state: "detached" });
  assert.deepEqual([...a.errors, ...mod.errors, ...late.errors], []);
});
