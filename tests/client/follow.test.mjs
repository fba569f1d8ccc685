// follow.test.mjs — @cohort/client (clients/js) against a real node: several followers running
// ops at once converge on the node's state; a transport killed mid-stream is caught up with
// `since` while ops go on; refusals reject with their wire reason; leases are renewed past their
// ttl and end on unlock; ops resent on a reconnect are applied once; presence comes sorted.
import { describe, test } from "node:test";
import assert from "node:assert/strict";

import { StoreError, followPresence, followStore } from "../../clients/js/index.js";
import { serverForFile } from "../conformance/server.mjs";
import { uniq } from "../conformance/helpers.mjs";
import { follower as rawFollower } from "../conformance/store_client.mjs";
import { RecordingPool, WAIT_MS, assertContinuous, deferred, follow, sendsPerOpId, serverState, tokenFor, withTimeout } from "./support.mjs";

const pool = new RecordingPool();
let server;
serverForFile(pool, (s) => (server = s));

describe("following a key", () => {
  test("ops from four followers at once converge on the node's state, with no gap", async () => {
    const key = uniq("doc:converge");
    const clients = [];
    for (let i = 0; i < 4; i++) clients.push(await follow(pool, server, key));
    const ops = [];
    for (let round = 0; round < 25; round++)
      for (const [i, c] of clients.entries()) {
        ops.push(c.op("incr", { counter: "total" }));
        if (round % 5 === 0) ops.push(c.op("append", { item: `c${i}r${round}` }));
      }
    const replies = await Promise.all(ops);
    const versions = replies.map((r) => r.version).sort((a, b) => a - b);
    assert.deepEqual(versions, versions.map((_, i) => i + 1), "each op made its own version");
    const final = versions.length;
    for (const c of clients) await c.until(() => c.version === final, `a follower reaches version ${final}`);
    const truth = await serverState(pool, server, key);
    assert.equal(truth.version, final);
    for (const c of clients) {
      assert.deepEqual(c.state, truth.state, "every follower holds the node's state");
      assertContinuous(c);
      assert.deepEqual(c.errors, []);
    }
    assert.equal(truth.state.counters.total, 100);
    assert.equal(truth.state.items.length, 20);
  });

  test("each patch gives a new state object; onPatch sees the ops; a late follower with since catches up", async () => {
    const key = uniq("doc:since");
    const seen = [];
    const a = await follow(pool, server, key, { onPatch: (state, version, ops) => seen.push({ state, version, ops }) });
    const before = a.state;
    await a.op("set_field", { field: "title", value: "Hello" });
    await a.until(() => a.version === 1, "version 1");
    assert.deepEqual(before, { counters: {}, items: [], fields: {} }, "the old state object is left as it was");
    assert.deepEqual(seen[0].ops, [{ op: "add", path: "/fields/title", value: "Hello" }]);
    assert.equal(seen[0].state.fields.title, "Hello");
    const snapshot = { state: a.state, version: a.version };
    await a.op("incr", { counter: "n" });
    await a.op("incr", { counter: "n" });
    // A follower that kept version 1 joins with since: it is sent the two patches, not the state.
    const socket = await pool.connected(server);
    const b = followStore(socket, key, { token: tokenFor(server), since: snapshot.version, state: snapshot.state });
    assert.equal(await withTimeout(b.reached(3), WAIT_MS, "b at version 3"), 3);
    // An op's reply may come before its patch: a holds version 3 only once that patch is in.
    await a.until(() => a.version === 3, "a at version 3");
    assert.deepEqual(b.state, a.state);
    const join = socket.sent.find((s) => s.event === "phx_join");
    assert.equal(join.payload.since, 1);
    const reply = socket.received.find((m) => m.event === "phx_reply" && m.ref === join.ref);
    assert.deepEqual(reply.payload.response.patches.map((p) => [p.from, p.to]), [[1, 2], [2, 3]]);
    assert.equal(reply.payload.response.state, undefined);
    b.leave();
    await assert.rejects(b.op("incr", { counter: "n" }), (e) => e instanceof StoreError && e.reason === "left");
  });

  test("a refused op rejects with a StoreError whose reason is the wire name, and is not retried", async () => {
    const key = uniq("doc:refused");
    const ed = await follow(pool, server, key);
    await ed.op("incr", { counter: "n" });  // the key exists: a guest may follow it
    const guest = await follow(pool, server, key, { claims: { sub: "guest", roles: [] } });
    const cases = [
      [guest.op("incr", { counter: "n" }), "forbidden", (e) => assert.deepEqual(e.details.needs, ["editor", "owner"])],
      [ed.op("no_such_op", {}), "unknown_op", (e) => assert.equal(e.details.op, "no_such_op")],
      [ed.op("incr", { counter: "n" }, { expectVersion: 0 }), "conflict", (e) => assert.equal(e.details.expected, 0)],
      [ed.op("incr", { counter: "" }), "invalid", (e) => assert.equal(e.details.field, "counter")],
      [ed.unlock("/fields/nothing"), "not_holder", (e) => assert.equal(e.details.path, "/fields/nothing")],
    ];
    // Every outcome is taken at once (the ops run concurrently), then checked in turn.
    const outcomes = cases.map(([promise]) => promise.then(() => null, (e) => e));
    for (const [i, [, reason, check]] of cases.entries()) {
      const err = await outcomes[i];
      assert.ok(err, `expected ${reason}, the op succeeded`);
      assert.ok(err instanceof StoreError, `${reason}: a StoreError`);
      assert.ok(err instanceof Error);
      assert.equal(err.reason, reason);
      assert.equal(err.details.reason, reason);
      check(err);
    }
    for (const [opId, n] of sendsPerOpId(ed.socket)) assert.equal(n, 1, `op ${opId} was sent once`);
    assert.equal((await serverState(pool, server, key)).state.counters.n, 1, "no refused op changed anything");
  });

  test("a join refused: onError hears the reason", async () => {
    const got = deferred();
    const socket = await pool.connected(server);
    const f = followStore(socket, uniq("nokind:x"), { token: tokenFor(server), onError: (e) => got.resolve(e) });
    const err = await withTimeout(got.promise, WAIT_MS, "onError");
    f.leave();
    assert.ok(err instanceof StoreError);
    assert.equal(err.reason, "unknown_store");
  });
});

