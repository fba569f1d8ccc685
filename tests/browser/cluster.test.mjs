// cluster.test.mjs — the demo pages on three nodes joined through Redis with PostgreSQL storage,
// each browser on a different node: a click on one node shows on the others, the presence
// dashboard lists people on every node, and a poll created on one node is voted on from
// another. Redis and PostgreSQL are the test's own, on loopback.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

import { launchBrowser, openPage, text, waitText, shot } from "./browser.mjs";
import { whoAmI } from "./apps.mjs";
import { metrics, startCluster, untilMetrics } from "../conformance/cluster.mjs";
import { pgForFile } from "../conformance/pg.mjs";

const browser = await launchBrowser();
const db = pgForFile("browser");
let cluster;
before(async () => {
  const url = db.url;
  // One secret for every node: a page's signed session and visitor cookie are good on any node.
  // A long lease, so the key's owner still holds it well after Redis goes away (the last test).
  cluster = await startCluster(3, { args: ["--secret", "cluster-browser-secret-at-least-32-bytes-long", "--storage", url, "--cluster-lease-ms", "10000"] });
  for (const node of cluster.nodes) await untilMetrics(node, (m) => m.cohort_cluster_links_up === 2, "both Redis links up");
});
after(async () => {
  await cluster?.stopAll();
});

test("the counter: a click in a browser on one node shows in browsers on the other two", async () => {
  const [a, b, c] = await Promise.all(cluster.nodes.map((n) => openPage(browser, `${n.url}/counter`)));
  const start = Number(await text(a, "#count"));
  assert.equal(Number(await text(c, "#count")), start);
  await a.click("#inc");
  for (const p of [a, b, c]) await waitText(p, "#count", String(start + 1));
  await c.click("#inc10");
  for (const p of [a, b, c]) await waitText(p, "#count", String(start + 11));
  await b.click("#dec");
  for (const p of [a, b, c]) await waitText(p, "#count", String(start + 10));
  assert.deepEqual([...a.errors, ...b.errors, ...c.errors], []);
});

test("the dashboard on one node lists the people on every node; a poll made on one is voted on another", async () => {
  const [n0, n1, n2] = cluster.nodes;
  const admin = await openPage(browser, `${n0.url}/dashboard`);
  const owner = await openPage(browser, `${n1.url}/polls`);
  const voter = await openPage(browser, `${n2.url}/polls`);
  const [mo, mv] = [await whoAmI(owner), await whoAmI(voter)];
  await admin.locator(`#person-${mo.id}`).waitFor();
  await admin.locator(`#person-${mv.id}`).waitFor();
  await waitText(admin, "#page-polls .people", "2 people");

  await owner.fill("#poll-question", "Which node is best?");
  await owner.fill("#poll-o1", "All of them");
  await owner.fill("#poll-o2", "None");
  await owner.click("#create-poll");
  await waitText(owner, "#question", "Which node is best?");
  const id = owner.url().split("/").pop();
  await voter.locator(`#poll-${id}`, { hasText: "Which node is best?" }).waitFor();
  await voter.goto(`${n2.url}/polls/${id}`);
  await voter.locator("[data-phx-main].phx-connected").waitFor();
  await voter.click("#option-o1 button");
  for (const p of [owner, voter]) await waitText(p, "#votes-o1", "1 vote · 100%");
  await shot(admin, "cluster-dashboard");
  assert.deepEqual([...admin.errors, ...owner.errors, ...voter.errors], []);
});

test("Redis restarted: a change made meanwhile on the owner's node reaches the other node's page after", async () => {
  // The counter's owner, from its lease in Redis.
  const holder = execFileSync("redis-cli", ["-p", String(cluster.redis.port), "--raw", "GET", "cohort:lease:counter:main"],
                              { encoding: "utf8", timeout: 5000 }).trim().split(":")[0];
  const ids = await Promise.all(cluster.nodes.map(async (n) => String((await metrics(n)).cohort_cluster_node_id)));
  const owner = cluster.nodes[ids.indexOf(holder)];
  const other = cluster.nodes.find((n) => n !== owner);
  assert.ok(owner, `the counter's lease names node ${holder}, one of ${ids}`);
  const onOwner = await openPage(browser, `${owner.url}/counter`);
  const onOther = await openPage(browser, `${other.url}/counter`);
  const start = Number(await text(onOwner, "#count"));

  await cluster.redis.kill();
  await untilMetrics(owner, (m) => m.cohort_cluster_links_up === 0, "the owner sees Redis gone");
  // The owner's lease is still good: the click is applied and committed, but its patch cannot
  // cross to the other node.
  await onOwner.click("#inc");
  await waitText(onOwner, "#count", String(start + 1));
  assert.equal(Number(await text(onOther, "#count")), start, "nothing crossed while Redis was down");

  cluster.redis = await cluster.redis.restart();
  for (const node of cluster.nodes) await untilMetrics(node, (m) => m.cohort_cluster_links_up === 2, "links back up");
  // No further change: the other page catches up by the resync alone (it re-reads the state).
  await waitText(onOther, "#count", String(start + 1));
  await onOther.click("#inc");
  for (const p of [onOwner, onOther]) await waitText(p, "#count", String(start + 2));
  assert.deepEqual([...onOwner.errors, ...onOther.errors], []);
});

