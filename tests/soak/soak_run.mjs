// soak_run.mjs — a bounded chaos run: mixed traffic against a real node (SQLite) or a real
// cluster (two nodes, Redis, PostgreSQL) for a fixed time while faults are injected, then a
// check of everything the clients were told.
//
//   const report = await soak({ mode: "single" | "cluster", seconds, seed, log });
//
// Traffic: writers appending to doc keys (with op_id, resent until acknowledged), a follower per
// writer, a presence room whose members churn, /counter live views that click, shouts on a chat
// room. Faults, spread over the first 80% of the run by the seed: kill -9 and restart of the node
// (or of one cluster node), a Redis restart and a PostgreSQL outage (cluster), a client that stops
// reading while its topic is blasted, a client that floods heartbeats.
// The check, after the load stops: every acknowledged op is stored exactly once (lost,
// duplicated), every follower converged to the stored state (diverged), every node's presence
// list equals who is joined, every live view is mounted and renders a last change, and each
// node's RSS after the clients leave is within a bound of its RSS under load. The report holds
// the counts, the faults injected and RSS before / peak / after; report.problems lists what
// failed (empty = a clean run).
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Presence, Socket } from "phoenix";
import WebSocket from "ws";

import { startRedis } from "../conformance/cluster.mjs";
import { broadcastHttp } from "../conformance/wire.mjs";
import { SECRET, socketToken } from "../conformance/tokens.mjs";
import { startServer } from "../conformance/server.mjs";
import { rng } from "../durability/doc_model.mjs";
import { Follower, LiveView, PresenceMember, Writer, flooder, openSocket, pushed, sleep, slowReader } from "./soak_clients.mjs";

const fixture = path.resolve("tests/support/pg_fixture.sh");
// Small queues and frames so that a client that stops reading is found quickly; keys unloaded
// 2 s after their writer moves on, so the check reads most of them back from storage; fast
// cluster heartbeats so that a killed node is declared down within the run.
const NODE_ARGS = ["--secret", SECRET, "--max-frame", "65536", "--outbound-queue-limit", "262144", "--presence-tick-ms", "20",
                   "--store-idle-ms", "2000"];
const CLUSTER_ARGS = ["--cluster-heartbeat-ms", "200", "--cluster-down-ms", "1000", "--cluster-lease-ms", "1500"];
const SETTLE_MS = 30_000; // the check's deadline for each convergence after the load stops

export async function soak({ mode = "single", seconds = 60, seed = 1, log = () => {}, nodeArgs = [], scale = 1 }) {
  const r = rng(seed); // the faults: their order and targets replay from the seed
  const run = `${seed}-${Date.now().toString(36)}`;
  const env = await startEnvironment(mode, nodeArgs);
  const report = newReport(mode, seconds, seed);
  // Problems past the 50th are counted, not kept: the report stays readable.
  const problem = (what) => (report.problems.length < 50 ? report.problems.push(what) : report.moreProblems++);
  const closers = [];
  const track = (fn) => closers.push(fn);
  const sampler = sampleRss(env, report);
  try {
    const load = await startLoad({ env, run, r: rng(seed + 1), scale, report, problem, track });
    await sleep(Math.min(5000, seconds * 100));
    report.rss.before = env.nodes.map(rssOf);
    await injectFaults({ env, r, seconds, report, log, load });
    await load.stop();
    await checkEverything({ env, load, report, problem, log });
    for (const fn of closers.splice(0)) fn();
    load.closeAll();
    report.rss.after = await settledRss(env);
    report.heapAfter = await Promise.all(env.nodes.map(heapOf));
    checkRss(report, problem);
  } finally {
    sampler.stop();
    for (const fn of closers) fn();
    await env.stop();
  }
  return report;
}

function newReport(mode, seconds, seed) {
  return {
    mode, seconds, seed,
    ops: { sent: 0, acked: 0, resent: 0, refusals: {}, keys: 0 },
    faults: {}, abuse: { slowReadersClosed: 0, slowReadersServed: 0, floodRefused: 0, floodAnswered: 0, floodClosed: 0 },
    live: { views: 0, mounts: 0, mountRetries: 0, clicks: 0 },
    presence: { members: 0, churn: 0 },
    lost: 0, duplicated: 0, diverged: 0, followerRejoins: 0, followerGaps: 0, unfinished: 0,
    rss: { before: [], peak: [], after: [] },
    problems: [], moreProblems: 0,
  };
}

// ---- the node(s) -------------------------------------------------------------------------------

