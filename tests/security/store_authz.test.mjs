// store_authz.test.mjs — who may change the demo stores, and follow them, over /socket (issue #19
// item 6). For each demo kind: an anonymous socket, a viewer's token, an editor's or moderator's
// token where the kind has such ops, and arguments that try to name someone else ("by", an owner
// name, a voter). Every refused op is answered with its documented reason and changes nothing (a
// fresh join reports the same version and state, and a follower of the key gets no patch for it:
// the next patch it sees is the next accepted op's); a bystander on the key is still served.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ClientPool, joinResult, push, uniq } from "../conformance/helpers.mjs";
import { serverForFile } from "../conformance/server.mjs";
import { follower } from "../conformance/store_client.mjs";
import { httpRequest } from "../conformance/wire.mjs";
import { SECRET, socketToken } from "../conformance/tokens.mjs";

const pool = new ClientPool();
let server;
serverForFile(pool, (s) => (server = s), { args: ["--secret", SECRET] });

const ANONYMOUS = null;
const VIEWER = { sub: "u-viewer", name: "Vic Viewer", roles: ["viewer"] };
const EDITOR = { sub: "u-editor", name: "Eddie Editor", roles: ["editor"] };
const MODERATOR = { sub: "u-mod", name: "Mo Moderator", roles: ["moderator"] };

// A client of key with these claims (null: anonymous), joined (or the test fails).
async function client(key, claims) {
  const f = await follower(pool, server, key, { claims });
  assert.equal(f.join.status, "ok", `join store:${key} as ${JSON.stringify(claims)}: ${JSON.stringify(f.join.response)}`);
  return f;
}

// The key's version and state, as a fresh join (a moderator's, allowed on every demo kind)
// reports them: the join is answered after every op sent before it.
async function snapshot(key) {
  const f = await client(key, MODERATOR);
  f.channel.leave();
  return { version: f.version, state: f.state };
}

// Sends op as c, expects it refused with want ({reason, detail?, ...}) and the key unchanged.
async function refused(c, key, name, args, want) {
  const before = await snapshot(key);
  const r = await c.op(name, args);
  assert.equal(r.status, "error", `${name} ${JSON.stringify(args)} must be refused`);
  for (const [k, v] of Object.entries(want)) assert.deepEqual(r.response[k], v, `${name}: ${k} of ${JSON.stringify(r.response)}`);
  const after = await snapshot(key);
  assert.equal(after.version, before.version, `${name}: a refused op makes no version`);
  assert.deepEqual(after.state, before.state, `${name}: a refused op changes nothing`);
}

async function accepted(c, name, args) {
  const r = await c.op(name, args);
  assert.equal(r.status, "ok", `${name} ${JSON.stringify(args)}: ${JSON.stringify(r.response)}`);
  return r.response.version;
}

// A join the kind refuses: {reason: "forbidden", key}.
async function joinRefused(key, claims) {
  const socket = await pool.connected(server);
  const r = await joinResult(socket.channel(`store:${key}`, claims ? { token: socketToken(claims) } : {}));
  assert.equal(r.status, "error", `join store:${key} as ${JSON.stringify(claims)} must be refused`);
  assert.deepEqual(r.response, { reason: "forbidden", key });
}

// A join of a key that does not exist, by someone the kind does not let create it: {reason:
// "not_found", key} (a made-up key is neither kept nor stored).
async function joinNotFound(key, claims) {
  const socket = await pool.connected(server);
  const r = await joinResult(socket.channel(`store:${key}`, claims ? { token: socketToken(claims) } : {}));
  assert.equal(r.status, "error", `join store:${key} as ${JSON.stringify(claims)} must be refused`);
  assert.deepEqual(r.response, { reason: "not_found", key });
}

// The follower's next patch is the accepted op's (version v): none came for the refused ones.
async function onlyAcceptedPatches(watcher, startVersion, patchesBefore, v) {
  await watcher.until(() => watcher.version === v, `the watcher reaches version ${v}`);
  assert.equal(watcher.patches - patchesBefore, v - startVersion, "one patch per accepted op, none for the refused ones");
  assert.deepEqual(watcher.gaps, []);
}

