// store_memory.test.mjs — a node's store memory stays bounded whatever clients join (issue #13
// item 3). Attacks, each against a real node, with a bystander that follows its own store key
// and measures a round trip through that key's authority before and during the attack:
//   - 100,000 joins of made-up keys by a stranger (who may not create them): every one refused
//     "not_found", the node's RSS (/proc/<pid>/status) within a fixed bound, no key kept in
//     memory, the SQLite file not one byte larger; then 20,000 joins of made-up keys by an
//     editor (who may create them) and leaves: nothing kept either;
//   - an editor making ten times more keys than --store-max-keys: never more than that many in
//     memory, the least recently used leave, and each comes back at its version and state;
//   - every key a node may hold followed by someone: a join of one more is refused
//     "too_many_keys" (counted in /metrics) until a follower leaves.
// The attacker is a raw `ws` client pipelining Phoenix joins; the bystander is the official
// phoenix client.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import WebSocket from "ws";

import { ClientPool, deferred, push, uniq, withTimeout } from "../conformance/helpers.mjs";
import { metrics } from "../conformance/cluster.mjs";
import { serverForFile } from "../conformance/server.mjs";
import { follower } from "../conformance/store_client.mjs";
import { SECRET, socketToken } from "../conformance/tokens.mjs";

const MAX_KEYS = 200; // --store-max-keys: 100 per reactor with --threads 2
const JOINS = 100_000;
const EDITOR_JOINS = 20_000;
// The node's RSS may grow this much over its size before an attack, at its peak. Before keys
// could leave memory, the same 100,000 joins took a node from 16 MB to 329 MB (all kept).
const RSS_BOUND_KB = 48 * 1024;
const EDITOR = { sub: "u-editor", name: "Eddie Editor", roles: ["editor"] };

const pool = new ClientPool();
let server;
serverForFile(pool, (s) => (server = s), {
  // The flood of joins is faster than a person on purpose: the per-socket message rate
  // (limits_socket.test.mjs) is off here, so what is measured is store memory alone. The
  // readiness probe (a write of its own, docs/operations.md) runs once at start and then once an
  // hour, so the database file's size measures what the joins write and nothing else.
  args: ["--secret", SECRET, "--threads", "2", "--store-max-keys", String(MAX_KEYS), "--store-idle-ms", "1000",
         "--socket-messages-per-s", "0", "--ready-probe-ms", "3600000"],
  admin: true,
});

