// doc_model.mjs — a model of one "doc" / "livedoc" store key (examples/demo/apps/doc_store.cpp), and a
// seeded generator of ops for it.
//
// The model is the test's own account of what the node must hold: it applies each op the way the
// server's handlers and store limits say it must (an RFC 6902 add or remove, with the limits of
// include/cohort/store_limits.hpp), predicts which ops are refused and why, and keeps the state
// at every version of the current round, so that a restart can be checked against "the state at
// the last acknowledged version, or at one of the later ones". It never talks to the node.
import jsonpatch from "fast-json-patch";

// mulberry32: a small seeded PRNG, so a failing run can be replayed from its seed.
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  next.int = (n) => Math.floor(next() * n); // 0 .. n-1
  next.pick = (list) => list[next.int(list.length)];
  next.chance = (p) => next() < p;
  return next;
}

export const INITIAL = () => ({ counters: {}, items: [], fields: {} });
export const LOCK_PATH = "/lockzone"; // the only path the model's locker takes

// Member names and strings that exercise escaping: pointer escapes (~ and /), quotes,
// backslashes, control characters, multi-byte UTF-8 and astral-plane characters.
const NAMES = ["a", "b", "x y", "a/b", "~t", "~1", "ü", "日本", "😀", "\"q\"", "back\\slash", "", "n\u0000ul", "tab\t"];
const WORDS = ["plain", "héllo", "日本語のテキスト", "emoji 😀👍", "quote \" and \\ backslash", "new\nline\ttab",
  "\u0000 nul", "</script><b>", "~0~1/", "ünïcödé", ""];