const SIGN_IN = { reason: "forbidden", detail: "sign in first" };
const SERVER_ONLY = { reason: "forbidden", detail: "server_only" };

test("incident: anonymous sockets cannot write; 'edited by' is the signed name, never the argument", async () => {
  const key = "incident:main";
  await joinRefused("incident:other", EDITOR);  // only the one report exists
  const watcher = await client(key, ANONYMOUS);  // following is open, as the page is
  const [v0, p0] = [watcher.version, watcher.patches];
  const anon = await client(key, ANONYMOUS);
  await refused(anon, key, "set", { field: "title", value: "hacked", by: "the on-call lead" }, { ...SIGN_IN, op: "set" });
  await refused(anon, key, "lock", { path: "/fields/title" }, { reason: "forbidden" });
  await refused(anon, key, "set", { field: "summary", value: "x" }, SIGN_IN);

  // A viewer (any identified person, as on the page) edits as themself, whatever "by" says.
  const viewer = await client(key, VIEWER);
  const v1 = await accepted(viewer, "set", { field: "title", value: "DB failover", by: "the on-call lead" });
  await onlyAcceptedPatches(watcher, v0, p0, v1);
  assert.equal(watcher.state.fields.title, "DB failover");
  assert.equal(watcher.state.edited.title.by, "Vic Viewer");
  // A token without a name is shown by its id, not by what it claims in the arguments.
  const plain = await client(key, { sub: "u-plain" });
  const v2 = await accepted(plain, "set", { field: "service", value: "db", by: "Vic Viewer" });
  await onlyAcceptedPatches(watcher, v0, p0, v2);
  assert.equal(watcher.state.edited.service.by, "u-plain");
  // A lease keeps another identified actor off the field: "locked", with the holder.
  await accepted(viewer, "lock", { path: "/fields/commander", ttl_ms: 5000 });
  await refused(plain, key, "set", { field: "commander", value: "me" }, { reason: "locked", holder: "u-viewer" });
});

test("quiz: only moderators follow it over /socket; moderator ops need the role; scoreboard names are signed", async () => {
  const key = "quiz:main";
  for (const claims of [ANONYMOUS, VIEWER, EDITOR]) await joinRefused(key, claims);  // answers are secret while open
  await joinRefused("quiz:other", MODERATOR);
  const mod = await client(key, MODERATOR);
  const bystander = await client(key, { ...MODERATOR, sub: "u-mod2" });
  const [v0, p0] = [bystander.version, bystander.patches];
  const v1 = await accepted(mod, "start", {});
  const v2 = await accepted(mod, "answer", { choice: 0, name: "The Winner", color: "red;background:url(//x)" });
  await onlyAcceptedPatches(bystander, v0, p0, v2);
  assert.ok(v2 === v1 + 1);
  assert.deepEqual(bystander.state.scores["u-mod"], { name: "Mo Moderator", color: "#888888", points: 1 });
  // The store checks the role, not the page: a token with a forged role list is not signed.
  const socket = await pool.connected(server);
  const forged = await joinResult(socket.channel(`store:${key}`, { token: socketToken(MODERATOR, { secret: "not-the-secret-not-the-secret-not-the-secret" }) }));
  assert.equal(forged.response.reason, "unauthorized");
  await accepted(mod, "reset", {});
});

