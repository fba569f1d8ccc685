// model_run.mjs — the model-based persistence run: random ops against a real node, SIGKILLs at
// random points, and after every restart a check that each key holds what was acknowledged.
//
// One run: a node with small store limits (so refusals at the limits are frequent) and a
// snapshot every SNAPSHOT_EVERY commits; three keys (two "doc", one coalesced "livedoc"), each
// with its DocModel (doc_model.mjs). Each round connects a writer, a locker and a follower,
// sends seeded ops in bursts (checking every reply against the model's prediction as it comes),
// and ends with a SIGKILL at a point its plan picks: when everything is acknowledged, in the
// middle of a burst (ops in flight, a group commit under way), or right after an ack that made a
// snapshot. After the restart, for every key:
//   - it loads, at a version V between its last acknowledged version and the last op sent;
//   - its state equals the model's state at V (versions are contiguous: the model counts them);
//   - the round's follower, rejoining with `since`, gets patches from its version to V that lead
//     to that state (or the whole state);
//   - an op acknowledged after the last snapshot, sent again with its op_id, is answered with its
//     first version and not applied again.
// Every divergence is collected with the seed, round and op, and the run fails listing them.
import assert from "node:assert/strict";
import jsonpatch from "fast-json-patch";

import { ClientPool, WAIT_MS, deferred, joinResult, withTimeout } from "../conformance/helpers.mjs";
import { startServer } from "../conformance/server.mjs";
import { SECRET, socketToken } from "../conformance/tokens.mjs";
import { DocModel, INITIAL, LOCK_PATH, nextOp, rng } from "./doc_model.mjs";

export const LIMITS = { maxDepth: 12, maxString: 2048, maxMember: 64 };
export const SNAPSHOT_EVERY = 7;
const NODE_ARGS = ["--secret", SECRET, "--store-max-depth", "12", "--store-max-string-bytes", "2048",
  "--store-max-member-bytes", "64", "--store-snapshot-every", String(SNAPSHOT_EVERY)];
const PUSH_TIMEOUT_MS = 15_000;
const KILL_MODES = ["quiet", "burst", "snapshot"];

// Runs rounds of opsPerRound ops with a kill after each; returns the run's figures. Throws listing
// every divergence from the model.
export async function modelRun({ seed, rounds, opsPerRound, storageArgs = [], log = () => {} }) {
  const r = rng(seed);
  const keys = ["doc", "doc", "livedoc"].map((kind, i) => ({
    key: `${kind}:model-${seed}-${i}`, model: new DocModel(LIMITS), acked: 0,
    follower: { version: 0, state: INITIAL() }, ids: [],
  }));
  const stats = { seed, rounds: 0, ops: 0, acked: 0, refused: {}, kills: {}, resends: 0, caughtUpByPatches: 0, caughtUpByState: 0, lostUnacked: 0 };
  const problems = [];
  const problem = (what) => problems.push(`seed ${seed} round ${stats.rounds}: ${what}`);
  let server = await startServer({ args: [...NODE_ARGS, ...storageArgs] });
  try {
    for (let round = 0; round < rounds && problems.length < 20; round++) {
      stats.rounds = round + 1;
      const mode = r.pick(KILL_MODES);
      stats.kills[mode] = (stats.kills[mode] ?? 0) + 1;
      await playRound({ server, keys, r, mode, opsPerRound, stats, problem });
      await server.exited;
      server = await server.restart();
      await checkAfterRestart({ server, keys, r, stats, problem });
      log(`round ${round + 1}/${rounds} (${mode}): ${stats.ops} ops, versions ${keys.map((k) => k.model.version).join("/")}`);
    }
  } finally {
    await server.kill();
  }
  if (problems.length) throw new Error(`model run diverged:\n${problems.join("\n")}`);
  return stats;
}

// ---- one round ------------------------------------------------------------------------------

async function channelOn(pool, server, sub, topic, params = {}) {
  const socket = await pool.connected(server, { timeout: PUSH_TIMEOUT_MS });
  const channel = socket.channel(topic, { token: socketToken({ sub, roles: ["editor"] }), ...params });
  return { socket, channel, join: await joinResult(channel, WAIT_MS * 2) };
}

