// uploads.test.mjs — attacks on live uploads, with the official `phoenix` client pushing raw
// channel messages to a real node (the demo's /incident page allows "attachment": 3 files of
// 10 MB at most, chunks of 64 kB): a client that sends more than it declared, or a chunk larger
// than chunk_size, is cut off (the chunk refused with the reason, then the channel closed with
// phx_close, as Phoenix closes it: not an error the client would rejoin after) and nothing is left in the upload directory; a forged, expired, wrongly-kinded,
// other entry's, other view's or replayed upload token is refused; files declared too big, of a
// type not accepted or too many get no token; the node's byte budget refuses an upload that
// would exceed it and gives the bytes back when an upload ends; an upload that falls silent is
// closed after chunk_timeout. After each attack the attacked view and a bystander view are still
// served.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";

import { ClientPool, joinResult, nextSocketMessage, push } from "../conformance/helpers.mjs";
import { serverForFile } from "../conformance/server.mjs";
import { signed, secretOf } from "../conformance/tokens.mjs";
import { httpRequest } from "../conformance/wire.mjs";

const BUDGET = 3_000_000;  // --upload-max-temp-bytes of this node
const pool = new ClientPool();
let server;
serverForFile(pool, (s) => (server = s), { admin: true, args: ["--upload-max-temp-bytes", String(BUDGET)] });

const uploadDir = () => path.join(server.dataDir, "uploads");
const tempFiles = () => fs.readdirSync(uploadDir());
const metrics = async () => (await (await fetch(`${server.adminUrl}/metrics/live`)).json()).uploads;