test("board: anonymous sockets cannot draw; strokes are their drawer's; clearing needs a moderator", async () => {
  const key = "board:main";
  await joinRefused("board:elsewhere", MODERATOR);
  const watcher = await client(key, ANONYMOUS);
  const [v0, p0] = [watcher.version, watcher.patches];
  const anon = await client(key, ANONYMOUS);
  const stroke = { id: uniq("s"), color: "#112233", points: [1, 2, 3, 4] };
  await refused(anon, key, "begin", stroke, { ...SIGN_IN, op: "begin" });
  const viewer = await client(key, VIEWER);
  const v1 = await accepted(viewer, "begin", { ...stroke, by: "u-mod" });
  await refused(viewer, key, "clear", {}, { reason: "forbidden", op: "clear", needs: ["moderator"] });
  const editor = await client(key, EDITOR);
  await refused(editor, key, "extend", { id: stroke.id, points: [5, 5] }, { reason: "forbidden", detail: "Not your stroke." });
  await refused(editor, key, "undo", {}, { reason: "invalid" });  // editor has no stroke of its own
  await onlyAcceptedPatches(watcher, v0, p0, v1);
  const mine = watcher.state.strokes.find((s) => s.id === stroke.id);
  assert.equal(mine.by, "u-viewer", "the stroke is the signed actor's, not the argument's");
  await refused(anon, key, "begin", { ...stroke, id: uniq("s") }, SIGN_IN);
  const mod = await client(key, MODERATOR);
  const v2 = await accepted(mod, "clear", {});
  await onlyAcceptedPatches(watcher, v0, p0, v2);
  assert.deepEqual(watcher.state.strokes, []);
});

