// kanban.mjs — examples/kanban, built against the installed package, checked as its users meet it
// (install.test.mjs runs these as subtests of its kanban test, against one running kanban node).
//
// - signInRefusals: a board page without the app's sign-in cookie, or with any token that is not
//   one the app signed for itself (another kind, another secret, tampered, expired, a claim the
//   app does not accept), is redirected to /login; POST /login refuses forged forms (no nonce
//   cookie, a tag of another nonce, another content type) with 403 and bad names with 400,
//   never sends a browser off the board's own pages, and a signed-in person is still served.
// - twoPeople: two browser contexts, Ana and Bo, on one board in Chromium: sign-in, presence,
//   a card added by one appears for the other, a card Ana edits shows "Ana is editing" to Bo and
//   the store refuses Bo's every change to it (each forged: delete, move, edit, save), Ana's save
//   reaches Bo, a move past the WIP limit is refused on the page, the activity stream shows the
//   same actions to both (and no refused one), and closing Ana's tab ends her lock and presence.
// Waiting is on conditions with deadlines (browser.mjs), never on sleeps.
import assert from "node:assert/strict";
import { connected, launchBrowser, newContext, shot, waitText, waitTexts, WAIT_MS } from "../browser/browser.mjs";
import { forgeClick, leave, waitHere, whoAmI } from "../browser/apps.mjs";
import { SECRET, signed, token } from "../conformance/tokens.mjs";

export const KANBAN_SECRET = SECRET;  // the node runs with --secret KANBAN_SECRET: the test signs tokens too
export const WIP_LIMIT = 1;           // --wip-limit: the second card into Doing is refused

const request = (url, init = {}) => fetch(url, { redirect: "manual", ...init });
const sessionCookie = (value) => ({ cookie: `kanban_session=${value}` });
const person = { sub: "p-0123456789abcdef", name: "Mallory", use: "kanban-signin" };

async function assertToLogin(res, why) {
  assert.equal(res.status, 302, why);
  assert.equal(res.headers.get("location"), "/login?then=/board/main", why);
  await res.arrayBuffer();
}

// GET /login: {nonce (its cookie), csrf (the form's tag)}.
async function loginForm(url) {
  const res = await request(`${url}/login?then=/board/main`);
  assert.equal(res.status, 200);
  const nonce = /kanban_login=([0-9a-f]+)/.exec(res.headers.get("set-cookie"))?.[1];
  const csrf = /name="csrf" value="([^"]+)"/.exec(await res.text())?.[1];
  assert.ok(nonce && csrf, "the form sets a nonce cookie and carries its tag");
  return { nonce, csrf };
}

function postLogin(url, { nonce, fields, type = "application/x-www-form-urlencoded", origin }) {
  const headers = { "content-type": type, ...(nonce ? { cookie: `kanban_login=${nonce}` } : {}),
    ...(origin ? { origin } : {}) };
  return request(`${url}/login`, { method: "POST", headers, body: new URLSearchParams(fields).toString() });
}

const setsSession = (res) => res.headers.getSetCookie().some((c) => c.startsWith("kanban_session="));