async function playRound({ server, keys, r, mode, opsPerRound, stats, problem }) {
  const pool = new ClientPool();
  let dead = false;
  const inFlight = new Map(); // key -> Set of promises of replies not yet seen
  const kill = () => {
    if (dead) return;
    dead = true;
    server.proc.kill("SIGKILL");
  };
  for (const k of keys) {
    k.serverTail = () => server.output().stderr.slice(-2000);
    k.writer = await channelOn(pool, server, "model", `store:${k.key}`);
    if (k.writer.join.status !== "ok") problem(`${k.key}: writer join refused: ${JSON.stringify(k.writer.join.response)}`);
    else if (k.writer.join.response.version !== k.model.version) problem(`${k.key}: joined at ${k.writer.join.response.version}, model at ${k.model.version}`);
    else assertSame(k, k.writer.join.response.state, k.model.state, "the state at round start", problem);
    k.locker = await channelOn(pool, server, "locker", `store:${k.key}`);
    k.f = await channelOn(pool, server, "follower", `store:${k.key}`, { since: k.follower.version });
    followPatches(k, problem);
    inFlight.set(k.key, new Set());
  }
  // The kill plan: the op index after which the burst or snapshot kill may fire.
  const killFrom = r.int(opsPerRound);
  let armedSnapshotKill = false;
  const send = (k, name, args, extra, expect) => {
    const d = deferred();
    stats.ops++;
    k.writer.channel.push("op", { name, args, ...extra }, PUSH_TIMEOUT_MS)
      .receive("ok", (resp) => d.resolve({ status: "ok", resp }))
      .receive("error", (resp) => d.resolve({ status: "error", resp }))
      .receive("timeout", () => d.resolve({ status: "timeout" }));
    const set = inFlight.get(k.key);
    const settled = d.promise.then((reply) => {
      set.delete(settled);
      if (dead) return;
      checkReply(k, name, args, extra, expect, reply, stats, problem);
      if (reply.status === "ok" && armedSnapshotKill && reply.resp.version % SNAPSHOT_EVERY === 0) kill();
    });
    set.add(settled);
    return settled;
  };
  const drain = async (k) => {
    while (!dead && inFlight.get(k.key).size) await Promise.race([...inFlight.get(k.key)]);
  };
  const drainAll = () => Promise.all(keys.map(drain));

  for (let i = 0; i < opsPerRound && !dead; ) {
    const burst = 1 + r.int(16);
    let killAfterAcks = null;
    if (mode === "burst" && i >= killFrom) killAfterAcks = r.int(burst); // in the middle of this burst
    if (mode === "snapshot" && i >= killFrom) armedSnapshotKill = true;
    const sent = [];
    for (let b = 0; b < burst && i < opsPerRound && !dead; b++, i++) {
      const k = r.pick(keys);
      if (r.chance(0.04)) {
        await drain(k); // lock / unlock: ordered after every op already sent on the key
        if (dead) break;
        await toggleLock(k, problem);
        continue;
      }
      if (r.chance(0.05) && k.ids.length) {
        const old = r.pick(k.ids); // the same op with the same id: answered with its first version
        stats.resends++;
        sent.push(send(k, old.name, old.args, { op_id: old.op_id }, { ok: true, version: old.version, resend: true }));
        continue;
      }
      const op = nextOp(r, k.model);
      const expect = k.model.apply(op.name, op.args);
      const extra = r.chance(0.15) ? { op_id: `m${r.int(1e9)}` } : {};
      if (expect.ok && extra.op_id) k.ids.push({ ...op, op_id: extra.op_id, version: expect.version });
      if (k.ids.length > 500) k.ids.shift(); // well inside the 1,000 ids a key remembers
      sent.push(send(k, op.name, op.args, extra, expect));
    }
    if (killAfterAcks !== null) {
      if (killAfterAcks === 0) kill();
      else {
        let acks = 0;
        for (const p of sent) p.then(() => ++acks >= killAfterAcks && kill());
      }
      await Promise.race([Promise.all(sent), new Promise((res) => server.exited.then(res))]);
    } else if (r.chance(0.7)) {
      await drainAll();
    }
  }
  if (!dead) {
    await drainAll();
    kill();
  }
  await server.exited;
  await pool.closeAll();
}

function checkReply(k, name, args, extra, expect, reply, stats, problem) {
  const what = `${k.key} ${name} ${JSON.stringify(args).slice(0, 120)}${extra.op_id ? " id " + extra.op_id : ""}`;
  if (reply.status === "timeout") return problem(`${what}: no reply within ${PUSH_TIMEOUT_MS} ms\n${k.serverTail?.() ?? ""}`);
  if (expect.ok) {
    if (reply.status !== "ok") return problem(`${what}: refused ${JSON.stringify(reply.resp)}, the model accepts it as version ${expect.version}`);
    if (reply.resp.version !== expect.version) return problem(`${what}: acknowledged as version ${reply.resp.version}, the model says ${expect.version}`);
    k.acked = Math.max(k.acked, reply.resp.version);
    stats.acked++;
    return;
  }
  if (reply.status !== "error" || reply.resp.reason !== expect.reason)
    return problem(`${what}: got ${reply.status} ${JSON.stringify(reply.resp)}, the model says ${expect.reason}`);
  stats.refused[expect.reason] = (stats.refused[expect.reason] ?? 0) + 1;
}

async function toggleLock(k, problem) {
  const name = k.model.locked ? "unlock" : "lock";
  const reply = await new Promise((resolve) =>
    k.locker.channel.push("op", { name, args: { path: LOCK_PATH } }, PUSH_TIMEOUT_MS)
      .receive("ok", () => resolve("ok")).receive("error", (e) => resolve(JSON.stringify(e))).receive("timeout", () => resolve("timeout")));
  if (reply !== "ok") return problem(`${k.key}: ${name} ${LOCK_PATH}: ${reply}`);
  k.model.locked = !k.model.locked;
}

