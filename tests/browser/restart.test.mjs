// restart.test.mjs — the node restarted mid-session: both pages reconnect on their own, come
// back with the shared state from the stores, and stay live.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "../conformance/server.mjs";
import { launchBrowser, openPage, connected, waitText, waitTexts, text } from "./browser.mjs";

// At the top level: launchBrowser() closes the browser in an after() hook of the file.
const browser = await launchBrowser();
let server;
before(async () => {
  server = await startServer();
});
after(async () => server?.kill());

test("both pages reconnect after a restart with the state intact", async () => {
  const a = await openPage(browser, `${server.url}/counter`);
  const b = await openPage(browser, `${server.url}/list`);
  await a.click("#inc10");
  await waitText(a, "#count", "10");
  await b.fill("#item-text", "survives");
  await b.click("#add");
  await waitTexts(b, "#items .text", ["survives"]);

  const stopped = await server.stop();
  assert.equal(stopped.code, 0);
  // The client notices: the root loses phx-connected.
  await a.locator("[data-phx-main].phx-connected").waitFor({ state: "detached" });
  server = await server.restart();

  // Reconnect is the client's own backoff (1 s, 2 s, ...): wait for the join, bounded.
  await connected(a);
  await connected(b);
  assert.equal(await text(a, "#count"), "10");
  await waitTexts(b, "#items .text", ["survives"]);
  await a.click("#inc");
  await waitText(a, "#count", "11");
  assert.deepEqual([...a.errors, ...b.errors], []);
});
