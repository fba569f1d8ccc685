// apps.mjs — what the demo apps' browser tests share: who a page's visitor is, who a page says is
// here, a moderator signed in through a fresh sign-in link, and a forged click (an element a
// page does not show to this visitor, added by the test, to prove the store refuses what the page
// merely hides), and a stroke drawn on the whiteboard.
import assert from "node:assert/strict";
import { connected, newContext, WAIT_MS } from "./browser.mjs";
import { grantLink } from "../conformance/server.mjs";

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
export async function hereOf(page) {
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

// A page in a new context that has used a fresh moderator sign-in link (`cohort grant`, as an
// operator makes one): the link's page, its "Sign in" button, then the page `then`.
export async function openModerator(browser, server, then) {
  const context = await newContext(browser);
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  await page.goto(`${server.url}${await grantLink(server, { roles: "moderator", then })}`);
  await Promise.all([page.waitForURL(`${server.url}${then}`), page.locator("#signin").click()]);
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

// Draws a polyline through points given in fractions of the board, `steps` pointer moves each.
// The board must be inside the viewport: a pointer outside it reaches no element.
export async function draw(page, points, { steps = 10, beforeUp } = {}) {
  await page.setViewportSize({ width: 1280, height: 1100 });
  await page.locator("#board").scrollIntoViewIfNeeded();
  const box = await page.locator("#board").boundingBox();
  const at = ([fx, fy]) => [box.x + fx * box.width, box.y + fy * box.height];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps });
  if (beforeUp) await beforeUp();
  await page.mouse.up();
}
