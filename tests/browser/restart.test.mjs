// restart.test.mjs — the node restarted mid-session: both pages reconnect on their own, come
// back with the shared state from the stores, and stay live; reloaded, they show it again.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { liveFile, openPage, connected, waitText, waitTexts, text } from "./browser.mjs";

// The node and the browser of this file (started before the first test, gone after the last).
const file = await liveFile();
const { browser } = file;

test("both pages reconnect after a restart with the state intact", async () => {
  const a = await openPage(browser, `${file.server.url}/counter`);
  const b = await openPage(browser, `${file.server.url}/list`);
  await a.click("#inc10");
  await waitText(a, "#count", "10");
  await b.fill("#item-text", "survives");
  await b.click("#add");
  await waitTexts(b, "#items .text", ["survives"]);
  // A draft typed but not submitted: the remounted view learns it again by form recovery.
  await b.fill("#item-text", "z".repeat(210));
  await waitText(b, "#hint", "Too long: 210 of 200 characters");

  const stopped = await file.server.stop();
  assert.equal(stopped.code, 0);
  // The client notices: the root loses phx-connected.
  await a.locator("[data-phx-main].phx-connected").waitFor({ state: "detached" });
  file.server = await file.server.restart();

  // Reconnect is the client's own backoff (1 s, 2 s, ...): wait for the join, bounded.
  await connected(a);
  await connected(b);
  assert.equal(await text(a, "#count"), "10");
  await waitTexts(b, "#items .text", ["survives"]);
  // The fresh view starts with no hint; only the client's recovered phx-change brings it back.
  await waitText(b, "#hint", "Too long: 210 of 200 characters");
  assert.equal(await b.inputValue("#item-text"), "z".repeat(210));
  await a.click("#inc");
  await waitText(a, "#count", "11");
  // A page reloaded after the restart: a new GET and a first mount on the new node.
  await b.reload();
  await connected(b);
  await waitTexts(b, "#items .text", ["survives"]);
  await a.reload();
  await connected(a);
  assert.equal(await text(a, "#count"), "11");
  assert.deepEqual([...a.errors, ...b.errors], []);
});
