// presence.test.mjs — Presence as the official phoenix.js `Presence` sees it, against a running
// node (issue: Presence). The example room tracks `user_id` with meta {online_at} after join and
// pushes presence_state; "presence_update" replaces the caller's meta.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { ClientPool, WAIT_MS, deferred, presenceClient, presenceView, push, sameKeys, uniq, untilPresence, withTimeout } from "./helpers.mjs";
import { RawWebSocket } from "./wire.mjs";
import { startServer } from "./server.mjs";

describe("presence with phoenix.js Presence", () => {
  let server;
  const pool = new ClientPool();
  before(async () => {
    server = await startServer({ args: ["--idle-timeout-ms", "1500", "--presence-tick-ms", "20"] });
  });
  after(async () => {
    await pool.closeAll();
    await server?.stop();
  });

  test("three clients see each other; a client that leaves disappears for the others", async () => {
    const topic = uniq("room:p3");
    const a = await presenceClient(pool, server, topic, "alice");
    const b = await presenceClient(pool, server, topic, "bob");
    const c = await presenceClient(pool, server, topic, "carol");
    for (const x of [a, b, c]) await untilPresence(x, sameKeys(["alice", "bob", "carol"]), "sees all three");
    const left = deferred();
    a.presence.onLeave((key, current, leftPres) => key === "carol" && current.metas.length === 0 && left.resolve(leftPres));
    c.channel.leave();
    await withTimeout(left.promise, WAIT_MS, "onLeave(carol) at alice");
    await untilPresence(b, sameKeys(["alice", "bob"]), "carol gone");
  });

  test("two tabs of one user: one key, two metas; the key stays until its last tab goes", async () => {
    const topic = uniq("room:tabs");
    const watcher = await presenceClient(pool, server, topic, "watcher");
    const tab1 = await presenceClient(pool, server, topic, "dana");
    const tab2 = await presenceClient(pool, server, topic, "dana");
    await untilPresence(watcher, (p) => p.state.dana?.metas.length === 2, "dana has two metas");
    const refs = watcher.presence.state.dana.metas.map((m) => m.phx_ref);
    assert.equal(new Set(refs).size, 2, "each tab has its own phx_ref");
    for (const r of refs) assert.match(r, /^[A-Za-z0-9_-]{16}$/);
    tab2.socket.disconnect();
    await untilPresence(watcher, (p) => p.state.dana?.metas.length === 1, "dana down to one meta");
    tab1.channel.leave();
    await untilPresence(watcher, sameKeys(["watcher"]), "dana gone with her last tab");
  });

  test("an update is a join of the new meta (phx_ref_prev) and a leave of the old one", async () => {
    const topic = uniq("room:upd");
    const watcher = await presenceClient(pool, server, topic, "watcher");
    const erin = await presenceClient(pool, server, topic, "erin");
    await untilPresence(watcher, (p) => p.state.erin?.metas.length === 1, "erin present");
    const before = watcher.presence.state.erin.metas[0].phx_ref;
    const diff = deferred();
    watcher.channel.on("presence_diff", (d) => d.joins.erin && diff.resolve(d));
    assert.equal((await push(erin.channel, "presence_update", { status: "away" })).status, "ok");
    const d = await withTimeout(diff.promise, WAIT_MS, "presence_diff with erin's update");
    assert.equal(d.joins.erin.metas[0].phx_ref_prev, before);
    assert.equal(d.leaves.erin.metas[0].phx_ref, before);
    await untilPresence(watcher, (p) => p.state.erin?.metas.length === 1 && p.state.erin.metas[0].status === "away", "erin away, one meta");
  });

  test("a TCP connection cut without a close frame leaves at once; a silent one after the idle timeout", async () => {
    const topic = uniq("room:cut");
    const watcher = await presenceClient(pool, server, topic, "watcher");
    const join = (raw, user) => raw.sendJson(["1", "1", topic, "phx_join", { user_id: user }]);
    const cut = await RawWebSocket.connect(server.port);
    const silent = await RawWebSocket.connect(server.port);
    pool.track(() => cut.destroy());
    pool.track(() => silent.destroy());
    join(cut, "frank");
    join(silent, "gina");
    await untilPresence(watcher, sameKeys(["watcher", "frank", "gina"]), "frank and gina present");
    cut.destroy(); // FIN/RST, no close frame
    await untilPresence(watcher, sameKeys(["watcher", "gina"]), "frank gone after the cut");
    // gina's socket stays open but sends nothing: the 1.5 s idle timeout closes it.
    const t0 = Date.now();
    await untilPresence(watcher, sameKeys(["watcher"]), "gina gone after the idle timeout", 1500 + 3000);
    assert.ok(Date.now() - t0 >= 500, "gina must not leave before her socket went idle");
  });

  test("a channel crash sends phx_error; the rejoin gets a fresh presence_state", async () => {
    const topic = uniq("room:crash");
    const watcher = await presenceClient(pool, server, topic, "watcher");
    const hank = await presenceClient(pool, server, topic, "hank");
    await untilPresence(watcher, sameKeys(["watcher", "hank"]), "hank present");
    const states = [];
    hank.channel.on("presence_state", (s) => states.push(s));
    const rejoined = deferred();
    hank.channel.onError(() => {
      hank.channel.joinPush.receive("ok", () => rejoined.resolve());
    });
    hank.channel.push("crash", {});
    await withTimeout(rejoined.promise, WAIT_MS, "hank's rejoin after the crash");
    await untilPresence(hank, (p) => sameKeys(["watcher", "hank"])(p) && states.length >= 1, "hank's state after the rejoin");
    assert.ok(states.at(-1).watcher, "the re-sent state holds the watcher");
    await untilPresence(watcher, (p) => p.state.hank?.metas.length === 1, "watcher sees hank once again");
  });
});

