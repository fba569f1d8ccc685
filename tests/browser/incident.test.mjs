// incident.test.mjs — shared form editing in three browsers: committed values appear live,
// a field's lease shows its holder and refuses everyone else (the page says who), leaving the
// field or closing the tab releases it, and a late joiner sees the current report.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { liveFile, openPage, waitText, shot, WAIT_MS } from "./browser.mjs";
import { whoAmI, leave } from "./apps.mjs";

// The node and the browser of this file (started before the first test, gone after the last).
const file = await liveFile();
const { browser } = file;

const note = (page, field) => page.locator(`#note-${field}`);
async function waitValue(page, selector, want) {
  await page.waitForFunction(([sel, w]) => document.querySelector(sel)?.value === w, [selector, want], { timeout: WAIT_MS })
    .catch(async (e) => {
      throw new Error(`waiting for ${selector} to hold ${JSON.stringify(want)}: it holds ${JSON.stringify(await page.inputValue(selector))}\n${e.message}`);
    });
}

test("three editors: live values, leases that refuse others, release on blur and on disconnect", async () => {
  const a = await openPage(browser, `${file.server.url}/incident`);
  const b = await openPage(browser, `${file.server.url}/incident`);
  const c = await openPage(browser, `${file.server.url}/incident`);
  const [ma, mb, mc] = [await whoAmI(a), await whoAmI(b), await whoAmI(c)];
  for (const p of [a, b, c]) for (const m of [ma, mb, mc]) await p.locator(`#here-${m.id}`).waitFor();

  // a takes the title: everyone else sees who is editing, and the field turns read-only there.
  await a.fill("#in-title", "Checkout down for EU customers");
  for (const p of [b, c]) {
    await note(p, "title").getByText(`${ma.name} is editing`).waitFor();
    await waitValue(p, "#in-title", "Checkout down for EU customers");
    assert.equal(await p.locator("#in-title").getAttribute("readonly"), "");
  }
  await note(a, "title").getByText("You are editing").waitFor();

  // b tries anyway: focusing is refused with a clear message, and so is a forced edit.
  await b.click("#in-title");
  await b.locator("#message", { hasText: `${ma.name} is editing Title` }).waitFor();
  await b.evaluate(() => document.querySelector("#in-title").removeAttribute("readonly"));
  await b.fill("#in-title", "b was here");
  await b.locator("#message", { hasText: `${ma.name} is editing Title` }).waitFor();
  await c.locator("#in-severity").waitFor();
  assert.equal(await c.inputValue("#in-title"), "Checkout down for EU customers");

  // b edits another field meanwhile: its own lease, its value live for a and c.
  await b.selectOption("#in-severity", "Critical");
  await waitValue(a, "#in-severity", "Critical");
  await waitValue(c, "#in-severity", "Critical");

  // a leaves the title: the lease goes, and c can now edit it.
  await a.click("h1");
  for (const p of [b, c]) await note(p, "title").getByText(`Last edited by ${ma.name}`).waitFor();
  await c.fill("#in-title", "Checkout down in the EU (fixed config rolled back)");
  await waitValue(a, "#in-title", "Checkout down in the EU (fixed config rolled back)");
  await note(a, "title").getByText(`${mc.name} is editing`).waitFor();

  // c writes a summary, then its browser goes away mid-edit: its leases end, it leaves presence.
  await c.fill("#in-summary", "A config push removed the EU payment route.");
  await waitValue(a, "#in-summary", "A config push removed the EU payment route.");
  await note(a, "summary").getByText(`${mc.name} is editing`).waitFor();
  await shot(a, "incident");
  await leave(c);
  await note(a, "summary").getByText(`Last edited by ${mc.name}`).waitFor();
  await note(b, "title").getByText(`Last edited by ${mc.name}`).waitFor();
  await a.locator(`#here-${mc.id}`).waitFor({ state: "detached" });
  await a.fill("#in-summary", "A config push removed the EU payment route. Rolled back at 14:05.");

  // A late joiner sees the report as it is now.
  const d = await openPage(browser, `${file.server.url}/incident`);
  await waitValue(d, "#in-title", "Checkout down in the EU (fixed config rolled back)");
  await waitValue(d, "#in-severity", "Critical");
  await waitValue(d, "#in-summary", "A config push removed the EU payment route. Rolled back at 14:05.");
  await note(d, "summary").getByText(`${ma.name} is editing`).waitFor();
  assert.deepEqual([...a.errors, ...b.errors, ...d.errors], []);
});

test("the report is saved: after a restart of the node a fresh GET shows it", async () => {
  assert.equal((await file.server.stop()).code, 0);
  file.server = await file.server.restart();  // same data dir: the store comes back from SQLite
  const html = await (await fetch(`${file.server.url}/incident`)).text();
  assert.match(html, /Checkout down in the EU \(fixed config rolled back\)/);
  assert.match(html, /<option value="Critical" selected>/);
  assert.match(html, /A config push removed the EU payment route. Rolled back at 14:05./);
});

test("an idle lease runs out: the field frees itself without a blur", async () => {
  const a = await openPage(browser, `${file.server.url}/incident`);
  const b = await openPage(browser, `${file.server.url}/incident`);
  const mb = await whoAmI(b);
  await b.fill("#in-commander", "Dana (on call)");
  await note(a, "commander").getByText(`${mb.name} is editing`).waitFor();
  // b keeps the focus and stops typing: the 15 s lease ends on the server by itself.
  await note(a, "commander").getByText(`Last edited by ${mb.name}`).waitFor({ timeout: 25_000 });
  assert.equal(await a.locator("#in-commander").getAttribute("readonly"), null);
  assert.equal(await b.evaluate(() => document.activeElement?.id), "in-commander");
  await note(b, "commander").getByText(`Last edited by ${mb.name}`).waitFor();
  // Typing again takes the lease again.
  await b.locator("#in-commander").pressSequentially(" ✓");
  await note(a, "commander").getByText(`${mb.name} is editing`).waitFor();
  await waitValue(a, "#in-commander", "Dana (on call) ✓");
});
