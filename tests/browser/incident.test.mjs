// incident.test.mjs — shared form editing in three browsers: committed values appear live,
// a field's lease shows its holder and refuses everyone else (the page says who), leaving the
// field or closing the tab releases it, a late joiner sees the current report, pages that
// reconnect after a restart take no lease, an idle lease runs out by itself, and typing for longer
// than the lease keeps it (each change renews it) until the field is left.
import { test } from "node:test";
import assert from "node:assert/strict";
import { liveFile, openPage, shot, WAIT_MS } from "./browser.mjs";
import { whoAmI, waitHere, leave } from "./apps.mjs";
import { startServer } from "../conformance/server.mjs";

// The node and the browser of this file (started before the first test, gone after the last).
const file = await liveFile();
const { browser } = file;
// The pages the first test leaves open; the restart test watches them reconnect.
const open = [];

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
  for (const p of [a, b, c]) await waitHere(p, [ma, mb, mc]);

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
  await b.locator("#in-title").blur();  // sends the debounced change now, before the next one
  await b.locator("#message", { hasText: `${ma.name} is editing Title` }).waitFor();

  // b edits another field meanwhile: its own lease, its value live for a and c.
  await b.selectOption("#in-severity", "Critical");
  await waitValue(a, "#in-severity", "Critical");
  await waitValue(c, "#in-severity", "Critical");
  // b's forced title change went to the store before the severity one (ops on a key run in
  // order), so by now it has been refused: the title is still a's.
  assert.equal(await c.inputValue("#in-title"), "Checkout down for EU customers");
  assert.equal(await a.inputValue("#in-title"), "Checkout down for EU customers");

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
  for (const p of [a, b]) await waitHere(p, [ma, mb]);
  await a.fill("#in-summary", "A config push removed the EU payment route. Rolled back at 14:05.");

  // A late joiner sees the report as it is now.
  const d = await openPage(browser, `${file.server.url}/incident`);
  await waitValue(d, "#in-title", "Checkout down in the EU (fixed config rolled back)");
  await waitValue(d, "#in-severity", "Critical");
  await waitValue(d, "#in-summary", "A config push removed the EU payment route. Rolled back at 14:05.");
  await note(d, "summary").getByText(`${ma.name} is editing`).waitFor();
  assert.deepEqual([...a.errors, ...b.errors, ...d.errors], []);
  open.push(a, b, d);
});

test("the report is saved: after a restart the open pages reconnect, take no lease, and a fresh GET shows it", async () => {
  assert.equal((await file.server.stop()).code, 0);
  const main = "[data-phx-main]";
  for (const p of open) await p.locator(`${main}:not(.phx-connected)`).waitFor();
  file.server = await file.server.restart();  // same data dir: the store comes back from SQLite
  // LiveView marks a page connected once its rejoin (and any form recovery push) is answered.
  for (const p of open) await p.locator(`${main}.phx-connected`).waitFor();
  const html = await (await fetch(`${file.server.url}/incident`)).text();
  assert.match(html, /Checkout down in the EU \(fixed config rolled back\)/);
  assert.match(html, /<option value="Critical" selected>/);
  assert.match(html, /A config push removed the EU payment route. Rolled back at 14:05./);
  // A reconnecting page must not replay its old form: that took the first field's lease and
  // wrote that tab's (possibly stale or refused) value into the shared report.
  assert.doesNotMatch(html, /is editing/);
  assert.match(html, /<p class="field-note" id="note-title"><span class="edited">Last edited by /);
  for (const p of open) await leave(p);
});

