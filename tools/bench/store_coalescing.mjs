// store_coalescing.mjs — a store under load: W writers push ops at --rate ops/s in total on one
// key while S subscribers follow it with the official phoenix client. Prints ops acknowledged/s,
// reply latency, patches per subscriber per second, versions folded per patch, and whether every
// subscriber ended at the final version with no gap. Loopback only; bounded by --duration.
//
//   node tools/bench/store_coalescing.mjs --port 4200 --secret S [--key livedoc:bench]
//        [--rate 10000] [--subscribers 100] [--writers 10] [--duration 5]
// The node must run with --secret S (at least 32 bytes; tokens are signed here with it).
import crypto from "node:crypto";
import { Socket } from "phoenix";
import WebSocket from "ws";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const port = Number(args.port ?? 4000);
const key = args.key ?? `livedoc:bench-${Date.now()}`;
const rate = Number(args.rate ?? 10000);
const subscribers = Number(args.subscribers ?? 100);
const writers = Number(args.writers ?? 10);
const duration = Number(args.duration ?? 5);
if (!args.secret) throw new Error("--secret is required (the node's --secret)");

// A join credential (kind socket) valid for the run and a margin.
const claims = { sub: "bench", roles: ["editor"], kind: "socket", exp: Math.floor(Date.now() / 1000) + duration + 3600 };
const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
const token = `${body}.${crypto.createHmac("sha256", args.secret).update(body).digest("base64url")}`;

function join(socket) {
  const ch = socket.channel(`store:${key}`, { token });
  return new Promise((resolve, reject) => {
    ch.join(10000).receive("ok", (r) => resolve({ ch, version: r.version })).receive("error", (e) => reject(new Error(JSON.stringify(e))));
  });
}
function connect() {
  const s = new Socket(`ws://127.0.0.1:${port}/socket`, { transport: WebSocket, timeout: 30000 });
  s.connect();
  return s;
}

const subs = [];
for (let i = 0; i < subscribers; i++) {
  const { ch, version } = await join(connect());
  const sub = { version, patches: 0, folded: 0, gaps: 0 };
  ch.on("patch", (p) => {
    if (p.from !== sub.version) sub.gaps++;
    sub.version = p.to;
    sub.patches++;
    sub.folded += p.to - p.from;
  });
  subs.push(sub);
}
const chans = [];
for (let i = 0; i < writers; i++) chans.push((await join(connect())).ch);

let sent = 0, acked = 0, errors = 0, lastVersion = 0;
const latencies = [];
const start = performance.now();
const end = start + duration * 1000;
await new Promise((resolve) => {
  const tick = () => {
    const now = performance.now();
    if (now >= end) return resolve();
    const due = Math.floor(((now - start) / 1000) * rate) - sent;
    for (let i = 0; i < due; i++) {
      const t0 = performance.now();
      chans[sent % writers].push("op", { name: "incr", args: { counter: "x" } }, 30000)
        .receive("ok", (r) => { acked++; lastVersion = Math.max(lastVersion, r.version); latencies.push(performance.now() - t0); })
        .receive("error", () => errors++);
      sent++;
    }
    setImmediate(tick);
  };
  tick();
});
const publishSeconds = (performance.now() - start) / 1000;
// Wait (bounded) for the last replies and patches.
const deadline = performance.now() + 10000;
while ((acked + errors < sent || subs.some((s) => s.version < lastVersion)) && performance.now() < deadline)
  await new Promise((r) => setTimeout(r, 20));

latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
const patches = subs.reduce((n, s) => n + s.patches, 0);
const folded = subs.reduce((n, s) => n + s.folded, 0);
const result = {
  key, rate, subscribers, writers, sent, acked, errors,
  acked_per_s: Math.round(acked / publishSeconds),
  reply_p50_ms: +pct(50).toFixed(2), reply_p99_ms: +pct(99).toFixed(2),
  final_version: lastVersion,
  subscribers_at_final: subs.filter((s) => s.version === lastVersion).length,
  gaps: subs.reduce((n, s) => n + s.gaps, 0),
  patches_per_subscriber_per_s: +(patches / subscribers / publishSeconds).toFixed(1),
  versions_per_patch: +(folded / Math.max(1, patches)).toFixed(1),
};
for (const [k, v] of Object.entries(result)) console.log(`  ${k.padEnd(30)} ${v}`);
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(result.subscribers_at_final === subscribers && result.gaps === 0 && errors === 0 ? 0 : 3);
