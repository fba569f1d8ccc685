// apps.mjs — what the demo apps' browser tests share: who a page's visitor is, who a page says is
// here, the moderator's sign-in link from the server's output, and a forged click (an element a
// page does not show to this visitor, added by the test, to prove the store refuses what the page
// merely hides).
import assert from "node:assert/strict";
import { connected, newContext, WAIT_MS } from "./browser.mjs";

const colorOf = (style) => /#[0-9a-f]{6}/i.exec(style ?? "")?.[0] ?? null;

// The visitor's user id, name and colour, from the nav bar.
export async function whoAmI(page) {
  const me = page.locator("#me");
  return {
    id: await me.getAttribute("data-user"),
    name: (await page.locator("#me-name").textContent()).trim(),
    color: colorOf(await me.locator(".dot").getAttribute("style")),
  };
}

// The page's "who is here" strip (templates/partials/here.html): [{id, name, color}] by id.
async function hereOf(page) {
  const rows = await page.locator("#here .person").evaluateAll((lis) =>
    lis.map((li) => ({ id: li.id.replace(/^here-/, ""), name: li.querySelector(".name").textContent.trim(),
                       style: li.querySelector(".dot").getAttribute("style") })));
  return rows.map(({ style, ...r }) => ({ ...r, color: colorOf(style) })).sort((x, y) => x.id.localeCompare(y.id));
}

// Waits until the page's "who is here" strip lists exactly these people (whoAmI() results), each
// with their name and colour.
export async function waitHere(page, people) {
  const want = people.map(({ id, name, color }) => ({ id, name, color })).sort((x, y) => x.id.localeCompare(y.id));
  const ids = JSON.stringify(want.map((p) => `here-${p.id}`).sort());
  await page.waitForFunction((w) => JSON.stringify([...document.querySelectorAll("#here .person")].map((li) => li.id).sort()) === w,
    ids, { timeout: WAIT_MS })
    .catch(async (e) => {
      throw new Error(`waiting for #here to list ${JSON.stringify(want)}: it lists ${JSON.stringify(await hereOf(page))}\n${e.message}`);
    });
  assert.deepEqual(await hereOf(page), want);
}

// The grant link main.cpp prints at start ("moderator sign-in: http://…/signin?grant=…").
export function moderatorPath(server) {
  const m = /moderator sign-in: http:\/\/[^/\s]+(\/signin\?\S+)/.exec(server.output().stdout);
  if (!m) throw new Error(`no "moderator sign-in:" line in the server output:\n${server.output().stdout}`);
  return m[1];
}

// A page in a new context that has opened the moderator link (then = the page to land on).
export async function openModerator(browser, server, then) {
  const context = await newContext(browser);
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  const grant = moderatorPath(server).replace(/&then=[^&]*/, "");
  await page.goto(`${server.url}${grant}&then=${encodeURIComponent(then)}`);
  await connected(page);
  return page;
}

// Sends a phx-click event the page does not offer this visitor, as a tampering user could.
export async function forgeClick(page, event, values = {}) {
  await page.evaluate(
    ([ev, vals]) => {
      const b = document.createElement("button");
      b.id = "forged";
      b.setAttribute("phx-click", ev);
      for (const [k, v] of Object.entries(vals)) b.setAttribute(`phx-value-${k}`, v);
      document.querySelector("[data-phx-main] main").appendChild(b);
      b.click();
    },
    [event, values],
  );
}

// Closes the page's whole context (a browser that goes away).
export async function leave(page) {
  await page.context().close();
}
