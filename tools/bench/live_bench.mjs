// live_bench.mjs — live views under load, measured from outside with the official phoenix client
// speaking the LiveView protocol (docs/protocol.md, LiveView). Prints one `RESULT {json}` line per mode.
//
//   node tools/bench/live_bench.mjs --port 4000 --admin-port 4001 --pid <server pid> \
//                                   --token "$(cohort token --roles publish)" [--mode events|batching|table|all]
//
// --token: an API token of the node (role publish), for the batching mode's POST /api/broadcast.
// --admin-port: the node's admin listener (cohort serve --admin-port), where /metrics/live is
// served; the batching mode reads it.
//
// events:   E events per view on V views at once (the counter page's component toggle, which
//           touches no store, and its "inc", which goes through the counter store and SQLite);
//           reports events/s, reply latency p50/p99 and the server's CPU time per event
//           (utime + stime of --pid from /proc, over the run).
// batching: one list view subscribed to "list:activity"; M broadcasts (default 10,000) posted to
//           that topic evenly over about one second over HTTP (pipelined on 4 connections); reports
//           how long sending and their answers took, reports the renders and diff pushes the
//           view made (from /metrics/live) and the diff pushes the client received.
// table:    the list page with R rows (default 100): bytes of the full render vs the diff push
//           for a one-row change (a row moved one place).
// Loopback only; every wait has a deadline.
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import { Socket } from "phoenix";
import WebSocket from "ws";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith("--") ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
const port = Number(args.port ?? 4000);
const pid = args.pid ? Number(args.pid) : null;
const mode = args.mode ?? "all";
const base = `http://127.0.0.1:${port}`;
const adminBase = args["admin-port"] ? `http://127.0.0.1:${Number(args["admin-port"])}` : null;
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function request(path, { method = "GET", body, headers = {}, at = base } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${at}${path}`, { method, headers, agent, timeout: 10000 }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c) => (text += c)).on("end", () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on("timeout", () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on("error", reject);
    if (body) req.end(body);
    else req.end();
  });
}

function cpuSeconds() {
  if (!pid) return null;
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;  // utime + stime, clock ticks of 10 ms
}

function withTimeout(promise, ms, what) {
  let t;
  return Promise.race([promise, new Promise((_, rej) => (t = setTimeout(() => rej(new Error(`timed out: ${what}`)), ms)))]).finally(() =>
    clearTimeout(t),
  );
}

// GET the page, connect to /live, join its view. Resolves {socket, channel, rendered, bytes}.
async function joinView(path) {
  const page = await request(path);
  const m = /<div id="(phx-[^"]+)" data-phx-main data-phx-session="([^"]+)"/.exec(page.text);
  if (!m) throw new Error(`GET ${path}: no live root`);
  const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(page.text)?.[1];
  const socket = new Socket(`ws://127.0.0.1:${port}/live`, { transport: WebSocket, timeout: 30000, params: { _csrf_token: csrf } });
  socket.connect();
  const channel = socket.channel(`lv:${m[1]}`, {
    url: `${base}${path}`,
    params: { _csrf_token: csrf, _mounts: 0 },
    session: m[2],
    static: null,
    sticky: false,
  });
  const rendered = await withTimeout(
    new Promise((resolve, reject) =>
      channel.join().receive("ok", (r) => resolve(r.rendered)).receive("error", (e) => reject(new Error(JSON.stringify(e)))),
    ),
    10000,
    `join ${path}`,
  );
  return { socket, channel, rendered, bytes: JSON.stringify(rendered).length };
}

