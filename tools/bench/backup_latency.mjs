// backup_latency.mjs — what `cohort backup` costs a serving node: op reply latency (one op in
// flight, so each reply waits for its group commit's fsync) before and while a backup of the
// node's SQLite store runs, with optional background load. Loopback only; bounded by its phases.
//
//   node tools/bench/backup_latency.mjs --port 4200 --secret S --data-dir /tmp/bench-data
//        [--bin build/cohort] [--fill-mib 200] [--load 2000] [--baseline 5] [--max-rate MIB]
// The node must run with --secret S on --data-dir. --fill-mib: first grow the store to about
// this many MiB with 60 KiB set_field ops on filler keys (0 = use the store as it is); --load:
// background ops/s on other keys during both phases; --max-rate: passed to cohort backup.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Socket } from "phoenix";
import WebSocket from "ws";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const port = Number(args.port ?? 4000);
const bin = args.bin ?? "build/cohort";
const fillMiB = Number(args["fill-mib"] ?? 200);
const load = Number(args.load ?? 0);
const baselineS = Number(args.baseline ?? 5);
if (!args.secret || !args["data-dir"]) throw new Error("--secret and --data-dir are required (the node's)");
const dbFile = path.join(args["data-dir"], "cohort.db");

const body = Buffer.from(JSON.stringify({ sub: "bench", roles: ["editor"] })).toString("base64url");
const token = `${body}.${crypto.createHmac("sha256", args.secret).update(body).digest("base64url")}`;
const socket = new Socket(`ws://127.0.0.1:${port}/socket`, { transport: WebSocket, timeout: 60000 });
socket.connect();

function join(key) {
  const ch = socket.channel(`store:${key}`, { token });
  return new Promise((resolve, reject) => ch.join(30000).receive("ok", () => resolve(ch)).receive("error", (e) => reject(new Error(JSON.stringify(e)))));
}
function op(ch, name, a) {
  return new Promise((resolve, reject) =>
    ch.push("op", { name, args: a }, 60000).receive("ok", resolve).receive("error", (e) => reject(new Error(JSON.stringify(e)))).receive("timeout", () => reject(new Error("op timeout"))));
}
const storeBytes = () => ["", "-wal"].reduce((n, s) => n + (fs.existsSync(dbFile + s) ? fs.statSync(dbFile + s).size : 0), 0);

async function fill() {
  const keys = await Promise.all(Array.from({ length: 16 }, (_, i) => join(`doc:bench-fill-${Date.now()}-${i}`)));
  const value = crypto.randomBytes(30 * 1024).toString("hex"); // 60 KiB
  for (let round = 0; storeBytes() < fillMiB * 1024 * 1024; round++)
    await Promise.all(keys.map((ch, i) => op(ch, "set_field", { field: `b${round % 8}`, value: value.slice(i) + round })));
}

// Background ops at `load` per second, spread over 8 keys; stop() ends it.
async function background() {
  if (!load) return { stop() {}, errors: 0 };
  const keys = await Promise.all(Array.from({ length: 8 }, (_, i) => join(`doc:bench-load-${Date.now()}-${i}`)));
  const state = { errors: 0, timer: null, n: 0 };
  state.timer = setInterval(() => {
    for (let i = 0; i < load / 100; i++) op(keys[state.n++ % keys.length], "incr", { counter: "n" }).catch(() => state.errors++);
  }, 10);
  state.stop = () => clearInterval(state.timer);
  return state;
}

// One op at a time on ch until done() holds; returns the reply latencies in ms (and keeps when
// the slowest one of the last probe was sent).
let slowest = { ms: 0, at: 0 };
async function probe(ch, done) {
  const ms = [];
  slowest = { ms: 0, at: 0 };
  while (!done()) {
    const t = performance.now();
    await op(ch, "incr", { counter: "probe" });
    ms.push(performance.now() - t);
    slowest = ms[ms.length - 1] > slowest.ms ? { ms: ms[ms.length - 1], at: t } : slowest;
  }
  return ms;
}

function figures(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2);
  return { ops: s.length, p50: q(0.5), p99: q(0.99), max: s[s.length - 1].toFixed(2) };
}

if (fillMiB) await fill();
const bg = await background();
const probeKey = await join(`doc:bench-probe-${Date.now()}`);
const baselineEnd = performance.now() + baselineS * 1000;
const before = await probe(probeKey, () => performance.now() > baselineEnd);

const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cohort-bench-backup-")), "store.backup");
const backupArgs = ["backup", "--data-dir", args["data-dir"], ...(args["max-rate"] ? ["--max-rate", args["max-rate"]] : []), out];
const started = performance.now();
const backup = spawn(bin, backupArgs, { stdio: ["ignore", "pipe", "inherit"] });
let backupOut = "";
backup.stdout.on("data", (c) => (backupOut += c));
let exited = false;
const exit = new Promise((resolve) => backup.on("close", (code) => ((exited = true), resolve(code))));
const during = await probe(probeKey, () => exited);
const code = await exit;
const slowestAt = Math.round(slowest.at - started);
const backupMs = performance.now() - started;
bg.stop();
fs.rmSync(path.dirname(out), { recursive: true, force: true });

console.log(JSON.stringify({
  storeMiB: (storeBytes() / 1048576).toFixed(1), backupExit: code, backupMs: Math.round(backupMs), backup: backupOut.trim(),
  backgroundOpsPerS: load, backgroundErrors: bg.errors, before: figures(before), duringBackup: { ...figures(during), slowestSentAtMs: slowestAt },
}, null, 1));
socket.disconnect();
