// polls.test.mjs — live voting in three browsers: the owner creates a poll, it appears in the
// list for everyone, votes show as live bars, a second vote is refused by the store, only the
// owner closes the poll, and a late joiner sees the results. Each page lists who is on it, in
// their colours; a browser that goes away leaves the list.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { liveFile, openPage, waitText, shot } from "./browser.mjs";
import { forgeClick, hereOf, whoAmI, waitHere, leave } from "./apps.mjs";

// The node and the browser of this file (started before the first test, gone after the last).
const file = await liveFile();
const { browser } = file;

test("create, vote once each with live bars, owner closes, late joiner sees results", async () => {
  const owner = await openPage(browser, `${file.server.url}/polls`);
  const watcher = await openPage(browser, `${file.server.url}/polls`);
  await owner.locator("#no-polls").waitFor();
  const [mo, mw] = [await whoAmI(owner), await whoAmI(watcher)];
  assert.notEqual(mo.color, mw.color);  // colours are handed out in turn
  for (const p of [owner, watcher]) await waitHere(p, [mo, mw]);

  // A form with one option is refused with a reason; nothing typed is lost.
  await owner.fill("#poll-question", "Where should the team lunch be?");
  await owner.fill("#poll-o1", "Noodle bar");
  await owner.click("#create-poll");
  await waitText(owner, "#message", "Give two to six different options.");
  assert.equal(await owner.inputValue("#poll-question"), "Where should the team lunch be?");
  await owner.fill("#poll-o2", "Pizza place");
  await owner.fill("#poll-o3", "Salad bar");
  await owner.click("#create-poll");
  await waitText(owner, "#question", "Where should the team lunch be?");
  const url = owner.url();
  assert.match(url, /\/polls\/[a-z0-9]+$/);
  const id = url.split("/").pop();

  // The list shows the new poll for everyone, live; the owner has left the list page.
  await watcher.locator(`#poll-${id}`, { hasText: "Where should the team lunch be?" }).waitFor();
  await waitHere(watcher, [mw]);

  const v1 = await openPage(browser, url);
  const v2 = await openPage(browser, url);
  const [m1, m2] = [await whoAmI(v1), await whoAmI(v2)];
  assert.equal(new Set([mo.color, m1.color, m2.color]).size, 3);
  for (const p of [owner, v1, v2]) await waitHere(p, [mo, m1, m2]);
  await v1.click("#option-o1 button");
  for (const p of [owner, v1, v2]) await waitText(p, "#votes-o1", "1 vote · 100%");
  await v1.click("#option-o2 button");  // a second vote: the store refuses it
  await waitText(v1, "#message", "You have already voted in this poll.");
  await v2.click("#option-o2 button");
  for (const p of [owner, v1, v2]) {
    await waitText(p, "#votes-o1", "1 vote · 50%");
    await waitText(p, "#votes-o2", "1 vote · 50%");
    await waitText(p, "#total", "2 votes");
  }
  await owner.click("#option-o2 button");
  await waitText(v2, "#votes-o2", "2 votes · 67%");
  const width = await v2.locator("#option-o2 .bar span").getAttribute("style");
  assert.equal(width, "width: 67%");
  await shot(v2, "polls");

  // Only the owner closes: a voter has no button, and a forged close is refused.
  assert.equal(await v1.locator("#close-poll").count(), 0);
  await forgeClick(v1, "close");
  await waitText(v1, "#message", "Only the poll's owner can close it.");
  assert.equal(await v2.locator("#closed-tag").count(), 0);
  await owner.click("#close-poll");
  for (const p of [owner, v1, v2]) await p.locator("#closed-tag").waitFor();
  await watcher.locator(`#poll-${id} .tag`, { hasText: "closed" }).waitFor();

  // A late joiner sees the final results, who is here, and cannot vote.
  const late = await openPage(browser, url);
  const ml = await whoAmI(late);
  await waitText(late, "#votes-o2", "2 votes · 67%");
  await late.locator("#closed-tag").waitFor();
  assert.equal(await late.locator("#option-o1 button").isDisabled(), true);
  for (const p of [owner, v1, v2, late]) await waitHere(p, [mo, m1, m2, ml]);
  await shot(owner, "polls-closed");

  // v1's browser goes away: it leaves the poll's list for everyone still there.
  const errors = [...v1.errors];
  await leave(v1);
  for (const p of [owner, v2, late]) await waitHere(p, [mo, m2, ml]);
  assert.deepEqual([...owner.errors, ...errors, ...v2.errors, ...late.errors], []);
});

test("an unknown poll says so", async () => {
  const page = await openPage(browser, `${file.server.url}/polls/nosuchpoll`);
  await page.locator("#missing").waitFor();
});

test("a half-typed poll survives another person arriving and a poll appearing in the list", async () => {
  const drafter = await openPage(browser, `${file.server.url}/polls`);
  const me = await whoAmI(drafter);
  await drafter.locator(`#here-${me.id}`).waitFor();
  const already = (await hereOf(drafter)).filter((p) => p.id !== me.id); // pages earlier tests left open
  await waitHere(drafter, [...already, me]);
  // Typed, not submitted; the field last typed in keeps the focus, the others do not have it.
  await drafter.fill("#poll-question", "Which day for the offsite?");
  await drafter.fill("#poll-o1", "Thursday");
  await drafter.fill("#poll-o2", "Friday");
  const typed = async () => [await drafter.inputValue("#poll-question"), await drafter.inputValue("#poll-o1"), await drafter.inputValue("#poll-o2")];
  const want = ["Which day for the offsite?", "Thursday", "Friday"];

  // Someone arrives: "who is here" re-renders the page for the drafter.
  const other = await openPage(browser, `${file.server.url}/polls`);
  const them = await whoAmI(other);
  await waitHere(drafter, [...already, me, them]);
  assert.deepEqual(await typed(), want);

  // They create a poll: the list re-renders for the drafter too, and they leave the list page.
  await other.fill("#poll-question", "Tea or coffee?");
  await other.fill("#poll-o1", "Tea");
  await other.fill("#poll-o2", "Coffee");
  await other.click("#create-poll");
  await drafter.locator(".poll-list li", { hasText: "Tea or coffee?" }).waitFor();
  await waitHere(drafter, [...already, me]);
  assert.deepEqual(await typed(), want);
  await leave(other);
  await leave(drafter);
});
