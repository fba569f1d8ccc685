// live.test.mjs — the LiveView protocol (docs/protocol.md, LiveView) on /live, driven frame by frame with the
// official phoenix client: the page's signed session, the join reply's rendered tree, events
// answered with diffs, diffs pushed after a store change, forms, components, refusals.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ClientPool, bystander, joinResult, push, nextEvent } from "./helpers.mjs";
import { serverForFile, startServer, cohortBin } from "./server.mjs";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { httpRequest, rawHttp } from "./wire.mjs";
import { liveClient, shownCount } from "./live_client.mjs";
import { SECRET, apiToken, token } from "./tokens.mjs";

const pool = new ClientPool();
let server;
serverForFile(pool, (s) => (server = s), { args: ["--secret", SECRET] });

const { page, liveSocket, joinView } = liveClient(pool, () => server);

// Every literal in a rendered tree is a string; numbers only reference components in "c".
function assertRenderedShape(node, components, where = "rendered") {
  for (const [k, v] of Object.entries(node)) {
    if (k === "s") {
      assert.ok(Array.isArray(v), `${where}.s must be inline statics`);
    } else if (/^\d+$/.test(k)) {
      if (typeof v === "number") assert.ok(components?.[v], `${where}.${k}: ${v} names no component`);
      else if (typeof v === "object") assertRenderedShape(v, components, `${where}.${k}`);
      else assert.equal(typeof v, "string", `${where}.${k}`);
    }
  }
}

test("join: the full tree, version 1.2.12, a component with r:1, the title", async () => {
  const { status, response } = await joinView("/counter");
  assert.equal(status, "ok", JSON.stringify(response));
  assert.equal(response.liveview_version, "1.2.12");
  const r = response.rendered;
  assert.ok(Array.isArray(r.s));
  assertRenderedShape(r, r.c);
  const cids = Object.keys(r.c ?? {});
  assert.equal(cids.length, 1, "the about panel is one component");
  assert.equal(r.c[cids[0]].r, 1);
  assert.match(r.t, /^Counter/);
});

test("a click that changes the store is answered with the change; another viewer gets it as a diff push", async () => {
  const other = await joinView("/counter");
  const { channel, page: p } = await joinView("/counter");
  const count = shownCount(p.html);
  const seen = nextEvent(other.channel, "diff");
  const reply = await push(channel, "event", { type: "click", event: "inc", value: { by: "1", value: "" } });
  assert.equal(reply.status, "ok");
  const d = reply.response.diff;
  assert.ok(JSON.stringify(d).includes(`"${count + 1}"`), `the reply's diff ${JSON.stringify(d)} should carry ${count + 1}`);
  assert.ok(!("s" in d), "an unchanged template sends no statics");
  assert.ok(JSON.stringify(await seen).includes(`"${count + 1}"`), "the other viewer's diff push carries it");
});

test("a push that comes while a click's reply waits for its op is handled after it, and answered after it", async () => {
  const { channel, page: p } = await joinView("/counter");
  const count = shownCount(p.html);
  const order = [];
  const click = push(channel, "event", { type: "click", event: "inc", value: { by: "1", value: "" } });
  const hook = push(channel, "event", { type: "hook", event: "ping", value: { a: 1 } });
  click.then(() => order.push("click"));
  hook.then(() => order.push("hook"));
  const [c, h] = await Promise.all([click, hook]);
  assert.deepEqual(order, ["click", "hook"], "replies in the order of the pushes");
  assert.ok(JSON.stringify(c.response.diff).includes(`"${count + 1}"`), JSON.stringify(c));
  assert.equal(h.response.diff.r.count, count + 1, "the hook ran after the click's op: it reads the new count");
});

test("every event gets a reply, also one no view handles", async () => {
  const { channel } = await joinView("/counter");
  const reply = await push(channel, "event", { type: "click", event: "no-such-event", value: {} });
  assert.deepEqual(reply, { status: "ok", response: {} });
});

test("a hook's pushEvent gets its reply in the diff's r, with the view's push_event in e", async () => {
  const { channel } = await joinView("/counter");
  const reply = await push(channel, "event", { type: "hook", event: "ping", value: { a: 1 } });
  assert.equal(reply.status, "ok");
  assert.deepEqual(reply.response.diff.r.pong, { a: 1 });
  assert.equal(typeof reply.response.diff.r.count, "number");
  assert.equal(reply.response.diff.e[0][0], "pinged");
});

