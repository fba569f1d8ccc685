// board.test.mjs — the shared whiteboard in three browsers: a stroke shows for the others while
// it is still being drawn, sent in batches (far fewer events than pointer moves); undo removes
// one's own last stroke only; a viewer cannot clear, the moderator can; a late joiner sees the
// whole board, each person's strokes in their own colour; a closed tab leaves the board's presence.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { liveFile, openPage, waitText, shot, WAIT_MS } from "./browser.mjs";
import { draw, openModerator, forgeClick, whoAmI, waitHere, leave } from "./apps.mjs";

// The node and the browser of this file (started before the first test, gone after the last).
const file = await liveFile({ admin: true });  // /metrics/live is on the admin listener
const { browser } = file;

const strokes = "#board-strokes polyline";
async function waitCount(page, selector, n) {
  await page.waitForFunction(([sel, want]) => document.querySelectorAll(sel).length === want, [selector, n], { timeout: WAIT_MS })
    .catch(async (e) => {
      throw new Error(`waiting for ${n} × ${selector}: there are ${await page.locator(selector).count()}\n${e.message}`);
    });
}
async function liveEvents() {
  return (await (await fetch(`${file.server.adminUrl}/metrics/live`)).json()).events;
}

test("strokes appear while drawn, batched; undo is one's own; clear is the moderator's", async () => {
  const a = await openPage(browser, `${file.server.url}/board`);
  const b = await openPage(browser, `${file.server.url}/board`);
  const mod = await openModerator(browser, file.server, "/board");
  await waitCount(b, strokes, 0);
  assert.equal(await a.locator("#clear").count(), 0);  // viewers have no clear button

  // a draws; b sees the stroke before a lets go, and sees it grow.
  await draw(a, [[0.1, 0.2], [0.3, 0.5], [0.5, 0.3]], {
    steps: 30,
    beforeUp: async () => {
      await waitCount(b, strokes, 1);
      await b.waitForFunction((sel) => document.querySelector(sel)?.getAttribute("points").split(" ").length >= 20, strokes);
    },
  });
  await b.waitForFunction((sel) => document.querySelector(sel)?.getAttribute("points").split(" ").length >= 61, strokes);
  assert.equal(await b.locator(strokes).first().getAttribute("stroke"), await a.locator("#board").getAttribute("data-color"));

  // Batching: 100 pointer moves inside one 40 ms batch window go out as one begin, one extend
  // and one end, not as 100 messages.
  const eventsBefore = await liveEvents();
  await a.evaluate(() => {
    const el = document.querySelector("#board");
    const r = el.getBoundingClientRect();
    const fire = (type, x, y) =>
      el.dispatchEvent(new PointerEvent(type, { clientX: r.left + x, clientY: r.top + y, button: 0, pointerId: 7, bubbles: true }));
    fire("pointerdown", 40, 40);
    for (let i = 1; i <= 100; i++) fire("pointermove", 40 + i * 3, 40 + i);
    fire("pointerup", 340, 140);
  });
  await waitCount(b, strokes, 2);
  await b.waitForFunction((sel) => document.querySelectorAll(sel)[1]?.getAttribute("points").split(" ").length === 101, strokes);
  const sent = (await liveEvents()) - eventsBefore;
  assert.ok(sent <= 4, `100 pointer moves became ${sent} live events`);

  // b draws twice, a once more; b's undo removes b's newest stroke only.
  // Each stroke is waited for before the next is drawn: draw() returns at pointerup, and the
  // strokes' order on the board is the order their "begin" reached the store, which two pages
  // drawing back to back do not fix (a's stroke once landed before b's second).
  await draw(b, [[0.6, 0.6], [0.8, 0.8]]);
  await waitCount(mod, strokes, 3);
  await draw(b, [[0.6, 0.2], [0.9, 0.2]]);
  await waitCount(mod, strokes, 4);
  await draw(a, [[0.2, 0.8], [0.4, 0.9]]);
  await waitCount(mod, strokes, 5);
  // a too, before b's undo: a 4-stroke board on a's page would otherwise also be the one from
  // before a's stroke (the drawer's page gets its stroke in the replies to its events).
  await waitCount(a, strokes, 5);
  await b.click("#undo");
  await waitCount(a, strokes, 4);
  await waitText(a, "#stroke-count", "4 strokes");
  const board = await a.locator(strokes).evaluateAll((els) => els.map((e) => e.getAttribute("points")));
  assert.equal(board.length, 4);
  assert.equal(await a.locator(strokes).last().getAttribute("data-by"), "you");  // a's newest stroke stayed
  await waitCount(b, `${strokes}[data-by=you]`, 1);  // b drew two and took back the newer

  // The moderator draws too: three people, three colours (visitors get different ones in turn).
  await draw(mod, [[0.75, 0.45], [0.85, 0.35], [0.95, 0.5]]);
  await waitCount(a, strokes, 5);  // 1 + 2 × 10 points, all sent once the pen is up
  await a.waitForFunction((sel) => document.querySelectorAll(sel)[4]?.getAttribute("points").split(" ").length === 21, strokes);
  board.push(await a.locator(strokes).last().getAttribute("points"));
  const people = [await whoAmI(a), await whoAmI(b), await whoAmI(mod)];
  assert.equal(new Set(people.map((p) => p.color)).size, 3);

  // A late joiner sees the whole board, point for point, each stroke in its drawer's colour.
  const late = await openPage(browser, `${file.server.url}/board`);
  await waitCount(late, strokes, 5);
  assert.deepEqual(await late.locator(strokes).evaluateAll((els) => els.map((e) => e.getAttribute("points"))), board);
  const colors = await late.locator(strokes).evaluateAll((els) => els.map((e) => e.getAttribute("stroke")));
  const [ca, cb, cm] = people.map((p) => p.color);
  assert.deepEqual(colors, [ca, ca, cb, ca, cm]);
  await waitHere(late, [...people, await whoAmI(late)]);
  await shot(late, "board");

  // A viewer cannot clear (the store refuses); the moderator can.
  await forgeClick(a, "clear");
  await waitText(a, "#message", "Only the moderator can clear the board.");
  await waitCount(b, strokes, 5);
  await mod.click("#clear");
  for (const p of [a, b, late]) await waitCount(p, strokes, 0);

  // b's browser goes away: b leaves the board's presence.
  await leave(b);
  for (const p of [a, mod, late]) await waitHere(p, [people[0], people[2], await whoAmI(late)]);
  assert.deepEqual([...a.errors, ...mod.errors, ...late.errors], []);
});