function rssKb() {
  const status = fs.readFileSync(`/proc/${server.proc.pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)[1]);
}

// The SQLite file and its write-ahead log, in bytes.
function storedBytes() {
  let total = 0;
  for (const name of ["cohort.db", "cohort.db-wal"]) {
    const file = path.join(server.dataDir, name);
    if (fs.existsSync(file)) total += fs.statSync(file).size;
  }
  return total;
}

// Samples the node's RSS every 50 ms until stop(); keeps the peak.
function rssSampler() {
  let peak = rssKb();
  const timer = setInterval(() => (peak = Math.max(peak, rssKb())), 50);
  return { stop: () => (clearInterval(timer), (peak = Math.max(peak, rssKb())), peak) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => `median ${median(xs).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)} ms over ${xs.length}`;

// A client following its own doc key. probe() is one round trip through the key's authority
// (an op with a stale expect_version: refused "conflict", so nothing is written).
async function storeBystander() {
  const key = uniq("doc:bystander");
  const f = await follower(pool, server, key, { claims: EDITOR });
  assert.equal(f.join.status, "ok");
  assert.equal((await f.op("append", { item: "here" })).status, "ok");
  const probe = async () => {
    const t0 = performance.now();
    const r = await f.op("append", { item: "x" }, { expect_version: 0 });
    const ms = performance.now() - t0;
    assert.equal(r.response.reason, "conflict", `the bystander is answered: ${JSON.stringify(r)}`);
    return ms;
  };
  // Probes back to back until stop(); resolves to their latencies.
  const during = () => {
    let running = true;
    const latencies = [];
    const done = (async () => {
      while (running) {
        latencies.push(await probe());
        await new Promise((resolve) => setTimeout(resolve, 5));  // a person's pace, not a flood
      }
      return latencies;
    })();
    return { stop: async () => ((running = false), done) };
  };
  const before = [];
  for (let i = 0; i < 50; i++) before.push(await probe());
  return { key, follower: f, probe, during, before };
}

// A raw WebSocket that pipelines Phoenix joins: at most `window` unanswered at a time.
async function attacker() {
  const ws = new WebSocket(`${server.wsUrl}/websocket?vsn=2.0.0`, { perMessageDeflate: false });
  await withTimeout(new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject))), 5000, "attacker open");
  pool.track(() => ws.terminate());
  let ref = 0;
  const pending = new Map(); // ref → resolve
  ws.on("message", (data) => {
    const [, r, , event, payload] = JSON.parse(data.toString("utf8"));
    if (event !== "phx_reply") return;
    pending.get(r)?.(payload);
    pending.delete(r);
  });
  const send = (joinRef, topic, event, payload) =>
    new Promise((resolve) => {
      const r = String(++ref);
      pending.set(r, resolve);
      ws.send(JSON.stringify([joinRef, r, topic, event, payload]));
    });
  return {
    // Joins every topic, `window` at a time, and calls then(topic, reply, send) for each reply
    // (send(event, payload) pushes on that topic). By default an accepted join is left at once.
    async joinAll(topics, params, { window = 200, then = leaveIfJoined } = {}) {
      let next = 0;
      const worker = async () => {
        while (next < topics.length) {
          const topic = topics[next++];
          const joinRef = String(ref + 1);
          const reply = await send(joinRef, topic, "phx_join", params);
          await then(topic, reply, (event, payload) => send(joinRef, topic, event, payload));
        }
      };
      await Promise.all(Array.from({ length: window }, worker));
    },
    close: () => ws.close(),
  };
}

const leaveIfJoined = async (topic, reply, send) => {
  if (reply.status === "ok") await send("phx_leave", {});
};

// A poll id nobody made: 1..24 of [a-z0-9].
const madeUpPoll = (i) => `store:poll:x${i.toString(36)}${Math.random().toString(36).slice(2, 8)}`;

test("100,000 joins of made-up keys: refused not_found, nothing kept, nothing stored, RSS bounded; a bystander is served", async () => {
  const by = await storeBystander();
  // Ready means the start's readiness probe has committed: its write is in bytesBefore.
  for (const deadline = Date.now() + 5000; (await fetch(`${server.url}/readyz`)).status !== 200; )
    assert.ok(Date.now() < deadline, "the node became ready");
  const rssBefore = rssKb();
  const bytesBefore = storedBytes();
  const sampler = rssSampler();
  const probes = by.during();
  const t0 = performance.now();

  const reasons = new Map();
  let wrongKey = 0;
  const attackers = await Promise.all([0, 1, 2, 3].map(() => attacker()));
  const perSocket = JOINS / attackers.length;
  await Promise.all(attackers.map((a, s) => {
    const topics = Array.from({ length: perSocket }, (_, i) => madeUpPoll(s * perSocket + i));
    return a.joinAll(topics, {}, {
      window: 48,  // joins under way count toward the channels a socket may join
      async then(topic, reply) {
        const reason = `${reply.status}:${reply.response?.reason}`;
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
        if (reply.response?.key !== topic.slice("store:".length)) wrongKey++;
      },
    });
  }));
  const strangerSeconds = (performance.now() - t0) / 1000;
  const strangerPeak = sampler.stop();
  const strangerLatency = await probes.stop();

  assert.deepEqual(Object.fromEntries(reasons), { "error:not_found": JOINS }, "every join refused not_found");
  assert.equal(wrongKey, 0, "each refusal names its key");
  const m = await metrics(server);
  assert.ok(m.cohort_store_joins_not_found_total >= JOINS, `counted: ${m.cohort_store_joins_not_found_total}`);
  assert.ok(m.cohort_store_keys_loaded <= 1, `no made-up key stays in memory (${m.cohort_store_keys_loaded} loaded)`);
  assert.equal(storedBytes(), bytesBefore, "the SQLite file and its log did not grow");

  // An editor may create docs by joining them; joined and left without an op, they hold
  // nothing and leave memory at once too.
  const sampler2 = rssSampler();
  const probes2 = by.during();
  const editor = await attacker();
  let accepted = 0;
  const docs = Array.from({ length: EDITOR_JOINS }, (_, i) => `store:doc:made-up-${i}-${uniq("d")}`);
  await editor.joinAll(docs, { token: socketToken(EDITOR) }, {
    window: 32,  // joined channels per socket are limited
    async then(topic, reply, send) {
      accepted += reply.status === "ok" && reply.response.version === 0;
      await leaveIfJoined(topic, reply, send);
    },
  });
  const editorPeak = sampler2.stop();
  const editorLatency = await probes2.stop();
  assert.equal(accepted, EDITOR_JOINS, "the editor's joins are served, at version 0");
  const after = await metrics(server);
  assert.ok(after.cohort_store_keys_loaded <= 1, `no empty doc stays in memory (${after.cohort_store_keys_loaded} loaded)`);
  assert.equal(storedBytes(), bytesBefore, "nothing was stored for them");

  const rssAfter = rssKb();
  console.log(`store_memory: ${JOINS} stranger joins in ${strangerSeconds.toFixed(1)} s; RSS before ${rssBefore} kB, ` +
              `peak ${strangerPeak} kB (+${strangerPeak - rssBefore}), after ${EDITOR_JOINS} editor joins peak ${editorPeak} kB, ` +
              `end ${rssAfter} kB; SQLite ${bytesBefore} bytes throughout`);
  console.log(`store_memory: bystander round trip before: ${fmt(by.before)}; during stranger joins: ${fmt(strangerLatency)}; ` +
              `during editor joins: ${fmt(editorLatency)}`);
  assert.ok(strangerPeak - rssBefore < RSS_BOUND_KB, `RSS grew ${strangerPeak - rssBefore} kB during the stranger joins`);
  assert.ok(editorPeak - rssBefore < RSS_BOUND_KB, `RSS grew ${editorPeak - rssBefore} kB during the editor joins`);
  assert.ok(strangerLatency.length >= 10 && editorLatency.length >= 10, "the bystander was answered throughout");
  assert.ok(Math.max(...strangerLatency, ...editorLatency) < 2000, "no bystander round trip took 2 s");
});

test("ten times more keys than store_max_keys: the least recently used leave memory and come back at their version", async () => {
  const by = await storeBystander();
  const unloadsBefore = (await metrics(server)).cohort_store_key_unloads_total;
  const rssBefore = rssKb();
  const sampler = rssSampler();
  const probes = by.during();
  const keys = Array.from({ length: 10 * MAX_KEYS }, (_, i) => uniq(`doc:k${i}`));
  const socket = await pool.connected(server);
  let maxLoaded = 0;
  for (const [i, key] of keys.entries()) {
    const channel = socket.channel(`store:${key}`, { token: socketToken(EDITOR) });
    const joined = deferred();
    channel.join().receive("ok", joined.resolve).receive("error", joined.reject);
    await withTimeout(joined.promise, 5000, `join ${key}`);
    const r = await push(channel, "op", { name: "append", args: { item: i } });
    assert.equal(r.status, "ok", `${key}: ${JSON.stringify(r.response)}`);
    await new Promise((resolve) => channel.leave().receive("ok", resolve));
    if (i % 100 === 99) maxLoaded = Math.max(maxLoaded, (await metrics(server)).cohort_store_keys_loaded);
  }
  const peak = sampler.stop();
  const latency = await probes.stop();
  const m = await metrics(server);
  assert.ok(maxLoaded <= MAX_KEYS, `never more than ${MAX_KEYS} keys in memory (saw ${maxLoaded})`);
  const unloads = m.cohort_store_key_unloads_total - unloadsBefore;
  assert.ok(unloads >= keys.length - MAX_KEYS, `least recently used keys left memory: ${unloads} unloads`);
  // Every key comes back at the version and state its op left: the first ones left long ago.
  for (const [i, key] of [...keys.slice(0, 20).entries(), ...keys.slice(-5).map((k, j) => [keys.length - 5 + j, k])]) {
    const f = await follower(pool, server, key, { claims: null });
    assert.equal(f.join.status, "ok", `${key}: ${JSON.stringify(f.join.response)}`);
    assert.equal(f.version, 1, key);
    assert.deepEqual(f.state.items, [i], key);
    f.channel.leave();
  }
  console.log(`store_memory: ${keys.length} keys made with --store-max-keys ${MAX_KEYS}: at most ${maxLoaded} in memory, ` +
              `${unloads} unloads; RSS before ${rssBefore} kB, peak ${peak} kB; ` +
              `bystander before ${fmt(by.before)}, during ${fmt(latency)}`);
  assert.ok(peak - rssBefore < RSS_BOUND_KB, `RSS grew ${peak - rssBefore} kB`);
  assert.ok(Math.max(...latency) < 2000, "no bystander round trip took 2 s");
});

test("when every key the node may hold is followed, a join of one more is refused too_many_keys until one is free", async () => {
  const by = await storeBystander();
  // More existing keys than the node may hold, made by an editor (each leaves memory as it goes).
  const keys = Array.from({ length: MAX_KEYS + 60 }, (_, i) => uniq(`doc:busy${i}`));
  const maker = await attacker();
  await maker.joinAll(keys.map((k) => `store:${k}`), { token: socketToken(EDITOR) }, {
    window: 32,
    async then(topic, reply, send) {
      assert.equal(reply.status, "ok", `${topic}: ${JSON.stringify(reply)}`);
      const made = await send("op", { name: "append", args: { item: topic } });
      assert.equal(made.status, "ok", `${topic}: ${JSON.stringify(made)}`);
      await send("phx_leave", {});
    },
  });
  maker.close();
  // Strangers follow them all and stay: every reactor's share fills with followed keys.
  const probes = by.during();
  const holders = await Promise.all(Array.from({ length: 10 }, () => attacker()));
  const refusals = [];
  let held = 0;
  await Promise.all(holders.map((h, i) => h.joinAll(keys.slice(i * 26, (i + 1) * 26).map((k) => `store:${k}`), {}, {
    then: async (topic, reply) => (reply.status === "ok" ? held++ : refusals.push(reply.response)),
  })));
  const refusedBefore = (await metrics(server)).cohort_store_keys_refused_total;
  const late = await attacker();
  let lateReply;
  await late.joinAll([`store:${uniq("doc:late")}`], { token: socketToken(EDITOR) }, { then: async (t, r) => (lateReply = r) });
  const latency = await probes.stop();
  console.log(`store_memory: ${held} keys followed, ${refusals.length} joins refused while full; a new key: ${JSON.stringify(lateReply)}; ` +
              `bystander before ${fmt(by.before)}, while the keys filled up ${fmt(latency)}`);
  assert.ok(held <= MAX_KEYS, `at most ${MAX_KEYS} keys followed at once (${held})`);
  assert.ok(refusals.length > 0, "some follows were refused");
  for (const r of refusals) assert.equal(r.reason, "too_many_keys", JSON.stringify(r));
  assert.equal(lateReply.status, "error");
  assert.equal(lateReply.response.reason, "too_many_keys");
  assert.match(lateReply.response.detail, /store_max_keys is 200/);
  const m = await metrics(server);
  assert.ok(m.cohort_store_keys_refused_total > refusedBefore, "refusals are counted");
  assert.ok(Math.max(...latency) < 2000, "the bystander's key, in memory, goes on serving");

  for (const h of holders) h.close();
  const deadline = Date.now() + 5000;
  let again;
  do {
    again = undefined;
    await late.joinAll([`store:${uniq("doc:later")}`], { token: socketToken(EDITOR) }, { then: async (t, r) => (again = r) });
  } while (again.status !== "ok" && Date.now() < deadline);
  assert.equal(again.status, "ok", `once the followers left, a new key is served: ${JSON.stringify(again)}`);
});
