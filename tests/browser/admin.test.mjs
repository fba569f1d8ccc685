// admin.test.mjs — the admin dashboard (/admin, src/live/admin_dashboard.hpp) on two nodes joined
// through Redis: opened on node A's admin listener, it lists both nodes, and what happens on node
// B — sockets and presences on a room, shouts, a counter clicked, a field of the incident form
// leased, live pages open — shows in B's section of A's page within seconds. Each node's page marks
// its own card ("this node") and names it in the title and heading; no card's content is wider
// than the card, at the default viewport as at a 600 px one, with a lease's holder in the keys
// table. The screenshot goes to COHORT_ADMIN_SCREENSHOT (default <build>/test-artifacts/admin.png).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

import { launchBrowser, openPage, text, WAIT_MS } from "./browser.mjs";
import { whoAmI } from "./apps.mjs";
import { startCluster, untilMetrics } from "../conformance/cluster.mjs";
import { ClientPool, cast, presenceClient } from "../conformance/helpers.mjs";
import { pgForFile } from "../conformance/pg.mjs";

const browser = await launchBrowser();
const pool = new ClientPool();
const db = pgForFile("browser-admin");  // the stores of a cluster share PostgreSQL, as cluster.test.mjs's do
let cluster;
before(async () => {
  cluster = await startCluster(2, { args: ["--storage", db.url] });
  for (const node of cluster.nodes) await untilMetrics(node, (m) => m.cohort_cluster_links_up === 2, "both Redis links up");
});
after(async () => {
  await pool.closeAll();
  await cluster?.stopAll();
});

// B's section on A's page, by B's main port (a node is named <host>:<port>).
const section = (page, node) => page.locator(`section.node[data-node$=":${node.port}"]`);

// Waits until, in node's section of the page, the element at sel passes the check: "is" (its text
// is want), "atLeast" (its text is a number >= want), "includes" (its text includes want),
// "points" (its points attribute has >= want points). node null: in any node's section (a store
// key is in the section of the node that owns it, which the cluster chooses). Deadline: every
// browser wait's.
async function waitSection(page, node, [check, sel, want], what) {
  const section = node ? `section.node[data-node$=":${node.port}"]` : "section.node";
  await page.waitForFunction(([section, check, sel, want]) => [...document.querySelectorAll(`${section} ${sel}`)].some((el) => {
    const t = el.textContent.trim();
    if (check === "is") return t === want;
    if (check === "atLeast") return Number(t) >= want;
    if (check === "includes") return t.includes(want);
    return (el.getAttribute("points") ?? "").split(" ").length >= want;
  }), [section, check, sel, want], { timeout: WAIT_MS }).catch(async (e) => {
    const got = await page.locator("main.admin").innerText().catch(() => "(no page)");
    throw new Error(`waiting for ${what} in ${node ? `the section of ${node.url}` : "a node's section"}: the page reads\n${got}\n${e.message}`);
  });
}

// The page is node self's: its card alone carries the "this node" badge and class, and its name
// (the card's data-node) is in the heading and the page's title.
async function assertMarked(page, self, other) {
  await section(page, self).locator(".this-node-badge").waitFor();
  assert.equal(await page.locator("section.node .this-node-badge").count(), 1, "one card marked");
  assert.equal(await section(page, other).locator(".this-node-badge").count(), 0);
  assert.match(await section(page, self).getAttribute("class"), /\bthis-node\b/);
  assert.doesNotMatch(await section(page, other).getAttribute("class"), /\bthis-node\b/);
  const name = await section(page, self).getAttribute("data-node");
  assert.equal(await text(page, "#admin-self"), name);
  assert.ok((await page.title()).includes(name), `the title "${await page.title()}" names ${name}`);
}

// What, inside a node's card, reaches past the card's left or right edge (each element's bounding
// box; and the card's own scrollWidth against its clientWidth), described; [] when nothing does.
function overflowingCards(page) {
  return page.evaluate(() => {
    const seen = [];
    const name = (el) => el.tagName.toLowerCase() + (el.dataset.field ? `[data-field=${el.dataset.field}]` : "") +
      (el.dataset.table ? `[data-table=${el.dataset.table}]` : "") + ` "${el.textContent.replace(/\s+/g, " ").trim().slice(0, 40)}"`;
    for (const card of document.querySelectorAll("section.node")) {
      const box = card.getBoundingClientRect();
      if (card.scrollWidth > card.clientWidth)
        seen.push(`${card.dataset.node}: scrollWidth ${card.scrollWidth} > clientWidth ${card.clientWidth}`);
      for (const el of card.querySelectorAll("*")) {
        const r = el.getBoundingClientRect();
        if (r.width > 0 && (r.left < box.left - 0.5 || r.right > box.right + 0.5))
          seen.push(`${card.dataset.node}: ${name(el)} spans [${r.left}, ${r.right}], the card [${box.left}, ${box.right}]`);
      }
    }
    return seen;
  });
}

