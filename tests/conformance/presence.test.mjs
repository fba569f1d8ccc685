// presence.test.mjs — Presence as the official phoenix.js `Presence` sees it, against a running
// node (issue: Presence). The example room tracks `user_id` with meta {online_at} after join and
// pushes presence_state; "presence_update" replaces the caller's meta; "crash" makes the handler
// throw. Every check of what a client sees goes through the client's API: Presence.list(),
// onJoin / onLeave (recorded by helpers.presenceClient) and onSync.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { ClientPool, WAIT_MS, cast, deferred, disconnect, joinResult, presenceClient, presenceView, push, sameKeys, stateView, uniq, untilPresence, withTimeout } from "./helpers.mjs";
import { RawWebSocket } from "./wire.mjs";
import { startServer } from "./server.mjs";

// key -> phx_refs of a presence.list(), for exact comparisons.
const refsOf = (presence) => presenceView(presence, (m) => m.phx_ref);
// The join / leave calls a client's Presence made for key.
const calls = (client, kind, key) => client.log.filter((e) => e.kind === kind && e.key === key);

describe("presence with phoenix.js Presence", () => {
  const IDLE_MS = 1500;
  let server;
  const pool = new ClientPool();
  // Heartbeats every 200 ms keep these clients well inside the 1.5 s idle timeout: an observer
  // that got idle-closed would reconnect, rejoin and re-sync, hiding what a test checks.
  const join = (topic, user) => presenceClient(pool, server, topic, user, { heartbeatIntervalMs: 200 });
  const neverReconnected = (...clients) => {
    for (const c of clients) assert.equal(c.reconnects(), 0, `${c.user}'s socket reconnected during the test`);
  };
  before(async () => {
    server = await startServer({ args: ["--idle-timeout-ms", String(IDLE_MS), "--presence-tick-ms", "20"] });
  });
  after(async () => {
    await pool.closeAll();
    await server?.stop();
  });

  test("three clients: onJoin once per new key, list() shows all three; a leave is onLeave and gone from list()", async () => {
    const topic = uniq("room:p3");
    const a = await join(topic, "alice");
    const b = await join(topic, "bob");
    const c = await join(topic, "carol");
    const all = ["alice", "bob", "carol"];
    for (const x of [a, b, c]) await untilPresence(x, sameKeys(all), "sees all three");
    for (const x of [a, b, c]) {
      for (const key of all) {
        const [first] = calls(x, "join", key);
        assert.ok(first, `${x.user}: onJoin(${key}) was called`);
        assert.equal(first.current, undefined, `${x.user}: onJoin(${key}) came for a new key`);
        assert.equal(first.changed.metas.length, 1);
      }
      assert.deepEqual(x.log.filter((e) => e.kind === "leave"), [], `${x.user}: no onLeave yet`);
    }
    const carolRef = refsOf(a.presence).carol[0];
    const left = [a, b].map((x) => {
      const d = deferred();
      x.onLeave((key, current, leftPres) => key === "carol" && d.resolve({ current, leftPres }));
      return withTimeout(d.promise, WAIT_MS, `onLeave(carol) at ${x.user}`);
    });
    c.channel.leave();
    for (const { current, leftPres } of await Promise.all(left)) {
      assert.equal(current.metas.length, 0, "carol's last meta left");
      assert.deepEqual(leftPres.metas.map((m) => m.phx_ref), [carolRef]);
    }
    for (const x of [a, b]) await untilPresence(x, sameKeys(["alice", "bob"]), "carol gone from list()");
    neverReconnected(a, b, c);
  });

  test("two tabs of one user: onJoin with currentPresence for the second tab; the key stays until its last tab goes", async () => {
    const topic = uniq("room:tabs");
    const watcher = await join(topic, "watcher");
    const tab1 = await join(topic, "dana");
    await untilPresence(watcher, (p) => refsOf(p).dana?.length === 1, "dana's first tab");
    const [ref1] = refsOf(watcher.presence).dana;
    assert.equal(calls(watcher, "join", "dana")[0].current, undefined, "the first tab is a new key");

    const second = deferred();
    watcher.onJoin((key, current, joined) => key === "dana" && second.resolve({ current: structuredClone({ ...current }), joined }));
    const tab2 = await join(topic, "dana");
    const { current, joined } = await withTimeout(second.promise, WAIT_MS, "onJoin(dana) for the second tab");
    assert.deepEqual(current.metas.map((m) => m.phx_ref), [ref1], "currentPresence holds the first tab");
    assert.equal(joined.metas.length, 1);
    const ref2 = joined.metas[0].phx_ref;
    assert.notEqual(ref2, ref1, "each tab has its own phx_ref");
    for (const r of [ref1, ref2]) assert.match(r, /^[A-Za-z0-9_-]{16}$/);
    await untilPresence(watcher, (p) => JSON.stringify(refsOf(p).dana) === JSON.stringify([ref1, ref2].sort()), "list() gives dana two metas");

    const leaves = [];
    watcher.onLeave((key, cur, leftPres) => key === "dana" && leaves.push({ remaining: cur.metas.map((m) => m.phx_ref), left: leftPres.metas.map((m) => m.phx_ref) }));
    await disconnect(tab2.socket);
    await untilPresence(watcher, (p) => JSON.stringify(refsOf(p).dana) === JSON.stringify([ref1]), "dana down to her first tab");
    assert.deepEqual(leaves, [{ remaining: [ref1], left: [ref2] }], "onLeave for the closed tab, the key still present");
    tab1.channel.leave();
    await untilPresence(watcher, sameKeys(["watcher"]), "dana gone with her last tab");
    assert.deepEqual(leaves.at(-1), { remaining: [], left: [ref1] });
    neverReconnected(watcher, tab1);
  });

  test("an update is a join of the new meta (phx_ref_prev) and a leave of the old one", async () => {
    const topic = uniq("room:upd");
    const watcher = await join(topic, "watcher");
    const erin = await join(topic, "erin");
    await untilPresence(watcher, (p) => refsOf(p).erin?.length === 1, "erin present");
    const [before] = refsOf(watcher.presence).erin;
    const diff = deferred();
    watcher.channel.on("presence_diff", (d) => d.joins.erin && diff.resolve(d));
    const seen = deferred();
    const got = {};
    watcher.onJoin((key, current, joined) => key === "erin" && (got.join = { current: current.metas.map((m) => m.phx_ref), joined: structuredClone(joined.metas) }));
    watcher.onLeave((key, current, left) => {
      if (key !== "erin") return;
      got.leave = { remaining: current.metas.map((m) => m.phx_ref), left: left.metas.map((m) => m.phx_ref) };
      seen.resolve();
    });
    assert.equal((await push(erin.channel, "presence_update", { status: "away" })).status, "ok");
    const d = await withTimeout(diff.promise, WAIT_MS, "presence_diff with erin's update");
    assert.equal(d.joins.erin.metas[0].phx_ref_prev, before);
    assert.equal(d.leaves.erin.metas[0].phx_ref, before);
    await withTimeout(seen.promise, WAIT_MS, "onLeave(erin) for the old meta");
    const after = d.joins.erin.metas[0].phx_ref;
    assert.deepEqual(got.join.current, [before], "onJoin: currentPresence holds the old meta");
    assert.equal(got.join.joined.length, 1);
    assert.equal(got.join.joined[0].status, "away");
    assert.equal(got.join.joined[0].phx_ref_prev, before);
    assert.deepEqual(got.leave, { remaining: [after], left: [before] }, "onLeave: the old meta goes, the new one stays");
    assert.deepEqual(presenceView(watcher.presence).erin, ["away"], "list(): erin away, one meta");
    neverReconnected(watcher, erin);
  });

  test("a TCP connection cut without a close frame leaves at once; a silent one after the idle timeout", async () => {
    const topic = uniq("room:cut");
    const watcher = await join(topic, "watcher");
    const joinRaw = (raw, user) => raw.sendJson(["1", "1", topic, "phx_join", { user_id: user }]);
    const cut = await RawWebSocket.connect(server.port);
    const silent = await RawWebSocket.connect(server.port);
    pool.track(() => cut.destroy());
    pool.track(() => silent.destroy());
    joinRaw(cut, "frank");
    joinRaw(silent, "gina");
    await untilPresence(watcher, sameKeys(["watcher", "frank", "gina"]), "frank and gina present");
    cut.destroy(); // FIN/RST, no close frame
    await untilPresence(watcher, sameKeys(["watcher", "gina"]), "frank gone after the cut");
    assert.equal(calls(watcher, "leave", "frank").at(-1)?.current.metas.length, 0, "onLeave(frank) with no meta left");
    // gina's socket stays open but sends nothing: the 1.5 s idle timeout closes it.
    const t0 = Date.now();
    await untilPresence(watcher, sameKeys(["watcher"]), "gina gone after the idle timeout", IDLE_MS + 3000);
    assert.ok(Date.now() - t0 >= 500, "gina must not leave before her socket went idle");
    assert.equal(calls(watcher, "leave", "gina").length, 1, "onLeave(gina) once");
    neverReconnected(watcher);
  });

  test("a channel crash sends phx_error; the rejoin's ok reply is followed by a fresh presence_state", async () => {
    const topic = uniq("room:crash");
    const watcher = await join(topic, "watcher");
    const hank = await join(topic, "hank");
    await untilPresence(watcher, sameKeys(["watcher", "hank"]), "hank present");
    await untilPresence(hank, sameKeys(["watcher", "hank"]), "hank sees both");
    const [hankRef] = refsOf(watcher.presence).hank;
    const firstJoinRef = hank.channel.joinRef();
    // What hank's socket receives on the topic from now on, in order (socket level: a
    // channel.onError would also fire for a socket error, which is not what is tested here).
    const order = [];
    let syncsAfterRejoin = 0;
    const stateAfterRejoin = deferred();
    const ref = hank.socket.onMessage((m) => {
      if (m.topic !== topic) return;
      if (m.event === "phx_error") order.push({ what: "phx_error", join_ref: m.join_ref });
      else if (m.event === "phx_reply" && m.ref === m.join_ref && m.payload.status === "ok") order.push({ what: "join ok", join_ref: m.join_ref });
      else if (m.event === "presence_state") {
        order.push({ what: "presence_state", join_ref: m.join_ref });
        if (order.some((o) => o.what === "join ok")) stateAfterRejoin.resolve(m.payload);
      }
    });
    hank.onSync(() => order.some((o) => o.what === "join ok") && syncsAfterRejoin++);
    try {
      cast(hank.channel, "crash");
      const state = await withTimeout(stateAfterRejoin.promise, WAIT_MS, "a presence_state after hank's rejoin");
      const what = order.map((o) => o.what);
      assert.deepEqual(what, ["phx_error", "join ok", "presence_state"], JSON.stringify(order));
      assert.equal(order[0].join_ref, firstJoinRef, "phx_error for hank's channel as it was joined");
      assert.notEqual(order[1].join_ref, firstJoinRef, "the ok answers a new join");
      assert.equal(order[2].join_ref, order[1].join_ref, "the state belongs to the new join");
      assert.ok(state.watcher, "the re-sent state holds the watcher");
    } finally {
      hank.socket.off([ref]);
    }
    await untilPresence(hank, (p) => sameKeys(["watcher", "hank"])(p) && syncsAfterRejoin >= 1, "hank's list after the rejoin's state");
    await untilPresence(watcher, (p) => refsOf(p).hank?.length === 1 && refsOf(p).hank[0] !== hankRef, "watcher sees hank again, with a new phx_ref");
    neverReconnected(watcher, hank);
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
  const MAX_BATCH = 4; // events started together, on distinct slots
  let server;
  const pool = new ClientPool();
  before(async () => {
    server = await startServer({ args: ["--presence-tick-ms", "10"] });
  });
  after(async () => {
    await pool.closeAll();
    await server?.stop();
  });

  // The seeded plan: batches of 1..MAX_BATCH events on distinct slots, and the model (which
  // slots are live, with which status) after it. Only the plan and the model come from the seed;
  // the events of a batch then run concurrently, so their timing interleaves freely.
  function plan(random) {
    // Slot i is user u<i % 8>: several slots share a user, as tabs do.
    const slots = Array.from({ length: CLIENTS }, (_, i) => ({ user: `u${i % 8}`, live: false, status: null }));
    const batches = [];
    const counts = { join: 0, leave: 0, update: 0, disconnect: 0 };
    for (let n = 0; n < EVENTS; ) {
      const size = 1 + Math.floor(random() * MAX_BATCH);
      const batch = [];
      for (let j = 0; j < size && n < EVENTS; j++) {
        const i = Math.floor(random() * CLIENTS);
        const r = random();
        if (batch.some((e) => e.slot === i)) continue; // one event per slot and batch
        const slot = slots[i];
        let kind;
        if (!slot.live) [kind, slot.live, slot.status] = ["join", true, null];
        else if (r < 0.45) [kind, slot.status] = ["update", `s${n}`];
        else if (r < 0.75) [kind, slot.live] = ["leave", false];
        else [kind, slot.live] = ["disconnect", false];
        batch.push({ slot: i, kind, status: slot.status });
        counts[kind]++;
        n++;
      }
      if (batch.length) batches.push(batch);
    }
    // The truth: every live slot is one meta under its user, with its last status.
    const truth = { observer: ["-"] };
    for (const s of slots) if (s.live) (truth[s.user] ??= []).push(s.status ?? "-");
    for (const k of Object.keys(truth)) truth[k].sort();
    return { slots, batches, counts, truth: Object.fromEntries(Object.entries(truth).sort()) };
  }

  // Runs one event against the slot's client (clients[i]); socket closes go to `closing`.
  async function run(topic, clients, slots, closing, { slot: i, kind, status }) {
    if (kind === "join") {
      clients[i] = await presenceClient(pool, server, topic, slots[i].user);
      return;
    }
    const client = clients[i];
    if (kind === "update") {
      assert.equal((await push(client.channel, "presence_update", { status })).status, "ok");
      return;
    }
    clients[i] = null;
    if (kind === "leave") {
      const closed = deferred();
      client.channel.leave().receive("ok", () => closed.resolve());
      await withTimeout(closed.promise, WAIT_MS, "leave reply");
    }
    // A clean close frame (for "leave" after the channel left). The client's disconnect callback
    // polls for the close in 150 ms steps, so it is not awaited here but before the final check.
    closing.push(disconnect(client.socket));
  }

  test(`${EVENTS} random join/leave/update/disconnect events over ${CLIENTS} clients, in concurrent batches, end with every list() equal to the server's (seed ${SEED})`, async () => {
    const { slots, batches, counts, truth } = plan(rng(SEED));
    const topic = uniq("room:churn");
    const observer = await presenceClient(pool, server, topic, "observer");
    const clients = new Array(CLIENTS).fill(null);
    const closing = [];
    for (const batch of batches) await Promise.all(batch.map((e) => run(topic, clients, slots, closing, e)));
    await Promise.all(closing);
    assert.ok(batches.some((b) => b.length >= 3), "some batches run several events at once");
    const want = JSON.stringify(truth);
    // Every change has been answered and every socket closed; the observer settles on the model.
    await untilPresence(observer, (p) => JSON.stringify(presenceView(p)) === want, `converged to ${want}`, 10_000);

    // The server's truth: the presence_state a fresh, untracked client gets on join.
    const serverState = async () => {
      const socket = await pool.connected(server);
      const channel = socket.channel(topic, {});
      const state = deferred();
      channel.on("presence_state", (s) => state.resolve(s));
      assert.equal((await joinResult(channel)).status, "ok", "the fresh client's join");
      const s = await withTimeout(state.promise, WAIT_MS, "the fresh client's presence_state");
      await disconnect(socket);
      return s;
    };
    const truthState = await serverState();
    assert.equal(JSON.stringify(stateView(truthState)), want, "the server's list equals the model (keys and statuses)");
    const wantRefs = JSON.stringify(stateView(truthState, (m) => m.phx_ref));
    const live = [observer, ...clients.filter(Boolean)];
    assert.equal(live.length, 1 + slots.filter((s) => s.live).length);
    for (const c of live) await untilPresence(c, (p) => JSON.stringify(refsOf(p)) === wantRefs, `list() equal to the server's ${wantRefs}`, 10_000);
    assert.equal(JSON.stringify(stateView(await serverState(), (m) => m.phx_ref)), wantRefs, "the server's list did not move since");
    assert.ok(counts.join >= 100 && counts.update >= 100 && counts.leave >= 50 && counts.disconnect >= 50, JSON.stringify(counts));
  });
});
