// nested.test.mjs — a nested live view in Chromium with the official client: the dashboard's
// node figures are a child view ({{%node_figures figures}}). The page's first HTML holds its
// container with the child's first render inside, as Phoenix's does; once live, the child joins
// on its own lv: topic (with that container's session), renders on its own timer
// (its frames never come on the parent's topic, and the parent's carry none of its content),
// takes its own events, and keeps its state when the parent renders again.
import { test } from "node:test";
import assert from "node:assert/strict";
import { liveFile, openPage, waitText, text } from "./browser.mjs";
import { WAIT_MS } from "../conformance/helpers.mjs";

const file = await liveFile();
const { browser } = file;

// The Phoenix frames a page receives, by topic: [{topic, event, raw}].
function recordFrames(page) {
  const frames = [];
  page.on("websocket", (ws) =>
    ws.on("framereceived", ({ payload }) => {
      if (typeof payload !== "string") return;
      const [, , topic, event] = JSON.parse(payload);
      frames.push({ topic, event, raw: payload });
    }),
  );
  return frames;
}

test("the first HTML holds the child's first render in its container; live, it renders on its own", async () => {
  const html = await (await fetch(`${file.server.url}/dashboard`)).text();
  const container = /<div id="node-figures" data-phx-session="[^"]+" data-phx-static="" data-phx-parent-id="(phx-[^"]+)" class="tiles">/.exec(html);
  assert.ok(container, "the dashboard's HTML has the nested view's container");
  assert.match(html, new RegExp(`<div id="${container[1]}" data-phx-main`));
  const inside = html.slice(container.index + container[0].length);
  assert.match(inside, /^\s*<div class="tile tile-node"><span class="tile-value" id="websockets">\d+<\/span><span class="tile-label">WebSockets open/,
               "the child's first render is inside its container");
  assert.match(inside, /id="samples">1<\/span>/, "rendered from the child's own mount (one sample)");

  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const frames = recordFrames(page);
  await page.goto(`${file.server.url}/dashboard`);
  await childRendered(page);
  const parentTopic = `lv:${await page.locator("[data-phx-main]").getAttribute("id")}`;
  await page.waitForFunction(() => Number(document.querySelector("#samples")?.textContent) >= 3, null, { timeout: WAIT_MS });
  const child = frames.filter((f) => f.topic === "lv:node-figures");
  assert.ok(child.filter((f) => f.event === "diff").length >= 2, "the child pushes its own diffs");
  assert.ok(child.some((f) => f.raw.includes("WebSockets open")), "the child's join reply carries its template");
  assert.ok(!frames.some((f) => f.topic === parentTopic && f.raw.includes("WebSockets open")), "the parent sends none of the child's content");
  assert.match(await text(page, "#websockets"), /^\d+$/);
  assert.equal(await page.locator("#websockets").count(), 1, "the child's content once, not the first HTML's beside the joined child's");
  await context.close();
});

test("the child takes its own events and keeps its state when the parent renders again", async () => {
  const watcher = await openPage(browser, `${file.server.url}/dashboard`);
  await childRendered(watcher);
  await watcher.click("#figures-pause");
  await waitText(watcher, "#figures-pause", "Resume");
  const paused = await text(watcher, "#samples");
  const people = Number(await text(watcher, "#people-count"));

  const visitor = await openPage(browser, `${file.server.url}/counter`);  // the parent renders the newcomer
  await waitText(watcher, "#people-count", String(people + 1));
  assert.equal(await text(watcher, "#figures-pause"), "Resume", "the child was not mounted again");
  assert.equal(await text(watcher, "#samples"), paused, "a paused child does not sample");

  await watcher.click("#figures-pause");
  await watcher.waitForFunction((n) => Number(document.querySelector("#samples").textContent) > n, Number(paused), { timeout: WAIT_MS });
  assert.deepEqual(watcher.errors, []);
  await visitor.context().close();
});

// The child has joined. (Not its content: the first HTML holds that before it joins. Nor its
// phx-connected class: the parent's renders set its container's attributes, class included, as
// the parent's template writes them.)
async function childRendered(page) {
  await page.waitForFunction(() => {
    const el = document.getElementById("node-figures");
    return Boolean(el && window.liveSocket.getViewByEl(el)?.isConnected());
  }, null, { timeout: WAIT_MS });
}
