// soak.mjs — the long chaos run: tests/soak/soak_run.mjs for as long as asked, on one node
// (SQLite) or a cluster (two nodes, Redis, PostgreSQL), printing the report and a `RESULT {json}`
// line. Exit status 0 for a clean run, 1 if anything was lost, diverged or did not converge.
//
//   node tools/bench/soak.mjs [--mode single|cluster] [--minutes 30] [--seed 1] [--scale 1]
//                             [--bin build/cohort] [-- extra node flags…]
// --scale multiplies the clients (6 writers, 20 presence members, 4 live views per unit).
// Run from the repository root (it starts the node with tests/conformance/server.mjs and a
// PostgreSQL with tests/support/pg_fixture.sh). Loopback only; it ends by itself.
import path from "node:path";

const argv = process.argv.slice(2);
const dash = argv.indexOf("--");
const own = dash < 0 ? argv : argv.slice(0, dash);
const nodeArgs = dash < 0 ? [] : argv.slice(dash + 1);
const opt = (name, fallback) => {
  const i = own.indexOf(`--${name}`);
  return i >= 0 ? own[i + 1] : fallback;
};
process.env.COHORT_BIN ??= path.resolve(opt("bin", "build/cohort"));
const { soak } = await import("../../tests/soak/soak_run.mjs");
// Ctrl-C or a kill: exit through the 'exit' handlers, which stop every node, Redis and PostgreSQL.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));

const started = Date.now();
const report = await soak({
  mode: opt("mode", "single"),
  seconds: Number(opt("minutes", 30)) * 60,
  seed: Number(opt("seed", 1)),
  scale: Number(opt("scale", 1)),
  nodeArgs,
  log: (line) => console.log(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${line}`),
});
const mib = (list) => list.map((b) => `${(b / 1048576).toFixed(1)} MiB`).join(" / ");
console.log(`mode ${report.mode}, ${report.seconds} s, seed ${report.seed}`);
console.log(`ops: ${report.ops.acked} acknowledged of ${report.ops.sent} sent on ${report.ops.keys} keys (${report.ops.resent} resends: ${JSON.stringify(report.ops.refusals)})`);
console.log(`faults: ${JSON.stringify(report.faults)}; abuse: ${JSON.stringify(report.abuse)}`);
console.log(`lost ${report.lost}, duplicated ${report.duplicated}, diverged ${report.diverged}, unfinished ${report.unfinished}`);
console.log(`RSS before ${mib(report.rss.before)}, peak ${mib(report.rss.peak)}, after ${mib(report.rss.after)}`);
for (const [i, h] of (report.heapAfter ?? []).entries())
  console.log(`node ${i} after: heap in use ${mib([h.inUse])}, free held ${mib([h.freeHeld])}, ${h.keysLoaded} keys loaded, ${h.connections} connections`);
for (const p of report.problems) console.log(`problem: ${p}`);
if (report.moreProblems) console.log(`and ${report.moreProblems} more problems`);
console.log(`RESULT ${JSON.stringify(report)}`);
process.exit(report.problems.length ? 1 : 0);
