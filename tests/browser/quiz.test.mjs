// quiz.test.mjs — the live quiz with a moderator and three viewers: the moderator (signed in
// through the grant link the server prints) starts, pauses, resumes and advances; every viewer
// sees the pause banner; a viewer cannot pause; answers count once per person; a late joiner
// sees the current question, the time left and the pause; a closed tab leaves the audience.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { liveFile, openPage, waitText, shot } from "./browser.mjs";
import { openModerator, forgeClick, leave } from "./apps.mjs";

// The node and the browser of this file (started before the first test, gone after the last).
const file = await liveFile();
const { browser } = file;

const Q1 = "Which protocol lets a browser and a server keep one connection open both ways?";
const Q2 = "What does a JSON Patch \"replace\" operation need besides its path?";

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
  await forgeClick(late, "answer", { choice: "2" });  // answering anyway: the store refuses
  await waitText(late, "#message", "The quiz is paused.");
  await shot(late, "quiz-paused");
  await shot(mod, "quiz-moderator");

  await mod.click("#ctl-resume");
  for (const p of [mod, v1, v2, late]) await p.locator("#paused-banner").waitFor({ state: "detached" });
  await mod.click("#ctl-next");
  for (const p of [mod, v1, v2, late]) await waitText(p, "#question-text", Q2);
  await waitText(v1, "#answer-count", "0 answers");

  // A viewer's browser goes away: the audience count follows.
  await waitText(mod, "#audience", "4 people here");
  await leave(v2);
  await waitText(mod, "#audience", "3 people here");
  assert.deepEqual([...mod.errors, ...v1.errors, ...late.errors], []);
});