// A page as a new visitor: {id, session, csrf}.
async function page(pathname) {
  const res = await httpRequest(`${server.url}${pathname}`);
  assert.equal(res.status, 200);
  const m = /<div id="(phx-[^"]+)" data-phx-main data-phx-session="([^"]+)"/.exec(res.body);
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(res.body)?.[1];
  assert.ok(m && csrf, "a live root and a csrf-token meta tag");
  return { id: m[1], session: m[2], csrf };
}

// A joined live view as phoenix_live_view joins it: {id, socket, channel, rendered, ref}, ref
// being its "attachment" upload's ref (read from the rendered input).
async function liveView(pathname = "/incident") {
  const p = await page(pathname);
  const socket = await pool.connected({ wsUrl: `ws://127.0.0.1:${server.port}/live` }, { params: { _csrf_token: p.csrf } });
  const params = { _mounts: 0, _mount_attempts: 0, _csrf_token: p.csrf };
  const channel = socket.channel(`lv:${p.id}`, () => ({ url: `${server.url}${pathname}`, params, session: p.session, static: null }));
  const j = await joinResult(channel);
  assert.equal(j.status, "ok", JSON.stringify(j.response));
  const ref = /phx-upload-[A-Za-z0-9]+/.exec(JSON.stringify(j.response.rendered))?.[0];
  return { id: p.id, socket, channel, rendered: j.response.rendered, ref };
}

const entry = (ref, size, name = "notes.txt", type = "text/plain") => ({ ref, name, size, type, last_modified: 0 });
const preflight = (view, entries) => push(view.channel, "allow_upload", { ref: view.ref, entries });
const bytes = (n) => new Uint8Array(n).fill(97).buffer;
const chunk = (channel, n) => push(channel, "chunk", bytes(n));

// Joins lvu:<entryRef> on the view's socket with token: {status, response, channel}.
async function uploadChannel(view, entryRef, token) {
  const channel = view.socket.channel(`lvu:${entryRef}`, { token });
  const r = await joinResult(channel);
  if (r.status !== "ok") channel.leave();  // no rejoin attempts behind the test's back
  return { ...r, channel };
}

// Leaves a channel and waits for the node to have left it. phoenix's leave() cannot be awaited
// for that: it sets the channel "leaving" before it checks canPush(), so its "ok" fires on the
// client at once, before the node has even read the phx_leave. The node sends phx_close (under
// the channel's join_ref) only after the channel's terminate ran, so that is what is awaited.
async function leave(socket, channel) {
  const joinRef = channel.joinRef();
  const closed = nextSocketMessage(socket, (m) => m.topic === channel.topic && m.event === "phx_close" && m.join_ref === joinRef,
                                   5000, `the node left ${channel.topic}`);
  channel.leave();
  await closed;
}

// A view's token for one fresh entry of size bytes (the entry's ref).
async function tokenFor(view, ref, size) {
  const r = await preflight(view, [entry(ref, size)]);
  assert.equal(r.status, "ok");
  const token = r.response.entries?.[ref];
  assert.ok(token, `a token for ${ref}: ${JSON.stringify(r.response)}`);
  return token;
}

// Proves a view still answers: a form submit of the attachment form gets its reply.
async function served(view, what) {
  const r = await push(view.channel, "event", { type: "form", event: "attach-validate", value: "" });
  assert.equal(r.status, "ok", `${what}: the view still answers`);
}

async function bystander() {
  const v = await liveView("/counter");
  return { check: (what) => push(v.channel, "event", { type: "click", event: "toggle", value: { value: "" }, cid: Number(Object.keys(v.rendered.c)[0]) })
    .then((r) => assert.equal(r.status, "ok", `bystander ${what}`)) };
}

test("a client that sends more than it declared is cut off and nothing is kept", async () => {
  const witness = await bystander();
  const v = await liveView();
  assert.ok(v.ref, "the page renders the upload's input");
  const token = await tokenFor(v, "0", 1000);
  const u = await uploadChannel(v, "0", token);
  assert.equal(u.status, "ok", JSON.stringify(u.response));

  assert.equal((await chunk(u.channel, 800)).status, "ok");
  const files = tempFiles();
  assert.equal(files.length, 1);
  assert.match(files[0], /^upload-[0-9a-f]{24}$/, "a name the node chose");
  const st = fs.statSync(path.join(uploadDir(), files[0]));
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(st.size, 800);

  const ended = nextSocketMessage(v.socket, (m) => m.topic === "lvu:0" && m.event === "phx_close", 5000, "the upload channel ended");
  const lie = await chunk(u.channel, 400);
  assert.equal(lie.status, "error");
  assert.equal(lie.response.reason, "file_size_limit_exceeded");
  await ended;
  u.channel.leave();
  assert.deepEqual(tempFiles(), [], "the partial file is deleted");

  // The entry is over: its token opens nothing any more.
  const again = await uploadChannel(v, "0", token);
  assert.deepEqual([again.status, again.response], ["error", { reason: "disallowed" }]);
  const m = await metrics();
  assert.ok(m.refused.file_size_limit_exceeded >= 1, JSON.stringify(m));
  assert.equal(m.temp_bytes, 0, "its reservation is given back");
  await served(v, "after the cut-off");
  await witness.check("after the cut-off");
});

test("a chunk larger than chunk_size is refused and ends the upload", async () => {
  const witness = await bystander();
  const v = await liveView();
  const r = await preflight(v, [entry("0", 200_000)]);
  assert.equal(r.response.config.chunk_size, 64_000);
  const u = await uploadChannel(v, "0", r.response.entries["0"]);
  assert.equal(u.status, "ok");
  const ended = nextSocketMessage(v.socket, (m) => m.topic === "lvu:0" && m.event === "phx_close", 5000, "the upload channel ended");
  const big = await chunk(u.channel, 64_001);
  assert.deepEqual([big.status, big.response], ["error", { reason: "chunk_too_large", limit: 64_000 }]);
  await ended;
  u.channel.leave();
  assert.deepEqual(tempFiles(), []);
  assert.ok((await metrics()).refused.chunk_too_large >= 1);
  await served(v, "after a big chunk");
  await witness.check("after a big chunk");
});

test("forged, expired, wrongly-kinded, other entry's, other view's and replayed tokens are refused", async () => {
  const witness = await bystander();
  const v = await liveView();
  const other = await liveView();
  const token = await tokenFor(v, "0", 1000);
  const secret = secretOf(server);
  const claims = { v: v.id, u: v.ref, e: "0" };
  for (const [what, ref, t, reason] of [
    ["no token", "0", undefined, "invalid_token"],
    ["garbage", "0", "not-a-token", "invalid_token"],
    ["forged signature", "0", token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA"), "invalid_token"],
    ["expired", "0", signed("upload", claims, { ttlSeconds: -5, secret }), "invalid_token"],
    ["a session token", "0", signed("session", claims, { secret }), "invalid_token"],
    ["another entry's topic", "1", token, "invalid_token"],
    ["another view's upload", "0", signed("upload", { ...claims, v: other.id }, { secret }), "disallowed"],
    ["an upload the view does not have", "0", signed("upload", { ...claims, u: "phx-upload-forged" }, { secret }), "disallowed"],
    ["an entry never preflighted", "5", signed("upload", { ...claims, e: "5" }, { secret }), "disallowed"],
  ]) {
    const r = await uploadChannel(v, ref, t);
    assert.deepEqual([r.status, r.response], ["error", { reason }], what);
  }
  const first = await uploadChannel(v, "0", token);
  assert.equal(first.status, "ok");
  // The same token again, from another socket: the entry is taken.
  const thief = await liveView();
  const replay = await uploadChannel(thief, "0", token);
  assert.deepEqual([replay.status, replay.response], ["error", { reason: "disallowed" }], "replayed");
  await leave(v.socket, first.channel);
  // Once the view is gone, its tokens open nothing either.
  const later = await tokenFor(other, "7", 100);
  await leave(other.socket, other.channel);
  const orphan = await uploadChannel(other, "7", later);
  assert.deepEqual([orphan.status, orphan.response], ["error", { reason: "disallowed" }], "after the view left");
  assert.deepEqual(tempFiles(), []);
  assert.ok((await metrics()).refused.invalid_token >= 6);
  await served(v, "after refused tokens");
  await witness.check("after refused tokens");
});

test("files declared too big, not accepted or too many get no token", async () => {
  const witness = await bystander();
  const v = await liveView();
  for (const [what, entries, want] of [
    ["too big", [entry("0", 10_000_001, "big.png", "image/png")], [["0", "too_large"]]],
    ["a size that is no number", [entry("1", "12", "x.png", "image/png")], [["1", "too_large"]]],
    ["not accepted", [entry("2", 10, "run.exe", "application/x-msdownload")], [["2", "not_accepted"]]],
  ]) {
    const r = await preflight(await liveView(), entries);  // a fresh view: errors stay with their entries
    assert.equal(r.status, "ok", what);
    assert.deepEqual(r.response.error, want, what);
    assert.equal(r.response.entries, undefined, `${what}: no token`);
  }
  const fresh = await liveView();
  const many = await preflight(fresh, ["a", "b", "c", "d"].map((ref) => entry(ref, 10)));
  assert.deepEqual(many.response.error, [[fresh.ref, "too_many_files"]]);
  assert.equal(many.response.entries, undefined);
  const m = await metrics();
  assert.ok(m.refused.too_large >= 2 && m.refused.not_accepted >= 1 && m.refused.too_many_files >= 1, JSON.stringify(m));
  await served(v, "after refused declarations");
  await witness.check("after refused declarations");
});

test("the node's temporary byte budget refuses an upload past it and gets its bytes back", async () => {
  const witness = await bystander();
  const a = await liveView();
  const b = await liveView();
  const big = await uploadChannel(a, "0", await tokenFor(a, "0", BUDGET - 500_000));
  assert.equal(big.status, "ok");
  assert.equal((await metrics()).temp_bytes, BUDGET - 500_000);
  const refused = await uploadChannel(b, "1", await tokenFor(b, "1", 600_000));
  assert.deepEqual([refused.status, refused.response], ["error", { reason: "temp_full" }]);
  // The big upload stops half way (its channel left): its file and reservation go.
  assert.equal((await chunk(big.channel, 64_000)).status, "ok");
  await leave(a.socket, big.channel);
  assert.deepEqual(tempFiles(), []);
  assert.equal((await metrics()).temp_bytes, 0);
  const c = await liveView();  // b's refused entry keeps its error until cancelled: a fresh page
  const fits = await uploadChannel(c, "2", await tokenFor(c, "2", 600_000));
  assert.equal(fits.status, "ok", JSON.stringify(fits.response));
  await leave(c.socket, fits.channel);  // the next test counts the files left
  assert.ok((await metrics()).refused.temp_full >= 1);
  await served(a, "after the budget refusal");
  await witness.check("after the budget refusal");
});

test("an upload that falls silent is ended after chunk_timeout and its partial file deleted", async () => {
  const witness = await bystander();
  const v = await liveView();
  const r = await preflight(v, [entry("0", 100_000)]);
  const timeout = r.response.config.chunk_timeout;
  assert.equal(timeout, 10_000);
  const u = await uploadChannel(v, "0", r.response.entries["0"]);
  assert.equal(u.status, "ok");
  assert.equal((await chunk(u.channel, 50_000)).status, "ok");
  const sent = Date.now();
  assert.equal(tempFiles().length, 1);
  await nextSocketMessage(v.socket, (m) => m.topic === "lvu:0" && m.event === "phx_close", timeout + 5000, "the silent upload ended");
  const waited = Date.now() - sent;
  assert.ok(waited >= timeout - 100, `ended after ${waited} ms, not before chunk_timeout`);
  u.channel.leave();
  assert.deepEqual(tempFiles(), []);
  assert.ok((await metrics()).refused.timeout >= 1);
  await served(v, "after a silent upload");
  await witness.check("after a silent upload");
});

test("a slow upload that keeps sending within chunk_timeout is not cut off", async () => {
  const v = await liveView();
  const r = await preflight(v, [entry("0", 30_000)]);
  const u = await uploadChannel(v, "0", r.response.entries["0"]);
  assert.equal(u.status, "ok");
  const errors = [];
  u.channel.onError(() => errors.push(Date.now()));
  // Three chunks 4 s apart: 12 s in all, longer than chunk_timeout (10 s), never silent that long.
  for (let i = 0; i < 3; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 4000));  // the pace under test
    assert.equal((await chunk(u.channel, 10_000)).status, "ok", `chunk ${i}`);
  }
  assert.deepEqual(errors, []);
  const done = await push(v.channel, "progress", { ref: v.ref, entry_ref: "0", progress: 100, event: null, cid: null });
  assert.equal(done.status, "ok");
  assert.match(JSON.stringify(done.response.diff ?? {}), /"100"/, "the entry is shown done");
  u.channel.leave();
});