// A seeded pseudo-random sequence (mulberry32), so a failure can be replayed with its seed.
function rng(seed) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("presence churn", () => {
  const SEED = Number(process.env.COHORT_CHURN_SEED ?? 20261128);
  const CLIENTS = 24;
  const EVENTS = 1200;
  let server;
  const pool = new ClientPool();
  before(async () => {
    server = await startServer({ args: ["--presence-tick-ms", "10"] });
  });
  after(async () => {
    await pool.closeAll();
    await server?.stop();
  });

  test(`${EVENTS} random join/leave/update/disconnect events over ${CLIENTS} clients converge (seed ${SEED})`, async () => {
    const random = rng(SEED);
    const topic = uniq("room:churn");
    const observer = await presenceClient(pool, server, topic, "observer");
    // Slot i is user u<i % 8>: several slots share a user, as tabs do.
    const slots = Array.from({ length: CLIENTS }, (_, i) => ({ user: `u${i % 8}`, client: null, status: null }));
    const counts = { join: 0, leave: 0, update: 0, disconnect: 0 };
    for (let n = 0; n < EVENTS; n++) {
      const slot = slots[Math.floor(random() * CLIENTS)];
      const r = random();
      if (!slot.client) {
        slot.client = await presenceClient(pool, server, topic, slot.user);
        slot.status = null;
        counts.join++;
      } else if (r < 0.45) {
        slot.status = `s${n}`;
        assert.equal((await push(slot.client.channel, "presence_update", { status: slot.status })).status, "ok");
        counts.update++;
      } else if (r < 0.75) {
        const closed = deferred();
        slot.client.channel.leave().receive("ok", () => closed.resolve());
        await withTimeout(closed.promise, WAIT_MS, "leave reply");
        slot.client.socket.disconnect();
        slot.client = null;
        counts.leave++;
      } else {
        slot.client.socket.disconnect();
        slot.client = null;
        counts.disconnect++;
      }
    }
    // The truth: every live slot is one meta under its user, with its last status.
    const truth = { observer: ["-"] };
    for (const s of slots)
      if (s.client) (truth[s.user] ??= []).push(s.status ?? "-");
    for (const k of Object.keys(truth)) truth[k].sort();
    const want = JSON.stringify(Object.fromEntries(Object.entries(truth).sort()));
    const matches = (p) => JSON.stringify(Object.fromEntries(Object.entries(presenceView({ state: p.state })).sort())) === want;
    const live = [observer, ...slots.filter((s) => s.client).map((s) => s.client)];
    for (const c of live) await untilPresence(c, (p) => matches(p), `converged to ${want}`, 10_000);
    assert.ok(counts.join >= 100 && counts.update >= 100 && counts.leave >= 50 && counts.disconnect >= 50, JSON.stringify(counts));
  });
});