test("an idle lease runs out: the field frees itself without a blur", async (t) => {
  // A node of this test's own whose leases last LEASE_MS instead of 15 s (long enough for the
  // other page to see the lease, short enough not to idle the suite).
  const LEASE_MS = 3000;
  const server = await startServer({ args: ["--incident-lease-ms", String(LEASE_MS)] });
  t.after(() => server.kill());
  const a = await openPage(browser, `${server.url}/incident`);
  const b = await openPage(browser, `${server.url}/incident`);
  const mb = await whoAmI(b);
  await b.fill("#in-commander", "Dana (on call)");
  await note(a, "commander").getByText(`${mb.name} is editing`).waitFor();
  // b keeps the focus and stops typing: the lease ends on the server by itself.
  await note(a, "commander").getByText(`Last edited by ${mb.name}`).waitFor({ timeout: LEASE_MS + WAIT_MS });
  assert.equal(await a.locator("#in-commander").getAttribute("readonly"), null);
  assert.equal(await b.evaluate(() => document.activeElement?.id), "in-commander");
  await note(b, "commander").getByText(`Last edited by ${mb.name}`).waitFor();
  // Typing again takes the lease again.
  await b.locator("#in-commander").pressSequentially(" ✓");
  await note(a, "commander").getByText(`${mb.name} is editing`).waitFor();
  await waitValue(a, "#in-commander", "Dana (on call) ✓");
  assert.deepEqual([...a.errors, ...b.errors], []);
  for (const p of [a, b]) await leave(p);  // before t.after kills their node
});

test("typing keeps the lease: each change renews it past its length; leaving the field releases it", async (t) => {
  const LEASE_MS = 3000;  // a node of this test's own, with the idle test's short lease
  const server = await startServer({ args: ["--incident-lease-ms", String(LEASE_MS)] });
  t.after(() => server.kill());
  const a = await openPage(browser, `${server.url}/incident`);
  const b = await openPage(browser, `${server.url}/incident`);
  const mb = await whoAmI(b);
  await b.click("#in-commander");  // focus takes the lease
  await note(a, "commander").getByText(`${mb.name} is editing`).waitFor();

  // From now on a notes every render of the field's note in which the lease badge is missing.
  await a.evaluate(() => {
    window.badgeGone = [];
    const check = () => {
      const note = document.querySelector("#note-commander")?.textContent.trim() ?? "(no note)";
      if (!note.endsWith("is editing")) window.badgeGone.push(note);
    };
    window.badgeWatch = new MutationObserver(check);
    window.badgeWatch.observe(document.querySelector("[data-phx-main]"), { subtree: true, childList: true, characterData: true });
  });

  // b types for well over two lease lengths, one key per 250 ms: more than the field's 200 ms
  // debounce, so each key is a change, and each change renews the lease.
  const typed = "Dana Kim, on call until 6pm";
  const started = Date.now();
  await b.keyboard.type(typed, { delay: 250 });
  const typing = Date.now() - started;
  assert.ok(typing > 2 * LEASE_MS, `typing took ${typing} ms, not over two leases of ${LEASE_MS} ms`);
  t.diagnostic(`typed for ${typing} ms with a ${LEASE_MS} ms lease`);
  await waitValue(a, "#in-commander", typed);
  await note(a, "commander").getByText(`${mb.name} is editing`).waitFor();
  assert.deepEqual(await a.evaluate(() => window.badgeGone), [], "the lease badge went away while b was typing");
  assert.equal(await a.locator("#in-commander").getAttribute("readonly"), "");

  // b leaves the field: the lease goes at once, not a lease length later.
  const left = Date.now();
  await b.locator("#in-commander").blur();
  await note(a, "commander").getByText(`Last edited by ${mb.name}`).waitFor();
  assert.equal(await a.locator("#in-commander").getAttribute("readonly"), null);
  await note(b, "commander").getByText(`Last edited by ${mb.name}`).waitFor();
  assert.ok((await a.evaluate(() => window.badgeGone)).length > 0);
  assert.ok(Date.now() - left < LEASE_MS + WAIT_MS);
  assert.deepEqual([...a.errors, ...b.errors], []);
  for (const p of [a, b]) await leave(p);  // before t.after kills their node
});