test("keydown events carry the key; the view acts on it", async () => {
  const { channel, page: p } = await joinView("/counter");
  const count = shownCount(p.html);
  const reply = await push(channel, "event", { type: "keydown", event: "key", value: { key: "ArrowUp" } });
  assert.equal(reply.status, "ok");
  assert.ok(JSON.stringify(reply.response.diff).includes(`"${count + 1}"`), `count ${count} + 1`);
});

test("a component event (cid) changes only that component", async () => {
  const { channel, response } = await joinView("/counter");
  const cid = Number(Object.keys(response.rendered.c)[0]);
  const reply = await push(channel, "event", { type: "click", event: "toggle", value: { value: "" }, cid });
  assert.equal(reply.status, "ok");
  const diff = reply.response.diff;
  assert.deepEqual(Object.keys(diff), ["c"], JSON.stringify(diff));
  assert.deepEqual(Object.keys(diff.c), [String(cid)]);
  assert.match(JSON.stringify(diff.c), /Hide/);
});

test("a form change is decoded (nested names, _target) and answered with the diff", async () => {
  const { channel } = await joinView("/list");
  const long = "y".repeat(230);
  const reply = await push(channel, "event", {
    type: "form",
    event: "draft",
    value: `item%5Btext%5D=${long}`,
    meta: { _target: "item[text]" },
    uploads: {},
  });
  assert.equal(reply.status, "ok");
  assert.match(JSON.stringify(reply.response.diff), /Too long: 230 of 200 characters/);
});

test("cids_will_destroy and cids_destroyed are answered; destroyed cids are listed", async () => {
  const { channel, response } = await joinView("/counter");
  const cid = Number(Object.keys(response.rendered.c)[0]);
  assert.deepEqual(await push(channel, "cids_will_destroy", { cids: [cid] }), { status: "ok", response: {} });
  assert.deepEqual(await push(channel, "cids_destroyed", { cids: [cid, 999] }), { status: "ok", response: { cids: [cid] } });
});

test("live_patch within the view is answered; to another view it asks for a redirect", async () => {
  const { channel } = await joinView("/counter");
  const same = await push(channel, "live_patch", { url: `${server.url}/counter?x=1` });
  assert.equal(same.status, "ok");
  const other = await push(channel, "live_patch", { url: `${server.url}/list` });
  assert.deepEqual(other.response, { link_redirect: true });
});

test("handle_params reads the URL; a push_patch from an event is answered with live_patch and its diff", async () => {
  const { channel, response } = await joinView("/counter?step=3");
  assert.match(JSON.stringify(response.rendered), /"3"/);
  const reply = await push(channel, "event", { type: "click", event: "double-step", value: { value: "" } });
  assert.equal(reply.status, "ok");
  assert.deepEqual(reply.response.live_patch, { to: "/counter?step=6", kind: "push" });
  assert.match(JSON.stringify(reply.response.diff), /"6"/, "handle_params ran before the reply's render");
  const back = await push(channel, "live_patch", { url: `${server.url}/counter?step=3` });
  assert.match(JSON.stringify(back.response.diff), /"3"/);
});

test("a live navigation (phx_leave + phx_join with redirect) mounts the other view on the same topic", async () => {
  const first = await joinView("/counter");
  const socket = first.socket;
  first.channel.leave();
  const channel = socket.channel(`lv:${first.page.id}`, () => ({
    redirect: `${server.url}/list`,
    params: { _csrf_token: first.page.csrf, _mounts: 0, _live_referer: `${server.url}/counter` },
    session: first.page.session,
    static: null,
    sticky: false,
  }));
  const r = await joinResult(channel);
  assert.equal(r.status, "ok", JSON.stringify(r.response));
  assert.match(JSON.stringify(r.response.rendered), /Shared list/);
});

test("a tampered, foreign or missing session is refused with unauthorized", async () => {
  const p = await page("/counter");
  const [body, mac] = p.session.split(".");
  const tampered = `${body}.${mac.slice(0, -2)}${mac.endsWith("AA") ? "BB" : "AA"}`;
  for (const session of [tampered, "garbage", ""]) {
    const r = await joinView("/counter", { session, id: p.id, csrf: p.csrf });
    assert.equal(r.status, "error", `session ${JSON.stringify(session.slice(0, 20))}`);
    assert.deepEqual(r.response, { reason: "unauthorized" });
    r.channel.leave();
  }
  const other = await page("/counter");
  const r = await joinView("/counter", { session: other.session, id: p.id, csrf: other.csrf });
  assert.deepEqual(r.response, { reason: "unauthorized" }, "a session is bound to its view id");
  r.channel.leave();
});