export async function signInRefusals(t, url) {
  await t.test("a board page without the app's own sign-in is redirected to /login", async () => {
    await assertToLogin(await request(`${url}/board/main`), "no cookie");
    const other = await request(`${url}/board/team-2`);
    assert.equal(other.headers.get("location"), "/login?then=/board/team-2");
    assert.equal((await request(`${url}/`)).headers.get("location"), "/board/main");
    // Cohort's own visitor cookie is not the app's sign-in.
    const visitor = signed("visitor", { user: { id: "u-eve", name: "Eve" } });
    await assertToLogin(await request(`${url}/board/main`, { headers: { cookie: `cohort_user=${visitor}` } }), "visitor cookie");
  });

  await t.test("a session cookie the app did not sign for itself is refused", async () => {
    // The control: the same claims, signed as the app signs them, are accepted.
    const good = await request(`${url}/board/main`, { headers: sessionCookie(signed("app", person)) });
    assert.equal(good.status, 200);
    assert.match(await good.text(), /id="me-name">Mallory</);
    const forged = {
      "a Cohort visitor token": signed("visitor", person),
      "a live session token": signed("session", person),
      "a socket token": signed("socket", person),
      "an API token": signed("api", { ...person, roles: ["publish"] }),
      "another secret": signed("app", person, { secret: "another-secret-of-thirty-two-bytes-or-more" }),
      "an expired token": signed("app", person, { ttlSeconds: -60 }),
      "no kind": token({ ...person, exp: Math.floor(Date.now() / 1000) + 600 }, KANBAN_SECRET),
      "another use": signed("app", { ...person, use: "password-reset" }),
      "a malformed person id": signed("app", { ...person, sub: "admin" }),
      "a name the form refuses": signed("app", { ...person, name: "x".repeat(33) }),
      "a tampered name": (() => {
        const [body, mac] = signed("app", person).split(".");
        const claims = JSON.parse(Buffer.from(body, "base64url"));
        return `${Buffer.from(JSON.stringify({ ...claims, name: "Admin" })).toString("base64url")}.${mac}`;
      })(),
      "garbage": "not-a-token",
    };
    for (const [why, value] of Object.entries(forged))
      await assertToLogin(await request(`${url}/board/main`, { headers: sessionCookie(value) }), why);
  });

  await t.test("POST /login refuses forged forms and bad names, and sends browsers only to boards", async () => {
    const a = await loginForm(url);
    const b = await loginForm(url);
    const forgeries = {
      "no nonce cookie": { fields: { name: "Eve", csrf: a.csrf, then: "/board/main" } },
      "the tag of another nonce": { nonce: b.nonce, fields: { name: "Eve", csrf: a.csrf, then: "/board/main" } },
      "no tag": { nonce: a.nonce, fields: { name: "Eve", then: "/board/main" } },
      "a made-up tag": { nonce: a.nonce, fields: { name: "Eve", csrf: "x".repeat(43), then: "/board/main" } },
      "a text/plain form": { nonce: a.nonce, type: "text/plain", fields: { name: "Eve", csrf: a.csrf } },
      // A valid nonce and tag, posted from a page of another site (or an opaque one).
      "another site's page": { nonce: a.nonce, origin: "http://evil.example", fields: { name: "Eve", csrf: a.csrf } },
      "an opaque origin": { nonce: a.nonce, origin: "null", fields: { name: "Eve", csrf: a.csrf } },
    };
    for (const [why, form] of Object.entries(forgeries)) {
      const res = await postLogin(url, form);
      assert.equal(res.status, 403, why);
      assert.ok(!setsSession(res), why);
      assert.match(await res.text(), /stale or came from another site/, why);
    }
    const names = { "": "Pick a name", "   ": "Pick a name", ["x".repeat(33)]: "at most 32 characters", "Eve\u0007": "one line",
      "Eve\nAdmin": "one line" };
    for (const [name, why] of Object.entries(names)) {
      const res = await postLogin(url, { nonce: a.nonce, fields: { name, csrf: a.csrf, then: "/board/main" } });
      assert.equal(res.status, 400, JSON.stringify(name));
      assert.ok(!setsSession(res));
      assert.match(await res.text(), new RegExp(`id="login-error"[^>]*>[^<]*${why}`));
    }
    for (const [then, to] of [["//evil.example/x", "/board/main"], ["https://evil.example", "/board/main"],
      ["/board/Not_A_Board", "/board/main"], ["/board/team-2", "/board/team-2"]]) {
      // From the app's own page (Origin: its own origin), as a browser posts the form.
      const res = await postLogin(url, { nonce: b.nonce, origin: new URL(url).origin, fields: { name: "  Eve  ", csrf: b.csrf, then } });
      assert.equal(res.status, 303, then);
      assert.equal(res.headers.get("location"), to, then);
      const cookie = res.headers.getSetCookie().find((c) => c.startsWith("kanban_session="));
      assert.match(cookie, /; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Lax/);
      // The bystander: whoever signed in is served, under the name they chose (trimmed).
      const page = await request(`${url}/board/main`, { headers: { cookie: cookie.split(";")[0] } });
      assert.equal(page.status, 200);
      assert.match(await page.text(), /id="me-name">Eve</);
    }
  });
}

// A new browser context signed in as name through the form (from a board page's redirect).
async function signIn(browser, url, name) {
  const context = await newContext(browser);
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  await page.goto(`${url}/board/main`);
  assert.equal(new URL(page.url()).pathname, "/login");
  await page.fill("#name", name);
  await Promise.all([page.waitForURL(`${url}/board/main`), page.click("#sign-in")]);
  await connected(page);
  // The app's layout template wrote the page: its footer, outside the live container.
  assert.match(await page.locator("#site-foot").textContent(), / · Kanban — a Cohort example app$/);
  assert.equal(await page.locator("[data-phx-main] #site-foot").count(), 0);
  return page;
}

const cardIn = (page, column, title) => page.locator(`#cards-${column} .kcard[data-title="${title}"]`);
const message = (page, text) => page.locator("#message", { hasText: text }).waitFor();

// Submits a form the page does not show this person (a tampering browser): LiveView sends it.
async function forgeSubmit(page, event, fields) {
  await page.evaluate(([ev, values]) => {
    const form = document.createElement("form");
    form.setAttribute("phx-submit", ev);
    for (const [name, value] of Object.entries(values)) {
      const input = document.createElement("input");
      input.name = name;
      input.value = value;
      form.appendChild(input);
    }
    document.querySelector("[data-phx-main] main").appendChild(form);
    form.requestSubmit();
  }, [event, fields]);
}

// Removes `disabled` from a button the page turned off for this person, and clicks it.
async function forceClick(page, selector) {
  await page.locator(selector).evaluate((b) => b.removeAttribute("disabled"));
  await page.click(selector);
}

