// quiz.test.mjs — the live quiz with a moderator and three viewers: the moderator (signed in
// through a single-use sign-in link, as `cohort grant` makes one) starts, pauses, resumes and advances; every viewer
// sees the pause banner; a viewer cannot pause; answers count once per person; a late joiner
// sees the current question, the time left and the pause; the page lists who is here in their
// colours, and a closed tab leaves that list. On a node with short questions: a late joiner sees
// the clock running down, time-up shows for everyone, and a late answer is refused.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { liveFile, openPage, waitText, shot, WAIT_MS } from "./browser.mjs";
import { openModerator, forgeClick, leave, whoAmI, waitHere } from "./apps.mjs";
import { startServer } from "../conformance/server.mjs";

// The node and the browser of this file (started before the first test, gone after the last).
const file = await liveFile();
const { browser } = file;

const Q1 = "Which protocol lets a browser and a server keep one connection open both ways?";
const Q2 = "What does a JSON Patch \"replace\" operation need besides its path?";

// Waits until the page's clock shows a number of seconds left below `below`; returns it.
async function clockBelow(page, below) {
  const handle = await page.waitForFunction((b) => {
    const m = /^(\d+) s$/.exec(document.querySelector("#time-left")?.textContent.trim() ?? "");
    return m && Number(m[1]) < b ? Number(m[1]) : null;
  }, below);
  return handle.jsonValue();
}

test("moderator runs the quiz; viewers answer once; pause is for everyone at once", async () => {
  const mod = await openModerator(browser, file.server, "/quiz");
  await mod.locator("#me .role-badge", { hasText: "moderator" }).waitFor();
  const v1 = await openPage(browser, `${file.server.url}/quiz`);
  const v2 = await openPage(browser, `${file.server.url}/quiz`);
  for (const v of [v1, v2]) {
    await v.locator("#lobby").waitFor();
    assert.equal(await v.locator("#controls").count(), 0);  // no moderator controls for viewers
  }
  await waitText(mod, "#audience", "3 people here");
  const [mm, m1, m2] = [await whoAmI(mod), await whoAmI(v1), await whoAmI(v2)];
  for (const p of [mod, v1, v2]) await waitHere(p, [mm, m1, m2]);

  // A viewer cannot start the quiz: the store refuses, the page says why.
  await forgeClick(v1, "start");
  await waitText(v1, "#message", "Only the moderator can start the quiz.");

  await mod.click("#ctl-start");
  for (const p of [mod, v1, v2]) await waitText(p, "#question-text", Q1);
  await v1.locator("#time-left", { hasText: / s$/ }).waitFor();

  // Answers: once per person.
  await v1.click("#choice-0 button");
  await waitText(v1, "#answer-count", "1 answer · yours is in");
  await v1.click("#choice-1 button");
  await waitText(v1, "#message", "You have already answered this question.");
  await v2.click("#choice-1 button");
  await waitText(mod, "#answer-count", "2 answers");
  await waitText(mod, "#count-0", "1");
  await waitText(mod, "#count-1", "1");

  // A viewer cannot pause; the moderator can, and every viewer sees the banner.
  await forgeClick(v2, "pause");
  await waitText(v2, "#message", "Only the moderator can pause the quiz.");
  assert.equal(await v1.locator("#paused-banner").count(), 0);
  await mod.click("#ctl-pause");
  for (const p of [mod, v1, v2]) await p.locator("#paused-banner").waitFor();
  const frozen = (await v1.locator("#time-left").textContent()).trim();
  assert.match(frozen, /^\d+ s$/);

  // A late joiner sees the question, the frozen time left and the pause.
  const late = await openPage(browser, `${file.server.url}/quiz`);
  await late.locator("#paused-banner").waitFor();
  await waitText(late, "#question-text", Q1);
  await waitText(late, "#time-left", frozen);
  assert.equal(await late.locator("#choice-2 button").isDisabled(), true);
  const ml = await whoAmI(late);
  await waitHere(late, [mm, m1, m2, ml]);
  await shot(late, "quiz-paused");
  await shot(mod, "quiz-moderator");
  await forgeClick(late, "answer", { choice: "2" });  // answering anyway: the store refuses
  await waitText(late, "#message", "The quiz is paused.");

  await mod.click("#ctl-resume");
  for (const p of [mod, v1, v2, late]) await p.locator("#paused-banner").waitFor({ state: "detached" });
  await mod.click("#ctl-next");
  for (const p of [mod, v1, v2, late]) await waitText(p, "#question-text", Q2);
  await waitText(v1, "#answer-count", "0 answers");

  // A viewer's browser goes away: its name leaves everyone's list, and the count follows.
  await waitText(mod, "#audience", "4 people here");
  await leave(v2);
  for (const p of [mod, v1, late]) await waitHere(p, [mm, m1, ml]);
  await waitText(mod, "#audience", "3 people here");
  assert.deepEqual([...mod.errors, ...v1.errors, ...late.errors], []);
});

test("the clock is the server's: a late joiner sees it run down, time-up is for everyone", async (t) => {
  // A node of this test's own with QUESTION_MS questions instead of 20 s: long enough for a late
  // joiner to connect and see two readings of the clock, short enough not to idle the suite.
  const QUESTION_MS = 6000;
  const server = await startServer({ args: ["--quiz-question-ms", String(QUESTION_MS)] });
  t.after(() => server.kill());
  const mod = await openModerator(browser, server, "/quiz");
  const v1 = await openPage(browser, `${server.url}/quiz`);
  await v1.locator("#lobby", { hasText: "Five questions, 6 seconds each." }).waitFor();
  await mod.click("#ctl-start");
  await waitText(v1, "#question-text", Q1);

  // The late joiner reads the time left twice: a number of seconds, then a smaller one.
  const late = await openPage(browser, `${server.url}/quiz`);
  const first = await clockBelow(late, Number.MAX_SAFE_INTEGER);
  assert.ok(first >= 1 && first <= QUESTION_MS / 1000, `first reading: ${first} s`);
  const second = await clockBelow(late, first);
  assert.ok(second >= 1 && second < first, `readings: ${first} s, then ${second} s`);
  t.diagnostic(`the late joiner read ${first} s, then ${second} s`);
  await v1.click("#choice-0 button");  // in time: counted
  await waitText(v1, "#answer-count", "1 answer · yours is in");

  // Time is up on every page at once (the store's deadline), the right answer shows, and an
  // answer now is refused by the store even though a page sends it.
  for (const p of [mod, v1, late]) {
    await p.locator("#time-left", { hasText: "Time is up" }).waitFor({ timeout: QUESTION_MS + WAIT_MS });
    await p.locator("#choice-0.is-correct").waitFor();
  }
  assert.equal(await late.locator("#choice-1 button").isDisabled(), true);
  await forgeClick(late, "answer", { choice: "1" });
  await waitText(late, "#message", "Time is up for this question.");
  await waitText(mod, "#answer-count", "1 answer");
  assert.deepEqual([...mod.errors, ...v1.errors, ...late.errors], []);
  for (const p of [mod, v1, late]) await leave(p);  // before t.after kills their node
});
