// crash_check.mjs — acknowledged store ops survive SIGKILL. Four clients stream ops at one key
// (each waits for its reply before the next); the node is killed with SIGKILL mid-stream and
// restarted. Every acknowledged op must be in the restored state, versions must be continuous,
// and no rejected op may appear. Used by crash.test.mjs (SQLite) and pg_storage.test.mjs.
import assert from "node:assert/strict";

import { ClientPool, push, uniq } from "./helpers.mjs";
import { startServer } from "./server.mjs";
import { SECRET } from "./tokens.mjs";
import { follower } from "./store_client.mjs";

// Writer i incremented counter w<i>: each counter holds every op its writer had acknowledged and
// no more than it sent. Returns the ops found in all.
export function countWriters(state, stats) {
  let found = 0;
  for (const [i, s] of stats.entries()) {
    const n = state.counters[`w${i}`] ?? 0;
    found += n;
    assert.ok(n >= s.acked, `writer ${i}: ${s.acked} acknowledged, only ${n} found`);
    assert.ok(n <= s.sent, `writer ${i}: ${n} found but only ${s.sent} sent`);
  }
  return found;
}

// Streams ops from four clients, SIGKILLs the node mid-stream and checks the restored key.
// args: extra node flags (e.g. --storage). fresh: restart as a new node with an empty data dir
// (the state must then come from shared storage), not the same node on its own data dir.
export async function killAndRestore({ args = [], fresh = false } = {}) {
  const pool = new ClientPool();
  let server = await startServer({ args: ["--secret", SECRET, ...args] });
  try {
    const key = uniq("doc:crash");
    const WRITERS = 4;
    const writers = [];
    for (let i = 0; i < WRITERS; i++) writers.push(await follower(pool, server, key));
    const stats = writers.map(() => ({ sent: 0, acked: 0, versions: [] }));
    let killed = false;
    const ackedTotal = () => stats.reduce((n, s) => n + s.acked, 0);

    const loop = async (w, i) => {
      for (let n = 0; !killed; n++) {
        if (n % 5 === 4) {
          // A rejected op (stale expect_version) with a marker that must never show up.
          const r = await push(w.channel, "op", { name: "set", args: { path: `/fields/rejected-${i}-${n}`, value: 1 }, expect_version: 0 }, 2000).catch(() => null);
          if (!r) return;
          assert.equal(r.status, "error");
          continue;
        }
        stats[i].sent++;
        const r = await push(w.channel, "op", { name: "incr", args: { counter: `w${i}` } }, 2000).catch(() => null);
        if (!r || killed) return;
        assert.equal(r.status, "ok", JSON.stringify(r.response));
        stats[i].acked++;
        stats[i].versions.push(r.response.version);
      }
    };
    const loops = writers.map((w, i) => loop(w, i));
    // Kill once a good number of ops were acknowledged (bounded: at most 10 s of streaming).
    const deadline = Date.now() + 10_000;
    await new Promise((resolve) => {
      const check = () => (ackedTotal() >= 400 || Date.now() > deadline ? resolve() : setImmediate(check));
      check();
    });
    server.proc.kill("SIGKILL");
    await server.exited;
    killed = true;
    await pool.closeAll();
    await Promise.all(loops);

    server = fresh ? await startServer({ args: ["--secret", SECRET, ...args] }) : await server.restart();
    const reader = await follower(pool, server, key);
    assert.equal(reader.join.status, "ok", JSON.stringify(reader.join.response));
    const { state, version } = reader.join.response;
    const found = countWriters(state, stats);
    assert.equal(version, found, "one version per applied op, no gap");
    const maxAcked = Math.max(...stats.flatMap((s) => s.versions));
    assert.ok(maxAcked <= version, `acknowledged version ${maxAcked} is above the restored ${version}`);
    assert.deepEqual(Object.keys(state.fields), [], "a rejected op left a trace");
    const next = await reader.op("incr", { counter: "after" });
    assert.equal(next.status, "ok");
    assert.equal(next.response.version, version + 1, "versions continue after the restart");
    console.log(`kill -9 test${args.length ? ` (${args.join(" ")})` : ""}: ${ackedTotal()} ops acknowledged before SIGKILL, ${found} found after restart (version ${version})`);
  } finally {
    await pool.closeAll();
    await server.stop().catch(() => server.kill());
  }
}