export async function twoPeople(t, url) {
  const browser = await launchBrowser();  // closed after the test that called this

  await t.test("two people share a board: presence, cards, a card's lock, the WIP limit, activity", async () => {
    const a = await signIn(browser, url, "Ana");
    const b = await signIn(browser, url, "Bo");
    const [ma, mb] = [await whoAmI(a), await whoAmI(b)];
    assert.equal(ma.name, "Ana");
    assert.equal(mb.name, "Bo");
    for (const p of [a, b]) await waitHere(p, [ma, mb]);
    // The app's page shell (Live::page): its title suffix and its style sheet beside Cohort's.
    assert.match(await a.title(), / · Kanban$/);
    const sheets = await a.evaluate(() => [...document.styleSheets].map((s) => new URL(s.href).pathname));
    assert.deepEqual(sheets, ["/assets/cohort.css", "/kanban.css"]);

    // Ana adds a card; Bo sees it.
    await a.fill("#new-title", "Fix login");
    await a.click("#add");
    await cardIn(b, "todo", "Fix login").waitFor();
    const id = (await cardIn(a, "todo", "Fix login").getAttribute("id")).replace(/^card-/, "");

    // Ana edits it: Bo sees who, his buttons are off, and the store refuses each change he forces.
    await a.click(`#edit-${id}`);
    await a.locator(`#form-${id}`).waitFor();
    await waitText(b, `#lock-${id}`, "Ana is editing");
    assert.equal(await b.locator(`#delete-${id}`).isDisabled(), true);
    assert.equal(await b.locator(`#right-${id}`).isDisabled(), true);
    await forceClick(b, `#delete-${id}`);
    await message(b, "Ana is editing “Fix login”: it cannot be deleted until they are done.");
    await forceClick(b, `#right-${id}`);
    await message(b, "Ana is editing “Fix login”: it cannot be moved until they are done.");
    await forgeClick(b, "edit", { card: id });
    await message(b, "Ana is editing “Fix login”: it cannot be edited until they are done.");
    await forgeSubmit(b, "save", { "edit[card]": id, "edit[title]": "Bo was here", "edit[text]": "" });
    await message(b, "Ana is editing “Fix login”: it cannot be changed until they are done.");
    await cardIn(a, "todo", "Fix login").waitFor();  // still there, still its title
    await shot(b, "kanban");  // Bo's page: Ana's lock on the card, his last refusal

    // Ana saves: Bo sees the new title, and the card is free again.
    await a.fill(`#edit-title-${id}`, "Fix sign-in");
    await a.fill(`#edit-text-${id}`, "Safari drops the cookie");
    await a.click(`#save-${id}`);
    await waitText(b, `#title-${id}`, "Fix sign-in");
    await waitText(b, `#text-${id}`, "Safari drops the cookie");
    await b.locator(`#lock-${id}`).waitFor({ state: "detached" });
    await b.locator("#message").waitFor({ state: "detached" });  // the refusal is said until the lock ends
    assert.equal(await b.locator(`#edit-${id}`).isDisabled(), false);
    await waitText(b, "#wip-note", `The Doing column holds at most ${WIP_LIMIT} card.`);

    // The WIP limit: Doing takes one card; a second is refused with a visible message.
    await a.click(`#right-${id}`);
    await cardIn(b, "doing", "Fix sign-in").waitFor();
    await waitText(b, "#count-doing", `1 / ${WIP_LIMIT}`);
    await b.fill("#new-title", "Write docs");
    await b.click("#add");
    await cardIn(a, "todo", "Write docs").waitFor();
    const second = (await cardIn(b, "todo", "Write docs").getAttribute("id")).replace(/^card-/, "");
    await b.click(`#right-${second}`);
    await message(b, "Doing already holds 1 card, its work-in-progress limit. Finish one first.");
    await cardIn(b, "todo", "Write docs").waitFor();
    assert.equal(await cardIn(a, "doing", "Write docs").count(), 0);

    // The activity stream: the same accepted actions for both, newest first; nothing refused.
    const activity = ["Bo added “Write docs” to To do", "Ana moved “Fix sign-in” to Doing",
      "Ana renamed “Fix login” to “Fix sign-in”", "Ana added “Fix login” to To do"];
    for (const p of [a, b]) await waitTexts(p, "#activity li", activity);

    // Ana starts editing the second card and closes her tab: her lock and presence end with it.
    await a.click(`#edit-${second}`);
    await waitText(b, `#lock-${second}`, "Ana is editing");
    await leave(a);
    await b.locator(`#lock-${second}`).waitFor({ state: "detached" });
    await waitHere(b, [mb]);
    await b.click(`#edit-${second}`);
    await b.locator(`#form-${second}`).waitFor();
    assert.deepEqual([...a.errors, ...b.errors], []);
    await leave(b);
  });
}
