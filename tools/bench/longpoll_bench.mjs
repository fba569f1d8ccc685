// longpoll_bench.mjs — LongPoll next to WebSocket in one run, with the official phoenix client
// (the same client code on both transports, so the difference is the transport's).
//
//   node tools/bench/longpoll_bench.mjs echo   [--url http://127.0.0.1:4200] [--clients 20] [--duration 5]
//   node tools/bench/longpoll_bench.mjs fanout [--url ...] [--subscribers 50] [--rate 200] [--duration 5]
//
// echo: --clients sockets per transport, each on its own topic, push "ping" in a closed loop:
// round trips/s and latency percentiles per transport. fanout: --subscribers sockets per
// transport join one topic; one WebSocket publisher shouts --rate messages/s stamped with their
// send time: deliveries/s, latency percentiles and lost messages per transport. Both transports
// run at the same time against the same node, so they share its CPU (and this process's: the
// client is JavaScript, one thread, and is the limit long before the node). Ends by itself and
// prints one `RESULT {json}` line. Needs node_modules (phoenix, ws) and a node started with
// --socket-messages-per-s 0 (docs/benchmarks.md).
import { LongPoll, Socket } from "phoenix";
import WebSocket from "ws";

globalThis.WebSocket ??= WebSocket;

function options(argv) {
  const o = { mode: argv[0], url: "http://127.0.0.1:4200", clients: 20, subscribers: 50, rate: 200, duration: 5 };
  for (let i = 1; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    if (!(key in o)) throw new Error(`unknown option ${argv[i]}`);
    o[key] = key === "url" ? argv[i + 1] : Number(argv[i + 1]);
  }
  if (!["echo", "fanout"].includes(o.mode)) throw new Error("mode: echo or fanout");
  return o;
}

const TRANSPORTS = { websocket: undefined, longpoll: LongPoll };
const percentile = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] : NaN);
const round = (x) => Math.round(x * 1000) / 1000;

async function joined(url, transport, topic) {
  const socket = new Socket(`${url.replace(/^http/, "ws")}/socket`, { transport, timeout: 20_000 });
  socket.connect();
  const channel = socket.channel(topic, {});
  await new Promise((resolve, reject) => {
    channel.join().receive("ok", resolve).receive("error", (e) => reject(new Error(JSON.stringify(e)))).receive("timeout", () => reject(new Error(`join ${topic}: timeout`)));
  });
  return { socket, channel };
}

function summary(latencies, count, seconds, extra = {}) {
  const sorted = Float64Array.from(latencies).sort();
  return { count, per_s: Math.round(count / seconds), p50_ms: round(percentile(sorted, 0.5)), p99_ms: round(percentile(sorted, 0.99)), ...extra };
}

async function echo(o) {
  const result = {};
  const runs = Object.entries(TRANSPORTS).map(async ([name, transport]) => {
    const clients = await Promise.all(Array.from({ length: o.clients }, (_, i) => joined(o.url, transport, `room:lpbench-${name}-${i}`)));
    return { name, clients };
  });
  const ready = await Promise.all(runs);
  const end = performance.now() + o.duration * 1000;
  await Promise.all(ready.map(async ({ name, clients }) => {
    const latencies = [];
    await Promise.all(clients.map(async ({ channel }) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await new Promise((resolve) => channel.push("ping", { t0 }, 20_000).receive("ok", resolve).receive("timeout", resolve));
        latencies.push(performance.now() - t0);
      }
    }));
    result[name] = summary(latencies, latencies.length, o.duration);
  }));
  for (const { clients } of ready) for (const { socket } of clients) socket.disconnect();
  return result;
}

async function fanout(o) {
  const topic = `room:lpbench-fanout-${Date.now()}`;
  const seen = {};
  for (const [name, transport] of Object.entries(TRANSPORTS)) {
    seen[name] = { latencies: [], count: 0, subs: [] };
    for (let i = 0; i < o.subscribers; i++) {
      const sub = await joined(o.url, transport, topic);
      sub.channel.on("shout", ({ t0 }) => {
        seen[name].count++;
        seen[name].latencies.push(performance.now() - t0);
      });
      seen[name].subs.push(sub);
    }
  }
  const publisher = await joined(o.url, undefined, topic);
  const total = Math.round(o.rate * o.duration);
  const started = performance.now();
  for (let sent = 0; sent < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * o.rate) + 1);
    for (; sent < due; sent++) publisher.channel.push("shout", { t0: performance.now(), n: sent });
    await new Promise((r) => setTimeout(r, 5));
  }
  const expected = total * o.subscribers;
  const drainEnd = performance.now() + 15_000;
  while (performance.now() < drainEnd && Object.values(seen).some((s) => s.count < expected)) await new Promise((r) => setTimeout(r, 50));
  const seconds = (performance.now() - started) / 1000;
  const result = {};
  for (const [name, s] of Object.entries(seen)) {
    result[name] = summary(s.latencies, s.count, o.duration, { lost: expected - s.count, elapsed_s: round(seconds) });
    for (const { socket } of s.subs) socket.disconnect();
  }
  publisher.socket.disconnect();
  return result;
}

const o = options(process.argv.slice(2));
const result = o.mode === "echo" ? await echo(o) : await fanout(o);
for (const [name, r] of Object.entries(result))
  console.log(`${o.mode} ${name.padEnd(9)} ${String(r.per_s).padStart(8)}/s  p50 ${r.p50_ms} ms  p99 ${r.p99_ms} ms${r.lost !== undefined ? `  lost ${r.lost}` : ""}`);
console.log(`RESULT ${JSON.stringify({ mode: o.mode, ...o, result })}`);
process.exit(0);