test("a correctly signed session that expired, or is not a live session, is refused with unauthorized", async () => {
  const p = await page("/counter");
  const claims = JSON.parse(Buffer.from(p.session.split(".")[0], "base64url").toString());
  assert.equal(claims.kind, "session");
  assert.equal(claims.id, p.id);
  const now = Math.floor(Date.now() / 1000);
  // The page's own claims, re-signed with the node's secret: accepted while valid...
  const fresh = await joinView("/counter", { session: token({ ...claims, exp: now + 600 }), id: p.id, csrf: p.csrf });
  assert.equal(fresh.status, "ok", JSON.stringify(fresh.response));
  fresh.channel.leave();
  // ...refused once expired, without an expiry, or when the signed token is of another kind.
  const { exp: _, ...noExpiry } = claims;
  for (const [what, forged] of [
    ["expired", { ...claims, exp: now - 5 }],
    ["no expiry", noExpiry],
    ["not a live session", { ...claims, kind: "grant", exp: now + 600 }],
    ["a visitor cookie", { ...claims, kind: "visitor", exp: now + 600 }],
  ]) {
    const p2 = await page("/counter", p.cookie);
    const r = await joinView("/counter", { session: token({ ...forged, id: p2.id }), id: p2.id, csrf: p2.csrf });
    assert.equal(r.status, "error", what);
    assert.deepEqual(r.response, { reason: "unauthorized" }, what);
    r.channel.leave();
  }
});

test("the visitor cookie is kept: the same user across pages; a forged cookie is replaced", async () => {
  const first = await page("/counter");
  assert.match(first.cookie, /^cohort_user=/);
  const again = await httpRequest(`${server.url}/list`, { headers: { cookie: first.cookie } });
  assert.equal(again.headers["set-cookie"], undefined, "a valid cookie is not replaced");
  const name = /<span id="me-name">([^<]+)<\/span>/.exec(first.html)?.[1];
  assert.ok(name && again.body.includes(name), `the same user name on both pages (${name})`);
  const forged = await httpRequest(`${server.url}/list`, { headers: { cookie: "cohort_user=eyJ4IjoxfQ.AAAA" } });
  assert.match(String(forged.headers["set-cookie"]), /^cohort_user=/);
});

test("an unknown live path is a 404 page; a bad event payload still gets a reply", async () => {
  const res = await httpRequest(`${server.url}/counter/nope`);
  assert.equal(res.status, 404);
  const { channel } = await joinView("/list");
  const reply = await push(channel, "event", { type: "form", event: "draft", value: "a=1&a%5Bb%5D=2", meta: {} });
  assert.equal(reply.status, "ok");
  assert.match(reply.response.error, /a\[b\]/);
});