function pushEvent(channel, payload) {
  return new Promise((resolve, reject) =>
    channel.push("event", payload, 30000).receive("ok", resolve).receive("error", reject).receive("timeout", () => reject(new Error("event timeout"))),
  );
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function events({ views = Number(args.views ?? 10), perView = Number(args.events ?? 2000), kind }) {
  const joined = await Promise.all(Array.from({ length: views }, () => joinView("/counter")));
  const latencies = [];
  const cpu0 = cpuSeconds();
  const t0 = performance.now();
  await Promise.all(
    joined.map(async ({ channel, rendered }) => {
      const cid = Number(Object.keys(rendered.c)[0]);
      for (let i = 0; i < perView; i++) {
        const payload =
          kind === "component"
            ? { type: "click", event: "toggle", value: { value: "" }, cid }
            : { type: "click", event: "inc", value: { by: "1", value: "" } };
        const s = performance.now();
        await pushEvent(channel, payload);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds();
  latencies.sort((a, b) => a - b);
  joined.forEach(({ socket }) => socket.disconnect());
  const n = views * perView;
  return {
    mode: `events:${kind}`,
    views,
    events: n,
    events_per_s: Math.round(n / seconds),
    reply_p50_ms: +pct(latencies, 50).toFixed(3),
    reply_p99_ms: +pct(latencies, 99).toFixed(3),
    server_cpu_us_per_event: cpu0 === null ? null : +(((cpu - cpu0) * 1e6) / n).toFixed(1),
  };
}

async function batching({ messages = Number(args.messages ?? 10000) } = {}) {
  const view = await joinView("/list");
  let diffs = 0;
  let diffBytes = 0;
  let lastDiffAt = 0;
  view.channel.on("diff", (d) => {
    diffs++;
    diffBytes += JSON.stringify(d).length;
    lastDiffAt = performance.now();
  });
  if (!adminBase) throw new Error("the batching mode reads /metrics/live: give --admin-port (cohort serve --admin-port)");
  const before = JSON.parse((await request("/metrics/live", { at: adminBase })).text);
  const body = JSON.stringify({ who: "bench", did: "said hello" });
  const one =
    "POST /api/broadcast/list:activity?event=activity HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
    (args.token ? `Authorization: Bearer ${args.token}\r\n` : "") +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  // Spread evenly over ~1 s: every 10 ms the next 1/100 of the requests, pipelined on 4
  // keep-alive connections (one HTTP request per message costs the client more than the node).
  const conns = await Promise.all(
    Array.from({ length: 4 }, () =>
      new Promise((resolve, reject) => {
        const sock = net.connect({ host: "127.0.0.1", port }, () => resolve(sock)).on("error", reject);
      }),
    ),
  );
  let acked = 0;
  const allAcked = new Promise((resolve) =>
    conns.forEach((sock) => {
      let buf = "";  // keeps a status line split between two reads
      sock.setEncoding("latin1").on("data", (chunk) => {
        buf += chunk;
        const re = /HTTP\/1\.1 200 /g;
        let end = 0;
        while (re.exec(buf)) {
          acked++;
          end = re.lastIndex;
        }
        buf = buf.slice(Math.max(end, buf.length - 12));
        if (acked >= messages) resolve();
      });
    }),
  );
  const t0 = performance.now();
  const ticks = 100;
  for (let tick = 0, sent = 0; tick < ticks; tick++) {
    const upTo = Math.round(((tick + 1) * messages) / ticks);
    const due = t0 + tick * 10;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    for (let c = 0; sent < upTo; c = (c + 1) % conns.length) {
      const n = Math.min(upTo - sent, Math.ceil((upTo - sent) / conns.length));
      conns[c].write(one.repeat(n));
      sent += n;
    }
  }
  const sentIn = (performance.now() - t0) / 1000;
  await withTimeout(allAcked, 30000, "the broadcasts' responses");
  conns.forEach((sock) => sock.destroy());
  const ackedIn = (performance.now() - t0) / 1000;
  // Let the last frame interval pass: wait until the view's counters stop moving (bounded).
  let after = before;
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const now = JSON.parse((await request("/metrics/live", { at: adminBase })).text);
    if (now.infos - before.infos >= messages && now.renders === after.renders) break;
    after = now;
  }
  view.socket.disconnect();
  return {
    mode: "batching",
    messages,
    sent_in_s: +sentIn.toFixed(3),
    acked_in_s: +ackedIn.toFixed(3),
    handled_by_view: after.infos - before.infos,
    renders: after.renders - before.renders,
    diffs_pushed: after.diffs_pushed - before.diffs_pushed,
    diffs_received: diffs,
    diff_bytes_received: diffBytes,
    received_until_s: +((lastDiffAt - t0) / 1000).toFixed(3),
  };
}

async function table({ rows = Number(args.rows ?? 100) } = {}) {
  const view = await joinView("/list");
  const countRows = (rendered) => (JSON.stringify(rendered).match(/of the bench table/g) ?? []).length;
  const before = countRows(view.rendered);
  for (let i = 0; i < rows - before; i++) {
    const value = `item%5Btext%5D=${encodeURIComponent(`row ${i} of the bench table`)}`;
    await pushEvent(view.channel, { type: "form", event: "add", value, meta: {} });
  }
  // Wait until the store has every row: a fresh join renders the whole table (bounded).
  let full;
  for (let i = 0; i < 100; i++) {
    full = await joinView("/list");
    full.socket.disconnect();
    if (countRows(full.rendered) >= rows) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  // Let the adds' own diffs drain, then move one row and take the diff it causes.
  await new Promise((r) => setTimeout(r, 300));
  const next = new Promise((resolve) => view.channel.on("diff", resolve));
  await pushEvent(view.channel, { type: "click", event: "down", value: { id: "1", value: "" } });
  const diff = await withTimeout(next, 5000, "the move's diff");
  view.socket.disconnect();
  return {
    mode: "table",
    rows: countRows(full.rendered),
    full_render_bytes: full.bytes,
    one_row_move_diff_bytes: JSON.stringify(diff).length,
    diff: JSON.stringify(diff).slice(0, 300),
  };
}

const results = [];
if (mode === "events" || mode === "all") {
  results.push(await events({ kind: "component" }));
  results.push(await events({ kind: "store" }));
}
if (mode === "batching" || mode === "all") results.push(await batching());
if (mode === "table" || mode === "all") results.push(await table());
for (const r of results) console.log(`RESULT ${JSON.stringify(r)}`);
agent.destroy();
process.exit(0);