describe("locks", () => {
  test("a lease renewed automatically outlives its ttl many times over, and ends on unlock", async () => {
    const key = uniq("doc:lease");
    const TTL = 300;
    const alice = await follow(pool, server, key, { claims: { sub: "alice", roles: ["editor"] } });
    await alice.op("incr", { counter: "n" });
    const bob = await rawFollower(pool, server, key, { claims: { sub: "bob", roles: ["editor"] } });
    const started = Date.now();
    await alice.lock("/fields/title", { ttlMs: TTL });
    const renewals = () => bob.events.filter((e) => e.ev === "lock" && e.path === "/fields/title" && e.reason === "renewed").length;
    await bob.until(() => renewals() >= 6, "six renewals", 10 * TTL + WAIT_MS);
    assert.ok(Date.now() - started > 2 * TTL, "the lease has lived past twice its ttl");
    assert.ok(!bob.events.some((e) => e.ev === "unlock"), "it never lapsed");
    assert.deepEqual(Object.keys(alice.locks), ["/fields/title"]);
    assert.equal(alice.locks["/fields/title"].holder, "alice");
    const refused = await bob.op("set", { path: "/fields/title", value: "bob's" });
    assert.equal(refused.response.reason, "locked");
    assert.equal(refused.response.holder, "alice");
    await alice.unlock("/fields/title");
    await bob.until(() => bob.events.some((e) => e.ev === "unlock" && e.path === "/fields/title" && e.reason === "released"), "released");
    await alice.until(() => !("/fields/title" in alice.locks), "alice's lock map loses the path");
    assert.equal((await bob.op("set", { path: "/fields/title", value: "bob's" })).status, "ok");
    const after = renewals();
    // No renewal after the unlock: the next one would have been due within TTL/3.
    await bob.op("set", { path: "/fields/other", value: 1 });
    await alice.until(() => alice.version >= 3, "alice sees bob's ops");
    assert.equal(renewals(), after);
  });

  test("without autoRenew the same lease lapses at its ttl", async () => {
    const key = uniq("doc:lapse");
    const alice = await follow(pool, server, key, { claims: { sub: "alice", roles: ["editor"] } });
    await alice.op("incr", { counter: "n" });
    const bob = await rawFollower(pool, server, key, { claims: { sub: "bob", roles: ["editor"] } });
    await alice.lock("/fields/title", { ttlMs: 300, autoRenew: false });
    await bob.until(() => bob.events.some((e) => e.ev === "unlock" && e.path === "/fields/title" && e.reason === "expired"), "the lease expired", 3000);
    assert.ok(!bob.events.some((e) => e.reason === "renewed"));
  });
});