test("render batching: 2,000 PubSub messages to one view make far fewer diffs, the last one showing the last message", async (t) => {
  // A node of its own with 100 ms frames, so that the bound holds however slowly a loaded
  // machine lets the messages through (the default 30 ms is measured by tools/bench/live_bench.mjs).
  const own = await startServer({ args: ["--live-frame-ms", "100"] });
  t.after(() => own.kill());
  const { channel } = await joinView("/list", { srv: own });
  const MESSAGES = 2000;
  const diffs = [];
  const last = new Promise((resolve) =>
    channel.on("diff", (d) => {
      diffs.push(d);
      if (JSON.stringify(d).includes(`message ${MESSAGES}\u201d`)) resolve(d);
    }),
  );
  // As fast as the node takes them, in order: every broadcast request written at once on one
  // keep-alive connection (HTTP/1.1 pipelining), the last one closing it.
  let requests = "";
  const auth = `Authorization: Bearer ${apiToken(own, ["publish"])}\r\n`;
  for (let i = 1; i <= MESSAGES; i++) {
    const body = JSON.stringify({ who: "batcher", did: `said \u201cmessage ${i}\u201d` });
    requests +=
      "POST /api/broadcast/list:activity?event=activity HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      (i === MESSAGES ? "Connection: close\r\n" : "") + `\r\n${body}`;
  }
  const sent = await rawHttp(own.port, requests, { timeoutMs: 30_000 });
  assert.equal(sent.text.match(/HTTP\/1\.1 200 /g)?.length, MESSAGES, sent.text.slice(0, 300));
  let timer;
  const final = await Promise.race([
    last,
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no diff showed message ${MESSAGES} within 10 s (${diffs.length} diffs)`)), 10_000))),
  ]);
  clearTimeout(timer);
  // The view's stream entry ids count the messages it handled: the last diff is the 2,000th's.
  assert.ok(JSON.stringify(final).includes(`"activity-${MESSAGES}"`), JSON.stringify(final).slice(0, 400));
  assert.equal(diffs.at(-1), final, "nothing after the last message's diff");
  assert.ok(diffs.length < MESSAGES / 10, `${diffs.length} diffs for ${MESSAGES} messages`);
  t.diagnostic(`${diffs.length} diffs for ${MESSAGES} messages`);
});

test("a template naming an unregistered component stops the node at start-up, naming file and line", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cohort-templates-"));
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cohort-data-"));
  try {
    fs.cpSync(new URL("../../templates", import.meta.url), dir, { recursive: true });
    const bad = path.join(dir, "partials", "bad.html");
    fs.writeFileSync(bad, "<div>\n  <p>ok</p>\n  {{@no_such_component panel}}\n</div>\n");
    const args = ["serve", "--host", "127.0.0.1", "--port", "0", "--data-dir", dataDir, "--templates-dir", dir];
    const proc = spawn(cohortBin(), args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    proc.stdout.setEncoding("utf8").on("data", (d) => (out += d));
    proc.stderr.setEncoding("utf8").on("data", (d) => (out += d));
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);  // bounded: it must exit on its own
    const [code, signal] = await new Promise((resolve) => proc.on("close", (...r) => resolve(r)));
    clearTimeout(timer);
    assert.equal(signal, null, `the node must exit by itself; it printed:\n${out}`);
    assert.notEqual(code, 0, `the node must refuse to start; it printed:\n${out}`);
    assert.ok(out.includes(`${bad}:3: unknown component type 'no_such_component'`), out);
    assert.doesNotMatch(out, /listening/, "it never listened");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

// A nested view's container in a parent's rendered tree: its id and signed session.
function nestedContainer(rendered, id) {
  const m = new RegExp(`<div id=\\\\"${id}\\\\" data-phx-session=\\\\"([^\\\\"]+)\\\\" data-phx-static=\\\\"\\\\" data-phx-parent-id=\\\\"([^\\\\"]+)\\\\"`).exec(JSON.stringify(rendered));
  assert.ok(m, `no container of ${id} in the parent's render`);
  return { session: m[1], parent: m[2] };
}

// Joins a nested view as the stock client does: no url, the container's session.
function joinChild(socket, id, session, csrf) {
  const channel = socket.channel(`lv:${id}`, () => ({
    params: { _csrf_token: csrf, _mounts: 0, _mount_attempts: 0 },
    session,
    static: null,
    sticky: false,
  }));
  return joinResult(channel).then((r) => ({ ...r, channel }));
}

test("a nested view: its container comes in the parent's render, it joins on its own topic and renders by itself", async () => {
  const parent = await joinView("/dashboard");
  assert.equal(parent.status, "ok", JSON.stringify(parent.response));
  const child = nestedContainer(parent.response.rendered, "node-figures");
  assert.equal(child.parent, parent.page.id);
  const claims = JSON.parse(Buffer.from(child.session.split(".")[0], "base64url").toString());
  assert.equal(claims.kind, "session");
  assert.equal(claims.view, "node_figures");
  assert.deepEqual(claims.session, { every_ms: 1000 });
  const joined = await joinChild(parent.socket, "node-figures", child.session, parent.page.csrf);
  assert.equal(joined.status, "ok", JSON.stringify(joined.response));
  assert.match(JSON.stringify(joined.response.rendered), /WebSockets open/);
  const diff = await nextEvent(joined.channel, "diff");  // its own timer: the parent sends nothing for it
  assert.ok(diff && Object.keys(diff).length > 0);
});

test("a nested view's session is refused when tampered with, on another topic, or from another visitor", async () => {
  const witness = await bystander(pool, server);
  const parent = await joinView("/dashboard");
  const { session } = nestedContainer(parent.response.rendered, "node-figures");
  const [body, sig] = session.split(".");
  const flipped = `${body}.${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`;
  assert.deepEqual((await joinChild(parent.socket, "node-figures", flipped, parent.page.csrf)).response, { reason: "unauthorized" });
  assert.deepEqual((await joinChild(parent.socket, "other-figures", session, parent.page.csrf)).response, { reason: "unauthorized" });
  // The parent's own session does not mount the child either (another id).
  assert.deepEqual((await joinChild(parent.socket, "node-figures", parent.page.session, parent.page.csrf)).response, { reason: "unauthorized" });
  const stranger = await page("/dashboard");
  const socket = await liveSocket(server, stranger.csrf);
  assert.deepEqual((await joinChild(socket, "node-figures", session, stranger.csrf)).response, { reason: "stale" });
  await witness.check("after forged nested sessions");
});
