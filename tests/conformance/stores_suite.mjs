// stores_suite.mjs — shared-state stores over channels with the official phoenix client: one
// authority per key, versioned RFC 6902 patches, snapshot on join, catch-up with `since`, locks
// and leases, coalescing, authority rules and bad input. The example kinds "doc" and "livedoc"
// are described in examples/demo/apps/doc_store.hpp. Run on the embedded SQLite storage by
// stores.test.mjs and on PostgreSQL by stores_pg.test.mjs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { ClientPool, joinResult, push, uniq } from "./helpers.mjs";
import { follower } from "./store_client.mjs";
import { startServer } from "./server.mjs";
import { SECRET, socketToken } from "./tokens.mjs";

// The suite against one node started with storageArgs() (called when the suite starts).
export function storesSuite(title, storageArgs = () => []) {
  describe(title, () => {
    let server;
    const pool = new ClientPool();
    before(async () => {
      // The coalescing test sends 200 ops at once from one socket: past a person's message rate and
      // past the replies one socket may be owed by default (docs/security.md, "Limits per client").
      server = await startServer({
        args: ["--secret", SECRET, "--socket-messages-per-s", "0", "--socket-max-pending-replies", "1000", ...storageArgs()],
      });
    });
    after(async () => {
      await pool.closeAll();
      await server?.stop();
    });

    test("5 clients with concurrent ops converge to one state and version; a late joiner gets the snapshot", async () => {
      const key = uniq("doc:conv");
      const clients = [];
      for (let i = 0; i < 5; i++) clients.push(await follower(pool, server, key));
      for (const c of clients) assert.equal(c.join.status, "ok", JSON.stringify(c.join.response));
      const replies = [];
      for (let round = 0; round < 20; round++)
        for (const [i, c] of clients.entries()) {
          replies.push(c.op("incr", { counter: "total" }));
          if (round % 4 === 0) replies.push(c.op("append", { item: `c${i}r${round}` }));
        }
      const results = await Promise.all(replies);
      for (const r of results) assert.equal(r.status, "ok", JSON.stringify(r.response));
      const versions = results.map((r) => r.response.version).sort((a, b) => a - b);
      assert.deepEqual(versions, versions.map((_, i) => i + 1), "every op got its own version, 1..N");
      const final = versions.length;
      for (const c of clients) await c.until(() => c.version === final, `client reaches version ${final}`);
      for (const c of clients) {
        assert.deepEqual(c.gaps, []);
        assert.deepEqual(c.state, clients[0].state);
      }
      assert.equal(clients[0].state.counters.total, 100);
      assert.equal(clients[0].state.items.length, 25);
      const late = await follower(pool, server, key);
      assert.equal(late.join.response.version, final);
      assert.deepEqual(late.join.response.state, clients[0].state);
    });

    test("a reconnect with `since` gets exactly the missed patches; a future `since` is refused", async () => {
      const key = uniq("doc:since");
      const a = await follower(pool, server, key);
      const b = await follower(pool, server, key);
      for (let i = 0; i < 3; i++) assert.equal((await a.op("incr", { counter: "n" })).status, "ok");
      await b.until(() => b.version === 3, "b at 3");
      const { state: seen, version: seenVersion } = b;
      b.socket.disconnect();
      for (let i = 0; i < 5; i++) assert.equal((await a.op("append", { item: i })).status, "ok");
      const back = await follower(pool, server, key, { since: seenVersion, base: seen });
      assert.equal(back.join.status, "ok");
      const patches = back.join.response.patches;
      assert.deepEqual(patches.map((p) => [p.from, p.to]), [[3, 4], [4, 5], [5, 6], [6, 7], [7, 8]]);
      assert.equal(back.join.response.state, undefined, "no full state when history covers since");
      // An op's reply may overtake its own patch broadcast: compare once a has seen version 8.
      await a.until(() => a.version === 8, "a at 8");
      assert.deepEqual(back.state, a.state);
      const future = await follower(pool, server, key, { since: 999 });
      assert.equal(future.join.status, "error");
      assert.equal(future.join.response.reason, "future_version");
      future.channel.leave();
    });

    test("locks: others are rejected with the holder, a queued op waits for the unlock", async () => {
      const key = uniq("doc:lock");
      const alice = await follower(pool, server, key, { claims: { sub: "alice", roles: ["editor"] } });
      const bob = await follower(pool, server, key, { claims: { sub: "bob", roles: ["editor"] } });
      assert.equal((await alice.op("lock", { path: "/fields/title" })).status, "ok");
      await bob.until(() => bob.events.some((e) => e.ev === "lock" && e.path === "/fields/title" && e.holder === "alice"), "bob sees alice's lock");
      const rejected = await bob.op("set", { path: "/fields/title", value: "by bob" });
      assert.equal(rejected.status, "error");
      assert.equal(rejected.response.reason, "locked");
      assert.equal(rejected.response.holder, "alice");
      assert.equal((await alice.op("set", { path: "/fields/title", value: "by alice" })).status, "ok", "the holder may write");
      const queued = bob.op("set_field", { field: "title", value: "bob after" });
      assert.equal((await alice.op("unlock", { path: "/fields/title" })).status, "ok");
      const r = await queued;
      assert.equal(r.status, "ok", JSON.stringify(r.response));
      await alice.until(() => alice.state.fields.title === "bob after", "alice sees bob's queued write");
    });

    test("a lease ends at expiry, and a lock ends when its holder's socket dies", async () => {
      const key = uniq("doc:lease");
      const carol = await follower(pool, server, key, { claims: { sub: "carol", roles: ["editor"] } });
      const dave = await follower(pool, server, key, { claims: { sub: "dave", roles: ["editor"] } });
      assert.equal((await carol.op("lock", { path: "/fields/a", ttl_ms: 300 })).status, "ok");
      await dave.until(() => dave.events.some((e) => e.ev === "unlock" && e.path === "/fields/a" && e.reason === "expired"), "lease expired", 3000);
      assert.equal((await dave.op("set", { path: "/fields/a", value: 1 })).status, "ok");
      assert.equal((await carol.op("lock", { path: "/fields/b" })).status, "ok");
      carol.socket.disconnect();
      await dave.until(() => dave.events.some((e) => e.ev === "unlock" && e.path === "/fields/b" && e.reason === "disconnected"), "lock released on disconnect");
      assert.equal((await dave.op("set", { path: "/fields/b", value: 2 })).status, "ok");
    });

    test("coalescing folds many versions into few patches, and clients still converge", async () => {
      const key = uniq("livedoc:c");
      const watcher = await follower(pool, server, key);
      const writer = await follower(pool, server, key);
      const results = await Promise.all(Array.from({ length: 200 }, () => writer.op("incr", { counter: "x" })));
      assert.ok(results.every((r) => r.status === "ok"));
      await watcher.until(() => watcher.version === 200, "watcher reaches version 200");
      assert.equal(watcher.state.counters.x, 200);
      assert.deepEqual(watcher.gaps, []);
      assert.ok(watcher.patches < 100, `200 versions arrived as ${watcher.patches} patches`);
    });

    test("authority: roles come from signed tokens only", async () => {
      const key = uniq("doc:auth");
      // A doc that does not exist yet is followed only by an editor (who makes it), not a viewer.
      const early = await follower(pool, server, key, { claims: { sub: "vic", roles: ["viewer"] } });
      assert.deepEqual(early.join.response, { reason: "not_found", key });
      const creator = await follower(pool, server, key);
      assert.equal((await creator.op("append", { item: 0 })).status, "ok");
      const viewer = await follower(pool, server, key, { claims: { sub: "vic", roles: ["viewer"] } });
      const r = await viewer.op("incr", { counter: "n" });
      assert.equal(r.status, "error");
      assert.equal(r.response.reason, "forbidden");
      const anon = await follower(pool, server, key, { claims: null });
      assert.equal((await anon.op("append", { item: 1 })).response.reason, "forbidden");
      const socket = await pool.connected(server);
      const forged = socket.channel(`store:${key}`, { token: socketToken({ sub: "eve", roles: ["editor"] }, { secret: "not-the-secret-but-just-as-long-as-one" }) });
      const j = await joinResult(forged);
      assert.equal(j.status, "error");
      assert.equal(j.response.reason, "unauthorized");
      forged.leave();
      // The socket token may also travel as the official client's authToken (a WebSocket
      // subprotocol, kept out of URLs and logs); a forged one is refused the same way.
      const viaAuth = await pool.connected(server, { authToken: socketToken({ sub: "ed", roles: ["editor"] }) });
      const edCh = viaAuth.channel(`store:${key}`, {});
      assert.equal((await joinResult(edCh)).status, "ok");
      assert.equal((await push(edCh, "op", { name: "incr", args: { counter: "n" } })).status, "ok", "editor by authToken");
      const badAuth = await pool.connected(server, { authToken: socketToken({ sub: "eve", roles: ["editor"] }, { secret: "not-the-secret-but-just-as-long-as-one" }) });
      assert.equal((await joinResult(badAuth.channel(`store:${key}`, {}))).response.reason, "unauthorized");
      // The owner: whoever claims first; only the owner transfers ownership.
      const owner = await follower(pool, server, key, { claims: { sub: "olga" } });
      assert.equal((await owner.op("claim")).status, "ok");
      assert.equal((await owner.op("incr", { counter: "n" })).status, "ok", "the owner holds the role owner");
      assert.equal((await viewer.op("transfer_owner", { to: "vic" })).response.reason, "forbidden");
      assert.equal((await owner.op("transfer_owner", { to: "vic" })).status, "ok");
      await viewer.until(() => viewer.state._owner === "vic", "ownership moved");
      assert.equal((await viewer.op("incr", { counter: "n" })).status, "ok", "vic now owns it");
    });

    test("an op sent again with its op_id is applied once, also after a restart", async () => {
      const key = uniq("doc:idem");
      let c = await follower(pool, server, key);
      const first = await c.op("incr", { counter: "n" }, { op_id: "retry-1" });
      assert.equal(first.status, "ok");
      const again = await c.op("incr", { counter: "n" }, { op_id: "retry-1" });
      assert.equal(again.status, "ok");
      assert.equal(again.response.version, first.response.version, "the first outcome, not a new version");
      assert.equal((await c.op("incr", { counter: "n" }, { op_id: "retry-2" })).response.version, first.response.version + 1);
      const bad = await c.op("incr", { counter: "n" }, { op_id: "x".repeat(65) });
      assert.equal(bad.status, "error");
      assert.equal(bad.response.field, "op_id");
      await server.stop();
      server = await server.restart();  // the ids come back with the ops from storage
      c = await follower(pool, server, key);
      const afterRestart = await c.op("incr", { counter: "n" }, { op_id: "retry-1" });
      assert.equal(afterRestart.response.version, first.response.version);
      assert.equal(c.state.counters.n, 2, "two distinct ops applied, whatever was resent");
    });

    test("what an op writes must load again: past store_max_depth it is refused; raising the limit keeps loading", async () => {
      // The reported loss: two nested `set`s (state depth ~57), then enough ops for a snapshot;
      // after a restart the key answered storage_error for ever. Now the second `set` is refused.
      const nested = (n) => { let v = []; for (let i = 1; i < n; i++) v = [v]; return v; };
      const key = uniq("doc:deep");
      let ed = await follower(pool, server, key);
      assert.equal((await ed.op("set", { path: "/deep", value: nested(28) })).status, "ok");  // 1 + 28 deep
      const inner = "/deep" + "/0".repeat(27);  // the innermost array, under 28 containers
      const refused = await ed.op("set", { path: inner + "/0", value: nested(28) });
      assert.equal(refused.status, "error");
      assert.equal(refused.response.reason, "too_large", JSON.stringify(refused.response));
      assert.match(refused.response.detail, /store_max_depth is 32/);
      const fits = await ed.op("set", { path: inner + "/0", value: nested(3) });  // 29 + 3 = 32: the limit
      assert.equal(fits.status, "ok", JSON.stringify(fits.response));
      const incrs = [];
      for (let i = 0; i < 60; i++) incrs.push(ed.op("incr", { counter: "n" }));
      for (const r of await Promise.all(incrs)) assert.equal(r.status, "ok");
      await ed.until(() => ed.version === 62, "version 62");
      const want = { version: ed.version, state: structuredClone(ed.state) };

      // Snapshots every 25 commits, so the reload reads a snapshot and then ops.
      const base = server.args.filter((a, i, all) => a !== "--store-snapshot-every" && all[i - 1] !== "--store-snapshot-every");
      await server.kill();
      server = await server.restart([...base, "--store-snapshot-every", "25"]);
      ed = await follower(pool, server, key);
      assert.equal(ed.join.status, "ok", JSON.stringify(ed.join.response));
      assert.equal(ed.join.response.version, want.version);
      assert.deepEqual(ed.join.response.state, want.state);
      for (let i = 0; i < 30; i++) assert.equal((await ed.op("incr", { counter: "n" })).status, "ok");  // a snapshot at 75

      // Lowering the limit below what is stored: the key refuses to load and says what to raise.
      await server.stop();
      server = await server.restart([...base, "--store-max-depth", "8"]);
      const low = await follower(pool, server, key);
      assert.equal(low.join.status, "error");
      assert.equal(low.join.response.reason, "storage_error");
      assert.match(low.join.response.detail, new RegExp(`${key}.*store-max-depth`));
      low.channel.leave(); // or the client rejoins on its own after the next restart
      const other = await follower(pool, server, uniq("doc:bystander"));
      assert.equal((await other.op("incr", { counter: "n" })).status, "ok", "other keys keep serving");
      // Raised back (higher than before, too): it loads, with nothing lost.
      await server.stop();
      // (A deeper store needs a deeper client JSON limit: json_max_depth >= store_max_depth + 8.)
      server = await server.restart([...base, "--store-max-depth", "64", "--json-max-depth", "72"]);
      ed = await follower(pool, server, key);
      assert.equal(ed.join.response.version, want.version + 30);
      assert.equal(ed.join.response.state.counters.n, want.state.counters.n + 30);
      assert.equal((await ed.op("set", { path: inner + "/0/0", value: nested(28) })).status, "ok", "64 allows it");
      await server.stop();
      server = await server.restart(base);
    });

    test("bad input: clear errors and no change", async () => {
      const key = uniq("doc:bad");
      const ed = await follower(pool, server, key);
      assert.equal((await ed.op("incr", { counter: "n" })).status, "ok");
      const cases = [
        [await ed.op("nope"), "unknown_op"],
        [await ed.op("incr", { counter: 5 }), "invalid"],
        [await ed.op("incr", { counter: "n", by: "lots" }), "invalid"],
        [await ed.op("set", { path: "no-slash", value: 1 }), "invalid"],
        [await ed.op("set", { path: "/items/99", value: 1 }), "invalid"],
        [await ed.op("set", { path: "/fields/big", value: "x".repeat(100_000) }), "too_large"],
        [await ed.op("incr", { counter: "n" }, { expect_version: 0 }), "conflict"],
        [await ed.op("incr", { counter: "n" }, { expect_version: 99 }), "conflict"],
        [await push(ed.channel, "op", { args: {} }), "invalid"],
        [await push(ed.channel, "frobnicate", {}), "unhandled event"],
      ];
      for (const [r, reason] of cases) {
        assert.equal(r.status, "error", JSON.stringify(r));
        assert.equal(r.response.reason, reason, JSON.stringify(r.response));
      }
      const ok = await ed.op("incr", { counter: "n" }, { expect_version: 1 });
      assert.equal(ok.status, "ok", JSON.stringify(ok.response));
      assert.equal(ok.response.version, 2, "no rejected op made a version");
      await ed.until(() => ed.version === 2, "version 2");
      assert.equal(ed.state.counters.n, 2);
      assert.deepEqual(Object.keys(ed.state.fields), []);
      const unknown = await follower(pool, server, "nokind:1");
      assert.equal(unknown.join.response.reason, "unknown_store");
    });
  });
}
