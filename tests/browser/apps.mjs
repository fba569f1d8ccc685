// apps.mjs — what the demo apps' browser tests share: who a page's visitor is, the moderator's
// sign-in link from the server's output, and a forged click (an element a page does not show
// to this visitor, added by the test, to prove the store refuses what the page merely hides).
import { connected, WAIT_MS } from "./browser.mjs";

// The visitor's user id and name, from the nav bar.
export async function whoAmI(page) {
  const me = page.locator("#me");
  return { id: await me.getAttribute("data-user"), name: (await page.locator("#me-name").textContent()).trim() };
}

// The grant link main.cpp prints at start ("moderator sign-in: http://…/signin?grant=…").
export function moderatorPath(server) {
  const m = /moderator sign-in: http:\/\/[^/\s]+(\/signin\?\S+)/.exec(server.output().stdout);
  if (!m) throw new Error(`no "moderator sign-in:" line in the server output:\n${server.output().stdout}`);
  return m[1];
}

// A page in a new context that has opened the moderator link (then = the page to land on).
export async function openModerator(browser, server, then) {
  const context = await browser.newContext();
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
