// backup_load.mjs — what the backup tests drive: the cohort CLI as a child process, writers that
// keep ops in flight on "doc" keys, and followers that record each key's state at every version.
//
// Writers check every reply as it comes: an op is acknowledged at exactly the version after the
// previous one (so the version of every op sent is known when it is sent), and any refusal or
// missing reply is kept in `failures`. Followers apply every patch (store_client.mjs follower())
// and keep the state they saw at each version, so a restored key can be compared with what the
// clients saw at the version it loaded at.
import { spawn } from "node:child_process";

import { deferred, withTimeout } from "../conformance/helpers.mjs";
import { cohortBin } from "../conformance/server.mjs";
import { follower } from "../conformance/store_client.mjs";

export const PUSH_TIMEOUT_MS = 15_000;
const CLI_TIMEOUT_MS = 60_000;

// Runs `cohort ...args`; resolves to {code, stdout, stderr, startedAt, endedAt} once it exits
// (times from performance.now()). A run past timeoutMs is killed and rejects.
export function runCohort(args, { timeoutMs = CLI_TIMEOUT_MS } = {}) {
  const startedAt = performance.now();
  const proc = spawn(cohortBin(), args, { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  proc.stdout.setEncoding("utf8").on("data", (c) => (stdout += c));
  proc.stderr.setEncoding("utf8").on("data", (c) => (stderr += c));
  const done = new Promise((resolve, reject) => {
    proc.on("error", reject);
    proc.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, startedAt, endedAt: performance.now() }));
  });
  const what = `cohort ${args.join(" ")} to exit`;
  return withTimeout(done, timeoutMs, what).catch((err) => {
    proc.kill("SIGKILL");
    throw new Error(`${err.message}\nstdout: ${stdout}\nstderr: ${stderr}`);
  });
}

// A follower of key that keeps JSON of the state it saw at each version.
export async function recordingFollower(pool, server, key) {
  const f = await follower(pool, server, key);
  if (f.join.status !== "ok") throw new Error(`follower of ${key}: join refused ${JSON.stringify(f.join.response)}`);
  f.states = new Map([[f.version, JSON.stringify(f.state)]]);
  f.channel.on("patch", () => f.states.set(f.version, JSON.stringify(f.state))); // after follower()'s own handler
  return f;
}

// The i-th op a writer sends (i from 1): counters and fields, so a state stays small.
function nthOp(i) {
  return i % 2 ? { name: "incr", args: { counter: "n", by: i } } : { name: "set_field", args: { field: `f${i % 10}`, value: i } };
}

// Keeps up to `depth` ops in flight on key, at most `rate` a second (the suite runs two tests at
// a time: a writer must not take the machine), until stop() is called; stop() resolves once
// every reply is in. Each op is recorded as {version, sentAt, ackAt, status}.
export async function pipelinedWriter(pool, server, key, { depth = 8, rate = 800 } = {}) {
  const f = await follower(pool, server, key);
  if (f.join.status !== "ok") throw new Error(`writer of ${key}: join refused ${JSON.stringify(f.join.response)}`);
  const w = { key, base: f.version, sent: 0, acked: f.version, ops: [], failures: [], stopping: false, waiters: [] };
  const inFlight = new Set();
  const idle = deferred();
  const sendOne = () => {
    const i = ++w.sent;
    const rec = { version: w.base + i, sentAt: performance.now(), ackAt: null, status: null };
    w.ops.push(rec);
    const { name, args } = nthOp(i);
    const reply = new Promise((resolve) =>
      f.channel.push("op", { name, args }, PUSH_TIMEOUT_MS)
        .receive("ok", (r) => resolve({ status: "ok", r }))
        .receive("error", (r) => resolve({ status: "error", r }))
        .receive("timeout", () => resolve({ status: "timeout" })));
    const settled = reply.then(({ status, r }) => {
      rec.ackAt = performance.now();
      rec.status = status;
      inFlight.delete(settled);
      if (status !== "ok") w.failures.push(`${key} op ${i} (${name}): ${status} ${JSON.stringify(r)}`);
      else if (r.version !== rec.version) w.failures.push(`${key} op ${i}: acknowledged as version ${r.version}, expected ${rec.version}`);
      else w.acked = Math.max(w.acked, r.version);
      w.waiters = w.waiters.filter((check) => !check());
      if (!w.stopping && w.failures.length === 0) sendPaced();
      else if (inFlight.size === 0) idle.resolve();
    });
    inFlight.add(settled);
  };
  const start = performance.now();
  let waiting = 0; // ops held back by the rate, to be sent when their turn comes
  const sendPaced = () => {
    const dueAt = start + ((w.sent + waiting - depth) / rate) * 1000;
    if (dueAt <= performance.now()) return sendOne();
    waiting++;
    setTimeout(() => {
      waiting--;
      if (!w.stopping && w.failures.length === 0) sendOne();
      else if (inFlight.size === 0) idle.resolve();
    }, dueAt - performance.now());
  };
  for (let i = 0; i < depth; i++) sendOne();
  // Resolves once n ops have been acknowledged (or a failure stopped the writer).
  w.untilAcked = (n, what) => {
    const d = deferred();
    const check = () => (w.acked - w.base >= n || w.failures.length ? (d.resolve(), true) : false);
    if (!check()) w.waiters.push(check);
    return withTimeout(d.promise, PUSH_TIMEOUT_MS, `${n} acknowledged ops on ${key} (${what})`);
  };
  w.stop = () => {
    w.stopping = true;
    if (inFlight.size === 0) idle.resolve();
    return withTimeout(idle.promise, PUSH_TIMEOUT_MS + 1000, `the last replies on ${key}`);
  };
  return w;
}

// Figures of a list of acknowledged ops: count and latency percentiles in ms.
export function latencies(ops) {
  const ms = ops.filter((o) => o.ackAt !== null).map((o) => o.ackAt - o.sentAt).sort((a, b) => a - b);
  const at = (q) => (ms.length ? Number(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))].toFixed(1)) : null);
  return { n: ms.length, p50: at(0.5), p99: at(0.99), max: ms.length ? Number(ms[ms.length - 1].toFixed(1)) : null };
}
