// dashboard.test.mjs — the presence dashboard with three other browsers: who is online, on
// which page, how many tabs each; live connection figures and message rate; a browser that
// closes disappears; a dashboard opened late shows the same at once.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { liveFile, openPage, connected, waitText, shot, WAIT_MS } from "./browser.mjs";
import { whoAmI, leave } from "./apps.mjs";

// The node and the browser of this file (started before the first test, gone after the last).
const file = await liveFile();
const { browser } = file;

test("people, pages and tabs follow the browsers; figures move; a closed browser leaves", async () => {
  const admin = await openPage(browser, `${file.server.url}/dashboard`);
  const a = await openPage(browser, `${file.server.url}/quiz`);
  const b = await openPage(browser, `${file.server.url}/board`);
  const b2 = await b.context().newPage();  // b's second tab: same person, same cookie
  await b2.goto(`${file.server.url}/incident`);
  await connected(b2);
  const c = await openPage(browser, `${file.server.url}/polls`);
  const [ma, mb, mc, me] = [await whoAmI(a), await whoAmI(b), await whoAmI(c), await whoAmI(admin)];
  assert.equal((await whoAmI(b2)).id, mb.id);

  await waitText(admin, "#people-count", "4");
  await waitText(admin, "#tabs-count", "5");
  const row = (m) => admin.locator(`#person-${m.id}`);
  await waitText(admin, `#person-${mb.id} .tabs`, "2 tabs");
  assert.deepEqual(await row(mb).locator(".chip").allTextContents(), ["/board", "/incident"]);
  assert.deepEqual(await row(ma).locator(".chip").allTextContents(), ["/quiz"]);
  assert.equal((await row(ma).locator(".name").textContent()).trim(), ma.name);
  assert.deepEqual(await row(me).locator(".chip").allTextContents(), ["/dashboard"]);
  await waitText(admin, "#page-quiz .people", "1 person");
  await waitText(admin, "#page-board .tabs", "1 tab");

  // Figures: the WebSockets open (at least the five live pages), and a rate that moves.
  await admin.waitForFunction(() => Number(document.querySelector("#websockets").textContent) >= 5, null, { timeout: WAIT_MS });
  for (let i = 0; i < 5; i++) await c.fill("#poll-question", `typing ${i}`).then(() => c.click("#create-poll"));
  await admin.waitForFunction(() => Number(document.querySelector("#in-rate").textContent) > 0, null, { timeout: WAIT_MS });
  await shot(admin, "dashboard");

  // b closes one tab, then c goes away entirely.
  await b2.close();
  await waitText(admin, `#person-${mb.id} .tabs`, "1 tab");
  await leave(c);
  await row(mc).waitFor({ state: "detached" });
  await waitText(admin, "#people-count", "3");
  await admin.locator("#page-polls").waitFor({ state: "detached" });

  // A dashboard opened now sees the same people, pages and tabs at once.
  const late = await openPage(browser, `${file.server.url}/dashboard`);
  const ml = await whoAmI(late);
  await waitText(late, "#people-count", "4");  // a, b, the first admin and this one
  const lateRow = (m) => late.locator(`#person-${m.id}`);
  assert.deepEqual(await lateRow(mb).locator(".chip").allTextContents(), ["/board"]);
  assert.deepEqual(await lateRow(ma).locator(".chip").allTextContents(), ["/quiz"]);
  assert.deepEqual(await lateRow(ml).locator(".chip").allTextContents(), ["/dashboard"]);
  await waitText(admin, "#people-count", "4");
  assert.deepEqual([...admin.errors, ...a.errors, ...b.errors, ...late.errors], []);
});