async function startEnvironment(mode, extra) {
  if (mode === "single") {
    const env = { nodes: [await startServer({ args: [...NODE_ARGS, ...extra], admin: true })] };
    env.stop = () => Promise.all(env.nodes.map((n) => n.kill()));
    return env;
  }
  const pgDir = path.join(os.tmpdir(), `cohort-soak-pg-${process.pid}-${Date.now()}`);
  const pgUrl = execFileSync(fixture, ["start", pgDir], { encoding: "utf8", timeout: 30_000 }).trim();
  const leftover = () => fs.existsSync(pgDir) && execFileSync(fixture, ["stop", pgDir], { timeout: 30_000 });
  process.on("exit", leftover); // an interrupted run (the CLI exits on SIGINT / SIGTERM) leaves no server
  const env = { pgDir, redis: await startRedis(), nodes: [] };
  const args = [...NODE_ARGS, ...CLUSTER_ARGS, "--cluster", env.redis.url, "--storage", pgUrl, ...extra];
  for (let i = 0; i < 2; i++) env.nodes.push(await startServer({ args, admin: true }));
  env.stop = async () => {
    await Promise.all(env.nodes.map((n) => n.kill()));
    await env.redis.kill();
    execFileSync(fixture, ["stop", pgDir], { timeout: 30_000 });
    fs.rmSync(pgDir, { recursive: true, force: true });
    process.off("exit", leftover);
  };
  return env;
}

function rssOf(node) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${node.proc.pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0; // between a kill and the restart
  }
}

function sampleRss(env, report) {
  const timer = setInterval(() => env.nodes.forEach((n, i) => (report.rss.peak[i] = Math.max(report.rss.peak[i] ?? 0, rssOf(n)))), 500);
  return { stop: () => clearInterval(timer) };
}

// RSS once the clients are gone and the node had time to drop their state (sockets, idle keys).
async function settledRss(env) {
  await sleep(3000); // how long the node is given to idle: a measurement window, not a wait for an event
  return env.nodes.map(rssOf);
}

// What a node's own /metrics says it holds: C heap in use, free heap kept by the allocator, store
// keys loaded, connections open. It tells a leak (in use grows) from allocator retention (free held).
async function heapOf(node) {
  const res = await fetch(`${node.adminUrl}/metrics`);
  const text = await res.text();
  const value = (name) => Number(new RegExp(`^cohort_${name} (\\d+)$`, "m").exec(text)?.[1] ?? NaN);
  return { inUse: value("heap_in_use_bytes"), freeHeld: value("heap_free_held_bytes"),
    keysLoaded: value("store_keys_loaded"), connections: value("connections_open") };
}

// After the clients leave, a node may keep some of what it loaded (allocator caches, store keys
// within their idle time) but must not keep what the run piled up: its RSS comes back within
// half again of what it had a few seconds into the load, plus 32 MiB.
function checkRss(report, problem) {
  report.rss.after.forEach((after, i) => {
    const before = report.rss.before[i] ?? 0;
    const bound = before + Math.max(32 * 1024 * 1024, before / 2);
    if (after > bound) problem(`node ${i}: RSS ${mib(after)} after the load, more than the bound ${mib(bound)}`);
  });
}
const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;

// ---- the load ----------------------------------------------------------------------------------

async function startLoad({ env, run, r, scale, report, problem, track }) {
  const nodeOf = (i) => () => env.nodes[i % env.nodes.length];
  const urlOf = (i) => () => nodeOf(i)().wsUrl;
  const writers = [];
  const followers = [];
  for (let i = 0; i < 6 * scale; i++) {
    const follower = new Follower({ socket: openSocket(urlOf(i + 1), track), problem });
    const writer = new Writer({ id: i, run, socket: openSocket(urlOf(i), track), opsPerKey: 150, stats: report.ops });
    writer.onKey = (key) => follower.follow(key);
    follower.follow(writer.current.key);
    writers.push(writer);
    followers.push(follower);
  }
  const topic = `room:soak-${run}`;
  const members = Array.from({ length: 20 * scale }, (_, i) => new PresenceMember({ user: `u${i}`, urlOf: urlOf(i), topic }));
  members.forEach((m) => m.join());
  report.presence.members = members.length;
  const views = Array.from({ length: 4 * scale }, (_, i) => new LiveView({ baseOf: () => nodeOf(i)().url, stats: report.live }));
  await Promise.all(views.map((v) => v.mount()));
  report.live.views = views.length;
  const chat = openSocket(urlOf(0), track).channel(`room:soak-chat-${run}`, { user_id: "chat" });
  chat.join();

  let running = true;
  const loops = [
    ...writers.map(async (w) => {
      while (running) {
        if (!(await w.step(Date.now() + SETTLE_MS))) report.unfinished++;
        await sleep(20 + r.int(60)); // about 20 ops/s per writer
      }
    }),
    (async () => {
      while (running) {
        const m = r.pick(members);
        m.joined ? m.leave() : m.join();
        report.presence.churn++;
        if (r.chance(0.3)) (r.pick(views).click(), report.live.clicks++);
        chat.push("shout", { n: report.presence.churn });
        await sleep(100 + r.int(200));
      }
    })(),
  ];
  return {
    writers, followers, members, views, topic,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
    closeAll() {
      members.forEach((m) => m.leave());
      views.forEach((v) => v.close());
    },
  };
}