test("node A's dashboard on its admin listener lists both nodes and follows B's figures", async () => {
  const [a, b] = cluster.nodes;
  const admin = await openPage(browser, `${a.adminUrl}/admin`);
  await section(admin, a).waitFor();
  await section(admin, b).waitFor();
  assert.equal(await text(admin, "#node-count"), "2");
  await assertMarked(admin, a, b);
  const adminB = await openPage(browser, `${b.adminUrl}/admin`);  // and B's own page marks B
  await section(adminB, a).waitFor();
  await assertMarked(adminB, b, a);
  assert.deepEqual(adminB.errors, []);
  await adminB.context().close();
  // Both sections say they are in a cluster with both links up.
  for (const n of [a, b]) assert.match(await section(admin, n).locator('[data-field="redis"]').innerText(), /up/);

  // Traffic on B: three people on a room (presence), shouting; a counter page and an incident form.
  const topic = `room:admin-${Date.now()}`;
  const people = [];
  for (const user of ["ann", "bob", "cyd"]) people.push(await presenceClient(pool, b, topic, user));
  const counter = await openPage(browser, `${b.url}/counter`);
  await counter.click("#inc");
  const form = await openPage(browser, `${b.url}/incident`);
  const me = await whoAmI(form);
  await form.fill("#in-title", "Dashboard test");

  const room = `tr[data-topic="${topic}"]`;
  await waitSection(admin, b, ["is", `[data-table="presence"] ${room} td.n`, "3"], "3 presences on the room");
  await waitSection(admin, b, ["is", `[data-table="by_subscribers"] ${room} td.n`, "3"], "the room's 3 subscribers");
  await waitSection(admin, b, ["atLeast", '[data-field="websockets"]', 5], "B's WebSockets: 3 room clients and 2 pages");
  // The stores' keys are in the section of the node that owns them (either, by lease).
  await waitSection(admin, null, ["atLeast", '[data-table="keys"] tr[data-key="counter:main"] [data-field="version"]', 1],
                    "counter:main loaded with its version");
  await waitSection(admin, b, ["is", '[data-table="views"] tr[data-page="/counter"] td.n', "1"], "the /counter page open");
  await waitSection(admin, null, ["includes", '[data-table="keys"] tr[data-key="incident:main"] [data-field="locks"]', `→ ${me.id}`],
                    "the incident title's lease held by the form's visitor");

  // Shouts on B: its messages in per second rise above zero and the sparkline gets points.
  const shouting = setInterval(() => cast(people[0].channel, "shout", { n: 1 }), 20);
  try {
    await waitSection(admin, b, ["atLeast", '[data-field="in_per_s"]', 5], "B's messages in per second");
    await waitSection(admin, b, ["atLeast", `[data-table="by_rate"] ${room} td.n`, 5], "the room among the busiest topics");
    await waitSection(admin, b, ["points", '[data-field="spark_in"]', 3], "a sparkline of B's rate");
    const file = process.env.COHORT_ADMIN_SCREENSHOT ?? path.resolve(process.env.COHORT_ARTIFACTS ?? "build/test-artifacts", "admin.png");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await admin.screenshot({ path: file, fullPage: true, animations: "disabled" });
  } finally {
    clearInterval(shouting);
  }

  // The lease's holder still listed: nothing in a card reaches past the card, at the default
  // viewport and at a narrow one (the keys table, its locks column last, used to).
  const leased = ["includes", '[data-table="keys"] tr[data-key="incident:main"] [data-field="locks"]', `→ ${me.id}`];
  await waitSection(admin, null, leased, "the incident title's lease, still held");
  assert.deepEqual(await overflowingCards(admin), [], "at the default viewport");
  await admin.setViewportSize({ width: 600, height: 900 });
  await waitSection(admin, null, leased, "the incident title's lease, at 600 px");
  assert.deepEqual(await overflowingCards(admin), [], "at 600 x 900");

  // B gone: A's page drops it within the forget delay (5 s), and keeps itself.
  await b.kill();
  await section(admin, b).waitFor({ state: "detached", timeout: 8000 });
  await section(admin, a).waitFor();
  assert.deepEqual([...admin.errors, ...counter.errors, ...form.errors], []);
});