// The round's follower applies every patch to its own copy, checking that versions chain.
function followPatches(k, problem) {
  const f = k.follower;
  const join = k.f.join;
  if (join.status !== "ok") return problem(`${k.key}: follower join refused ${JSON.stringify(join.response)}`);
  if (join.response.state !== undefined) f.state = join.response.state;
  for (const p of join.response.patches ?? []) applyChained(k, p, problem);
  f.version = join.response.version;
  k.f.channel.on("patch", (p) => applyChained(k, p, problem));
}

function applyChained(k, p, problem) {
  const f = k.follower;
  if (p.from !== f.version) problem(`${k.key}: follower at ${f.version} got a patch from ${p.from} to ${p.to}`);
  f.state = jsonpatch.applyPatch(f.state, p.ops, false, false).newDocument;
  f.version = p.to;
}

// ---- after a restart ------------------------------------------------------------------------

async function checkAfterRestart({ server, keys, r, stats, problem }) {
  const pool = new ClientPool();
  try {
    for (const k of keys) {
      const fresh = await channelOn(pool, server, "checker", `store:${k.key}`);
      if (fresh.join.status !== "ok") {
        problem(`${k.key}: does not load after the restart: ${JSON.stringify(fresh.join.response)}`);
        continue;
      }
      const v = fresh.join.response.version;
      if (v < k.acked || v > k.model.version) {
        problem(`${k.key}: loaded at version ${v}; acknowledged ${k.acked}, sent up to ${k.model.version}`);
        continue;
      }
      stats.lostUnacked += k.model.version - v;
      assertSame(k, fresh.join.response.state, k.model.stateAt(v), `the state loaded at version ${v}`, problem);
      await checkCatchUp(pool, server, k, v, stats, problem);
      await checkResend(fresh, k, v, problem);
      k.model.restartAt(v);
      k.acked = v;
      k.ids = k.ids.filter((id) => id.version > lastSnapshotAtMost(v) && id.version <= v);
    }
  } finally {
    await pool.closeAll();
  }
}

function assertSame(k, got, want, what, problem) {
  try {
    assert.deepStrictEqual(got, want);
  } catch {
    problem(`${k.key}: ${what} differs from the model:\n  got  ${JSON.stringify(got).slice(0, 400)}\n  want ${JSON.stringify(want).slice(0, 400)}`);
  }
}

// The round's follower rejoins with `since` = its version: patches from there to v, or the state.
async function checkCatchUp(pool, server, k, v, stats, problem) {
  const f = k.follower;
  if (f.version > v) return problem(`${k.key}: the follower saw version ${f.version}, which did not survive (loaded ${v})`);
  const again = await channelOn(pool, server, "follower", `store:${k.key}`, { since: f.version });
  if (again.join.status !== "ok") return problem(`${k.key}: rejoin with since ${f.version} refused ${JSON.stringify(again.join.response)}`);
  const resp = again.join.response;
  if (resp.patches) {
    stats.caughtUpByPatches++;
    for (const p of resp.patches) applyChained(k, p, problem);
  } else {
    stats.caughtUpByState++;
    f.state = resp.state;
  }
  f.version = resp.version;
  if (f.version !== v) problem(`${k.key}: the follower caught up to ${f.version}, the key is at ${v}`);
  assertSame(k, f.state, k.model.stateAt(v), `the follower's state after catching up from its version`, problem);
  again.channel.leave();
}

// Snapshots are taken at multiples of SNAPSHOT_EVERY; the one a kill left behind may be older.
// An op stored after this version is in the op log a restart loads, its id with it.
const lastSnapshotAtMost = (v) => Math.floor(v / SNAPSHOT_EVERY) * SNAPSHOT_EVERY;

// An op stored after the last possible snapshot (its id is in the loaded op log), sent again.
async function checkResend(fresh, k, v, problem) {
  const candidates = k.ids.filter((id) => id.version > lastSnapshotAtMost(v) && id.version <= v);
  if (!candidates.length) return;
  const old = candidates[candidates.length - 1];
  const reply = await withTimeout(new Promise((resolve) =>
    fresh.channel.push("op", { name: old.name, args: old.args, op_id: old.op_id }, PUSH_TIMEOUT_MS)
      .receive("ok", (resp) => resolve({ status: "ok", resp })).receive("error", (resp) => resolve({ status: "error", resp }))),
  PUSH_TIMEOUT_MS, `${k.key}: resend of ${old.op_id}`);
  if (reply.status !== "ok" || reply.resp.version !== old.version)
    problem(`${k.key}: ${old.op_id} (version ${old.version}) sent again after the restart: ${JSON.stringify(reply)}`);
}