const bytes = (s) => Buffer.byteLength(s, "utf8");
const escape = (seg) => seg.replace(/~/g, "~0").replace(/\//g, "~1");
const pointer = (segs) => segs.map((s) => "/" + escape(String(s))).join("");

// Nesting depth as the server counts it: a scalar 0, a container 1 + its deepest child.
export function depthOf(v) {
  if (v === null || typeof v !== "object") return 0;
  let deepest = 0;
  for (const child of Object.values(v)) deepest = Math.max(deepest, depthOf(child));
  return 1 + deepest;
}

// Why v (placed under `above` containers) breaks the limits: "too_large" or null. The node
// also refuses non-UTF-8 strings and non-finite numbers, which JSON from a client cannot carry.
function overLimits(v, above, limits) {
  if (typeof v === "string") return bytes(v) > limits.maxString ? "too_large" : null;
  if (v === null || typeof v !== "object") return null;
  if (above + 1 > limits.maxDepth) return "too_large";
  for (const [k, child] of Object.entries(v)) {
    if (!Array.isArray(v) && bytes(k) > limits.maxMember) return "too_large";
    const why = overLimits(child, above + 1, limits);
    if (why) return why;
  }
  return null;
}

// The value at segs in doc, or undefined.
function at(doc, segs) {
  let cur = doc;
  for (const s of segs) {
    if (cur === null || typeof cur !== "object" || !Object.prototype.hasOwnProperty.call(cur, s)) return undefined;
    cur = cur[s];
  }
  return cur;
}

export class DocModel {
  constructor(limits) {
    this.limits = limits; // {maxDepth, maxString, maxMember}
    this.base = { version: 0, state: INITIAL() }; // the state at the start of the round
    this.versions = []; // states after each accepted op of the round: versions base+1 ..
    this.locked = false; // whether the locker holds LOCK_PATH
  }

  get version() {
    return this.base.version + this.versions.length;
  }
  get state() {
    return this.versions.length ? this.versions[this.versions.length - 1] : this.base.state;
  }
  // The state at version v of this round (base.version <= v <= version).
  stateAt(v) {
    if (v < this.base.version || v > this.version) throw new Error(`no model state at version ${v}`);
    return v === this.base.version ? this.base.state : this.versions[v - this.base.version - 1];
  }
  // After a restart at version v: the round starts again from there; locks died with the node.
  restartAt(v) {
    this.base = { version: v, state: this.stateAt(v) };
    this.versions = [];
    this.locked = false;
  }

  // Predicts the outcome of op {name, args}: {ok: true, version} (and records the new state) or
  // {ok: false, reason}. The order of checks is the server's (src/store/key_authority.cpp).
  apply(name, args) {
    if (overLimits(args, 0, this.limits)) return { ok: false, reason: "too_large" };
    const patch = this.patchOf(name, args);
    if (patch.reason) return { ok: false, reason: patch.reason };
    const path = patch.ops[0].path;
    if (this.locked && (path === LOCK_PATH || path.startsWith(LOCK_PATH + "/"))) return { ok: false, reason: "locked" };
    const segs = pathSegments(path);
    if (patch.ops[0].op === "add") {
      const why = (segs.length && bytes(String(segs[segs.length - 1])) > this.limits.maxMember) ? "too_large"
        : overLimits(patch.ops[0].value, segs.length, this.limits);
      if (why) return { ok: false, reason: why };
    }
    const next = structuredClone(this.state);
    try {
      jsonpatch.applyPatch(next, patch.ops, true, true);
    } catch {
      return { ok: false, reason: "invalid" };
    }
    this.versions.push(next);
    return { ok: true, version: this.version };
  }

  // The patch the server's handler makes for the op, or {reason} when the handler refuses it.
  patchOf(name, args) {
    switch (name) {
      case "set":
        return { ops: [{ op: "add", path: args.path, value: args.value }] };
      case "remove":
        return { ops: [{ op: "remove", path: args.path }] };
      case "append":
        return { ops: [{ op: "add", path: "/items/-", value: args.item }] };
      case "set_field":
        if (args.field === "") return { reason: "invalid" };
        return { ops: [{ op: "add", path: "/fields/" + escape(args.field), value: args.value }] };
      case "incr": {
        const cur = this.state.counters?.[args.counter];
        const n = (Number.isInteger(cur) ? cur : 0) + (args.by ?? 1);
        return { ops: [{ op: "add", path: "/counters/" + escape(args.counter), value: n }] };
      }
      default:
        throw new Error(`the model has no op ${name}`);
    }
  }
}

// RFC 6901 segments of a pointer the generator made (always valid).
function pathSegments(path) {
  if (path === "") return [];
  return path.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

// ---- the generator --------------------------------------------------------------------------

// Every container in doc with its segments, breadth first, at most `max` of them.
function containers(doc, max = 200) {
  const out = [];
  const queue = [[doc, []]];
  while (queue.length && out.length < max) {
    const [v, segs] = queue.shift();
    if (v === null || typeof v !== "object") continue;
    out.push(segs);
    for (const [k, child] of Object.entries(v)) queue.push([child, [...segs, Array.isArray(v) ? Number(k) : k]]);
  }
  return out;
}

function randomString(r, limits) {
  if (r.chance(0.08)) {
    // Near the string limit, in bytes, with multi-byte characters: just under, at, or just over.
    // Characters are cut whole (a JS string slice could split a surrogate pair, which no
    // client's JSON can carry).
    const target = limits.maxString + r.pick([-1, 0, 1]);
    const chars = ["é", "😀"];
    let n = bytes("é😀");
    while (n < target) {
      const c = r.pick(["a", "é", "😀", "日"]);
      chars.push(c);
      n += bytes(c);
    }
    while (n > target) n -= bytes(chars.pop());
    while (n < target) chars.push("a"), n++;
    return chars.join("");
  }
  return r.pick(WORDS) + (r.chance(0.3) ? String(r.int(1000)) : "");
}

function randomScalar(r, limits) {
  return r.pick([
    () => r.int(1_000_000) - 500_000,
    () => Math.round(r() * 1e6) / 1e3,
    () => r.chance(0.5),
    () => null,
    () => randomString(r, limits),
    () => randomString(r, limits),
  ])();
}

// A value of depth at most `depth`; wide or deep as the dice say.
function randomValue(r, depth, limits) {
  if (depth <= 0 || r.chance(0.35)) return randomScalar(r, limits);
  const width = r.chance(0.15) ? 8 + r.int(24) : r.int(4);
  if (r.chance(0.5)) return Array.from({ length: width }, () => randomValue(r, depth - 1, limits));
  const obj = {};
  for (let i = 0; i < width; i++) obj[r.pick(NAMES) + (r.chance(0.5) ? i : "")] = randomValue(r, depth - 1, limits);
  return obj;
}

// A value exactly `depth` deep (a chain of arrays and objects).
function chain(r, depth) {
  let v = r.int(10);
  for (let i = 0; i < depth; i++) v = r.chance(0.5) ? [v] : { [r.pick(NAMES)]: v };
  return v;
}

// The next op for model's key: {name, args}. Mostly valid, some refused on purpose (too deep,
// too long, a missing parent, the locked path); removes win when the state grows big.
export function nextOp(r, model) {
  const limits = model.limits;
  const state = model.state;
  const big = JSON.stringify(state).length > 64 * 1024;
  const roll = r();
  if (roll < 0.15) return { name: "incr", args: { counter: r.pick(NAMES) + r.int(5), by: r.int(7) - 3 } };
  const small = (v) => (JSON.stringify(v).length > 24 * 1024 ? randomScalar(r, limits) : v);
  if (roll < 0.25 && !big) return { name: "append", args: { item: small(randomValue(r, 3, limits)) } };
  if (roll < 0.32 && !big) return { name: "set_field", args: { field: r.pick(NAMES), value: small(randomValue(r, 2, limits)) } };
  if (roll < 0.36) return { name: "set", args: { path: LOCK_PATH, value: randomValue(r, 2, limits) } };
  if (roll < 0.55 || big) {
    // Remove something that exists (arrays shrink), now and then something that does not.
    // Rarely the kind's own /counters, /items or /fields: without them incr, append and
    // set_field are refused until a set brings them back.
    const all = containers(state).filter((segs) => segs.length > 1 || (segs.length === 1 && r.chance(0.02)));
    if (!all.length || r.chance(0.05)) return { name: "remove", args: { path: "/nothing/here" } };
    return { name: "remove", args: { path: pointer(r.pick(all)) } };
  }
  // set: into a random container, at a new or existing member / index, sometimes too deep.
  const where = r.pick(containers(state));
  const parent = at(state, where);
  let last;
  if (Array.isArray(parent)) last = r.chance(0.5) ? "-" : String(r.int(parent.length + 1));
  else last = r.pick(NAMES) + (r.chance(0.5) ? r.int(9) : "");
  if (r.chance(0.03)) last = "x".repeat(limits.maxMember + 1); // a member name too long
  const segs = [...where, last];
  const room = limits.maxDepth - segs.length;
  let value;
  if (r.chance(0.12)) value = chain(r, Math.max(1, room + r.pick([0, 0, 1, 2]))); // at the limit or past it
  else value = randomValue(r, Math.min(Math.max(room, 0), 4), limits);
  let path = pointer(where) + "/" + (last === "-" ? "-" : escape(last));
  if (r.chance(0.03)) path = "/missing" + path; // a parent that does not exist
  // Well under the kind's 64 KiB patch limit, which the model cannot predict exactly (the node
  // spells numbers its own way).
  if (JSON.stringify(value).length > 24 * 1024) value = randomScalar(r, limits);
  return { name: "set", args: { path, value } };
}