// ---- the faults ----------------------------------------------------------------------------------

// One cycle of faults; a run goes through seeded shuffles of its cycle, one fault at a time, so
// that even a short run injects each of them.
const FAULTS = {
  single: ["kill", "slow_reader", "kill", "flood"],
  cluster: ["kill", "redis_restart", "pg_outage", "slow_reader", "flood"],
};

function shuffled(r, list) {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

// Faults start in the first 80% of the run, about evenly spaced (at most 90 s apart, so a long
// run keeps cycling); each finishes before the next starts.
async function injectFaults({ env, r, seconds, report, log, load }) {
  const end = Date.now() + seconds * 1000;
  const cycle = FAULTS[env.redis ? "cluster" : "single"];
  const every = Math.min(90_000, (seconds * 800) / cycle.length);
  const lastFaultAt = Date.now() + seconds * 800;
  let queue = [];
  for (let at = Date.now() + every / 2; at < lastFaultAt; at += every) {
    if (Date.now() < at) await sleep(at - Date.now());
    if (!queue.length) queue = shuffled(r, cycle);
    const fault = queue.pop();
    report.faults[fault] = (report.faults[fault] ?? 0) + 1;
    log(`fault: ${fault}`);
    await FAULT_ACTIONS[fault]({ env, r, report, load });
  }
  if (Date.now() < end) await sleep(end - Date.now());
}

const FAULT_ACTIONS = {
  async kill({ env, r }) {
    const i = r.int(env.nodes.length);
    await env.nodes[i].kill();
    env.nodes[i] = await env.nodes[i].restart();
  },
  async redis_restart({ env }) {
    await env.redis.kill();
    await sleep(500); // the outage: how long Redis stays away
    env.redis = await env.redis.restart();
  },
  async pg_outage({ env }) {
    execFileSync(fixture, ["down", env.pgDir], { timeout: 30_000 });
    await sleep(1000); // the outage
    execFileSync(fixture, ["up", env.pgDir], { timeout: 30_000 });
  },
  async slow_reader({ env, r, report }) {
    const node = r.pick(env.nodes);
    const topic = `room:soak-slow-${Date.now()}`;
    const blob = crypto.randomBytes(24 * 1024).toString("base64"); // 32 KiB that no deflate shrinks
    const blast = async () => {
      for (let i = 0; i < 800; i++) await broadcastHttp(node, topic, { blob, i }, { event: "blast" }).catch(() => {});
    };
    const got = await slowReader(node.wsUrl, topic, blast);
    got.closedByNode ? report.abuse.slowReadersClosed++ : report.abuse.slowReadersServed++;
  },
  async flood({ env, r, report }) {
    const got = await flooder(r.pick(env.nodes).wsUrl, 20_000);
    report.abuse.floodAnswered += got.ok;
    report.abuse.floodRefused += got.refused;
    if (got.closeCode !== null) report.abuse.floodClosed++;
  },
};

// ---- the check ---------------------------------------------------------------------------------

async function checkEverything({ env, load, report, problem, log }) {
  const checker = new Socket(env.nodes[0].wsUrl, { transport: WebSocket, timeout: 10_000 });
  checker.connect();
  try {
    for (const w of load.writers) await checkWriter(checker, w, report, problem);
    await checkFollowers(checker, load.followers, report, problem);
    report.followerRejoins = load.followers.reduce((n, f) => n + f.rejoins, 0);
    report.followerGaps = load.followers.reduce((n, f) => n + f.gaps, 0);
    await checkPresence(env, load, problem);
    await checkLiveViews(load.views, report, problem);
    log(`checked ${report.ops.keys} keys, ${report.ops.acked} acknowledged ops`);
  } finally {
    checker.disconnect();
  }
}

// Every key a writer used holds exactly the items it acknowledged, in order.
async function checkWriter(checker, w, report, problem) {
  for (const { key, acked } of w.keys) {
    report.ops.keys++;
    const state = await storedState(checker, key, problem);
    if (!state) continue;
    const items = state.state.items;
    const seen = new Set(items);
    const lost = acked.filter((s) => !seen.has(s)).length;
    const duplicated = items.length - seen.size;
    report.lost += lost;
    report.duplicated += duplicated;
    if (lost || duplicated || items.length !== acked.length)
      problem(`${key}: acknowledged ${acked.length} items, stored ${JSON.stringify(items).slice(0, 200)}`);
  }
}

// The checker is a client like any other: past the node's per-socket message rate its join is
// refused rate_limited, and it waits for its bucket to refill (about a second) and asks again.
async function storedState(checker, key, problem) {
  for (let attempt = 0; ; attempt++) {
    const reply = await joinOnce(checker, key);
    if (reply.error?.reason !== "rate_limited" || attempt >= 30) return loaded(key, reply, problem);
    await sleep(1000);
  }
}

async function joinOnce(checker, key) {
  const channel = checker.channel(`store:${key}`, { token: socketToken({ sub: "checker", roles: ["editor"] }) });
  const reply = await new Promise((resolve) => channel.join(10_000)
    .receive("ok", (resp) => resolve(resp)).receive("error", (e) => resolve({ error: e })).receive("timeout", () => resolve({ error: "timeout" })));
  channel.leave();
  return reply;
}

function loaded(key, reply, problem) {
  if (reply.error) {
    problem(`${key}: does not load: ${JSON.stringify(reply.error)}`);
    return null;
  }
  return reply;
}

// Each follower's copy reaches the stored version and equals the stored state.
async function checkFollowers(checker, followers, report, problem) {
  for (const follower of followers) {
    const f = follower.f;
    const stored = await storedState(checker, f.key, problem);
    if (!stored) continue;
    const deadline = Date.now() + SETTLE_MS;
    while (f.version < stored.version && Date.now() < deadline) await sleep(50); // polls the follower's own copy
    if (f.version !== stored.version || JSON.stringify(f.state) !== JSON.stringify(stored.state)) {
      report.diverged++;
      problem(`follower of ${f.key}: version ${f.version} vs stored ${stored.version}`);
    }
  }
}

// Every node's presence list of the room names exactly the members that are joined.
async function checkPresence(env, load, problem) {
  const want = load.members.filter((m) => m.joined).map((m) => m.user).sort();
  for (const node of env.nodes) {
    const socket = new Socket(node.wsUrl, { transport: WebSocket, timeout: 10_000 });
    socket.connect();
    const channel = socket.channel(load.topic, {});
    const presence = new Presence(channel);
    const keys = () => presence.list((k) => k).filter((k) => k !== "").sort();
    const same = () => JSON.stringify(keys()) === JSON.stringify(want);
    const matched = new Promise((resolve) => presence.onSync(() => same() && resolve(true)));
    channel.join();
    const ok = await Promise.race([matched, sleep(SETTLE_MS).then(() => false)]);
    if (!ok) problem(`${node.url}: presence lists ${JSON.stringify(keys())}, joined are ${JSON.stringify(want)}`);
    socket.disconnect();
  }
}

// Every view is mounted and renders one last change.
async function checkLiveViews(views, report, problem) {
  const deadline = Date.now() + SETTLE_MS;
  while (views.some((v) => !v.mounted) && Date.now() < deadline) await sleep(50); // polls the views' own state
  const before = views.map((v) => v.diffs);
  const clicker = views.find((v) => v.mounted);
  if (!clicker) return problem("no live view is mounted after the run");
  const reply = await pushed(clicker.channel, "event", { type: "click", event: "inc", value: { by: "1", value: "" } });
  // The clicker renders its own change in the reply (docs/live.md, "An event's reply"); the others in a diff push.
  if (reply.status === "ok" && reply.response?.diff) clicker.diffs++;
  while (views.some((v, i) => v.diffs === before[i]) && Date.now() < deadline) await sleep(50);
  views.forEach((v, i) => {
    if (!v.mounted) problem("a live view is not mounted after the run");
    else if (v.diffs === before[i]) problem("a live view did not render the last change");
  });
}