describe("reconnects", () => {
  test("a transport killed mid-stream: ops go on, the follower catches up with since, each op applied once", async () => {
    const key = uniq("doc:reconnect");
    const writer = await follow(pool, server, key);
    const reader = await follow(pool, server, key);
    const acked = { writer: 0, reader: 0 };
    let stop = false;
    const run = async (who, f) => {
      while (!stop) {
        await f.op("incr", { counter: who });
        acked[who]++;
      }
    };
    const writing = run("writer", writer);
    await writer.until(() => writer.version >= 20, "20 ops before the kill");
    // The reader has ops in flight when its connection dies.
    const readerOps = Array.from({ length: 10 }, () => reader.op("incr", { counter: "reader" }).then(() => acked.reader++));
    const heldAtKill = reader.version;
    const closed = deferred();
    reader.socket.onClose(() => closed.resolve());
    reader.socket.conn.terminate();  // the TCP connection dies; phoenix reconnects by itself
    await withTimeout(closed.promise, WAIT_MS, "the reader's socket closes");
    const whileDown = Array.from({ length: 5 }, () => reader.op("incr", { counter: "reader" }).then(() => acked.reader++));
    await writer.until(() => writer.version >= heldAtKill + 40, "the writer goes on meanwhile");
    await Promise.all([...readerOps, ...whileDown]);
    stop = true;
    await writing;
    const truth = await serverState(pool, server, key);
    await reader.until(() => reader.version === truth.version, `the reader reaches ${truth.version}`);
    assert.deepEqual(reader.state, truth.state);
    assert.equal(truth.state.counters.writer, acked.writer);
    assert.equal(truth.state.counters.reader, 15, "every op of the reader applied once, those in flight at the kill too");
    assert.equal(truth.version, acked.writer + 15, "one version per op");
    assertContinuous(reader);
    // The rejoin carried since: the version held, and was answered with patches.
    const joins = reader.socket.sent.filter((s) => s.event === "phx_join" && s.topic === `store:${key}`);
    assert.equal(joins.length, 2, JSON.stringify(joins.map((j) => j.payload)));
    assert.ok(joins[1].payload.since >= heldAtKill, `rejoined with since ${joins[1].payload.since} (held ${heldAtKill})`);
    const reply = reader.socket.received.find((m) => m.event === "phx_reply" && m.ref === joins[1].ref);
    assert.ok(Array.isArray(reply.payload.response.patches), "caught up by patches, not a whole state");
    assert.deepEqual(reader.errors, []);
  });

  test("a patch with a gap makes the follower rejoin with since instead of applying it", async () => {
    const key = uniq("doc:gap");
    const f = await follow(pool, server, key);
    await f.op("incr", { counter: "n" });
    await f.until(() => f.version === 1, "version 1");
    // Drop the next patch on its way in, as a lost broadcast would be.
    const channel = f.socket.channels.find((c) => c.topic === `store:${key}` && c.state === "joined");
    let patches = 0;
    const trigger = channel.trigger.bind(channel);
    channel.trigger = (event, ...rest) => (event === "patch" && patches++ === 0 ? undefined : trigger(event, ...rest));
    await f.op("incr", { counter: "n" });  // its patch (1 -> 2) is dropped
    await f.op("incr", { counter: "n" });  // 2 -> 3: from 2 is ahead of the version held, 1
    await f.until(() => f.version === 3, "version 3 after the rejoin");
    const joins = f.socket.sent.filter((s) => s.event === "phx_join" && s.topic === `store:${key}`);
    assert.equal(joins.at(-1).payload.since, 1, "rejoined from the version it held");
    assert.equal(f.state.counters.n, 3);
    assert.deepEqual(f.state, (await serverState(pool, server, key)).state);
  });
});

describe("presence", () => {
  test("followPresence gives the list sorted by id after every change", async () => {
    const topic = uniq("room:presence");
    const lists = [];
    const checks = [];
    const { socket } = await pool.joined(server, uniq("room:other"));
    const channel = socket.channel(topic, { user_id: "zoe" });
    const p = followPresence(channel, {
      onSync: (list) => {
        lists.push(list.map((e) => [e.id, e.count]));
        checks.splice(0).forEach((c) => c() || checks.push(c));
      },
    });
    // Resolves once the list's ids are want, re-checked at every sync.
    const synced = (want) => {
      const d = deferred();
      const check = () => JSON.stringify(p.list().map((e) => e.id)) === JSON.stringify(want) && (d.resolve(), true);
      if (!check()) checks.push(check);
      return withTimeout(d.promise, WAIT_MS, `presence ${want}`);
    };
    channel.join();
    await synced(["zoe"]);
    const other = await pool.joined(server, topic, { params: { user_id: "adam" } });
    await synced(["adam", "zoe"]);
    assert.deepEqual(lists.at(-1), [["adam", 1], ["zoe", 1]]);
    other.channel.leave();
    await synced(["zoe"]);
  });
});