// A poll made the way people make one: the /polls page (its live view, server code) on behalf
// of its visitor. Returns {id, ownerName} from the polls index.
async function pollFromThePage(question) {
  const res = await httpRequest(`${server.url}/polls`);
  assert.equal(res.status, 200);
  const root = /<div id="(phx-[^"]+)" data-phx-main data-phx-session="([^"]+)"/.exec(res.body);
  const name = /<span id="me-name">([^<]*)<\/span>/.exec(res.body)?.[1];
  const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(res.body)?.[1];
  assert.ok(root && name && csrf, "the /polls page has a live root, the visitor's name and a CSRF token");
  const socket = await pool.connected({ wsUrl: `ws://127.0.0.1:${server.port}/live` }, { params: { _csrf_token: csrf } });
  const channel = socket.channel(`lv:${root[1]}`, () => ({
    url: `${server.url}/polls`, params: { _csrf_token: csrf, _mounts: 0, _mount_attempts: 0 },
    session: root[2], static: null, sticky: false,
  }));
  assert.equal((await joinResult(channel)).status, "ok");
  const index = await client("polls:index", ANONYMOUS);
  const form = new URLSearchParams({ "poll[question]": question, "poll[o1]": "Yes", "poll[o2]": "No" }).toString();
  assert.equal((await push(channel, "event", { type: "form", event: "create", value: form, meta: {} })).status, "ok");
  await index.until(() => index.state.polls.some((p) => p.question === question), "the new poll in the index");
  const entry = index.state.polls.find((p) => p.question === question);
  return { id: entry.id, ownerName: entry.owner_name, pageName: name };
}

test("polls index: only the /polls page writes it; no socket client lists or closes polls", async () => {
  const key = "polls:index";
  await joinRefused("polls:main", ANONYMOUS);
  const poll = await pollFromThePage(`Lunch ${uniq("q")}?`);
  assert.equal(poll.ownerName, poll.pageName, "the owner name is the visitor's signed name");
  const watcher = await client(key, ANONYMOUS);
  const [v0, p0] = [watcher.version, watcher.patches];
  const fake = { id: "fake1", question: "Free money?", owner_name: "The CEO" };
  for (const claims of [ANONYMOUS, VIEWER, EDITOR, MODERATOR]) {
    const c = await client(key, claims);
    await refused(c, key, "add", fake, { ...SERVER_ONLY, op: "add" });
    await refused(c, key, "closed", { id: poll.id }, SERVER_ONLY);
  }
  // Refused ops made no patch: the next one the watcher sees is the page's next poll.
  const next = await pollFromThePage(`Dinner ${uniq("q")}?`);
  const now = await snapshot(key);
  await onlyAcceptedPatches(watcher, v0, p0, now.version);
  assert.equal(watcher.state.polls[0].id, next.id);
  assert.ok(!watcher.state.polls.some((p) => p.id === "fake1"));
});

test("poll: set up only by the page; anonymous sockets cannot vote; votes and closing are the signed actor's", async () => {
  const { id } = await pollFromThePage(`Coffee ${uniq("q")}?`);
  const key = `poll:${id}`;
  await joinRefused("poll:NOT-an-id", ANONYMOUS);
  const watcher = await client(key, ANONYMOUS);
  const [v0, p0] = [watcher.version, watcher.patches];
  const anon = await client(key, ANONYMOUS);
  await refused(anon, key, "vote", { option: "o1" }, { ...SIGN_IN, op: "vote" });
  const editor = await client(key, EDITOR);
  await refused(editor, key, "setup", { question: "Mine now?", options: ["a", "b"] }, { ...SERVER_ONLY, op: "setup" });
  const freshKey = `poll:${uniq("p").replace("-", "")}`;  // a poll nobody made yet: joining cannot make it
  for (const claims of [ANONYMOUS, EDITOR, MODERATOR]) await joinNotFound(freshKey, claims);
  const viewer = await client(key, VIEWER);
  const v1 = await accepted(viewer, "vote", { option: "o2", voter: "u-editor", by: "u-editor" });
  await refused(viewer, key, "vote", { option: "o1" }, { reason: "invalid", detail: "You have already voted in this poll." });
  await refused(viewer, key, "close", {}, { reason: "forbidden", op: "close", needs: ["owner"] });
  await refused(editor, key, "close", {}, { reason: "forbidden" });
  await onlyAcceptedPatches(watcher, v0, p0, v1);
  assert.deepEqual(watcher.state.votes, { "u-viewer": "o2" }, "the vote is the signed actor's");
  assert.equal(watcher.state.closed, false);
});

test("doc: only an editor makes a doc by joining it; anonymous sockets run no op; viewers run no editor op", async () => {
  const key = uniq("doc:authz");
  for (const claims of [ANONYMOUS, VIEWER]) await joinNotFound(key, claims);
  const creator = await client(key, EDITOR);  // an editor may follow it before it exists
  assert.equal(creator.version, 0);
  await joinNotFound(key, ANONYMOUS);  // and it still does not: nothing is stored yet
  assert.equal(await accepted(creator, "append", { item: "first" }), 1, "the editor's first op makes it");
  const watcher = await client(key, ANONYMOUS);  // any key that exists may be followed
  const [v0, p0] = [watcher.version, watcher.patches];
  const anon = await client(key, ANONYMOUS);
  await refused(anon, key, "claim", {}, { ...SIGN_IN, op: "claim" });
  await refused(anon, key, "incr", { counter: "n" }, { reason: "forbidden" });
  const viewer = await client(key, VIEWER);
  await refused(viewer, key, "set", { path: "/x", value: 1 }, { reason: "forbidden", needs: ["editor", "owner"] });
  const editor = await client(key, EDITOR);
  const v1 = await accepted(editor, "incr", { counter: "n" });
  await onlyAcceptedPatches(watcher, v0, p0, v1);
  assert.deepEqual(watcher.state.counters, { n: 1 });
});

test("counter and list (the first live pages' stores): identified actors only, and only their own keys", async () => {
  for (const key of ["counter:other", "list:other"]) await joinRefused(key, EDITOR);
  const counter = await client("counter:main", ANONYMOUS);
  const [c0, cp0] = [counter.version, counter.patches];
  await refused(counter, "counter:main", "inc", { by: 5 }, { ...SIGN_IN, op: "inc" });
  await refused(counter, "counter:main", "reset", {}, SIGN_IN);
  const list = await client("list:main", ANONYMOUS);
  const [l0, lp0] = [list.version, list.patches];
  await refused(list, "list:main", "add", { text: "spam" }, { ...SIGN_IN, op: "add" });
  const viewer = await client("list:main", VIEWER);
  const v1 = await accepted(viewer, "add", { text: "milk", by: "u-mod" });
  await onlyAcceptedPatches(list, l0, lp0, v1);
  assert.equal(list.state.items.at(-1).by, "u-viewer", "the item is the signed actor's");
  const counterViewer = await client("counter:main", VIEWER);
  const v2 = await accepted(counterViewer, "inc", { by: 2 });
  await onlyAcceptedPatches(counter, c0, cp0, v2);
});
