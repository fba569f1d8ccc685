// model_settings.mjs — how long a model-based run is: the short defaults of the test command, or
// COHORT_MODEL_SEEDS (comma-separated), COHORT_MODEL_ROUNDS and COHORT_MODEL_OPS for a long run.
// COHORT_MODEL_LOG=1 prints a line per round.
export function modelRuns({ seeds, rounds, ops }) {
  const env = process.env;
  const list = env.COHORT_MODEL_SEEDS ? env.COHORT_MODEL_SEEDS.split(",").map(Number) : seeds;
  const r = Number(env.COHORT_MODEL_ROUNDS ?? rounds);
  const o = Number(env.COHORT_MODEL_OPS ?? ops);
  const log = env.COHORT_MODEL_LOG ? (line) => console.log(line) : () => {};
  // About 20 ms an op and 2 s a restart on a loaded machine, with a wide margin.
  const timeoutMs = Math.max(60_000, r * (o * 40 + 4000));
  return list.map((seed) => ({ seed, rounds: r, ops: o, log, timeoutMs }));
}
