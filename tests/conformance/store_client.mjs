// store_client.mjs — a test client that follows one store key through the phoenix client.
import jsonpatch from "fast-json-patch";

import { WAIT_MS, deferred, joinResult, push, withTimeout } from "./helpers.mjs";
import { secretOf, socketToken } from "./tokens.mjs";

// A client that follows one key: it keeps its own copy of the state by applying every patch
// with a standard JSON Patch library, and checks that versions arrive without gap or overlap.
export async function follower(pool, server, key, { claims = { sub: "ed", roles: ["editor"] }, since, base } = {}) {
  const socket = await pool.connected(server);
  const params = claims ? { token: socketToken(claims, { secret: secretOf(server) }) } : {};
  if (since !== undefined) params.since = since;
  const channel = socket.channel(`store:${key}`, params);
  const f = { socket, channel, state: base, version: since ?? 0, gaps: [], patches: 0, events: [], waiters: [] };
  channel.on("patch", (p) => {
    if (p.from !== f.version) f.gaps.push([f.version, p.from, p.to]);
    f.state = jsonpatch.applyPatch(f.state, p.ops, true, false).newDocument;
    f.version = p.to;
    f.patches++;
    f.waiters = f.waiters.filter((w) => !w());
  });
  // After a cluster outage the node says patches may have been lost (a client would rejoin
  // with since: its version); counted here.
  f.resyncs = 0;
  channel.on("resync", () => {
    f.resyncs++;
    f.waiters = f.waiters.filter((w) => !w());
  });
  for (const ev of ["lock", "unlock"]) channel.on(ev, (p) => f.events.push({ ev, ...p }) && (f.waiters = f.waiters.filter((w) => !w())));
  const r = await joinResult(channel);
  f.join = r;
  if (r.status === "ok") {
    if (r.response.state !== undefined) f.state = r.response.state;
    for (const p of r.response.patches ?? []) {
      f.state = jsonpatch.applyPatch(f.state, p.ops, true, false).newDocument;
      if (p.from !== f.version) f.gaps.push([f.version, p.from, p.to]);
      f.version = p.to;
    }
    f.version = r.response.version;
  }
  // Resolves once pred() holds, re-checked after every patch / lock event.
  f.until = (pred, what, ms = WAIT_MS) => {
    const d = deferred();
    const check = () => (pred() ? (d.resolve(), true) : false);
    if (!check()) f.waiters.push(check);
    return withTimeout(d.promise, ms, what);
  };
  f.op = (name, args = {}, extra = {}) => push(channel, "op", { name, args, ...extra });
  return f;
}

