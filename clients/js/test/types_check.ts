// types_check.ts — index.d.ts as a TypeScript app uses it, compiled with `tsc --noEmit --strict`
// by tests/client/types.test.mjs: what must type-check does, and each misuse below carries tsc's
// expect-error directive, which fails the compile if the line is not an error.
import { Socket } from "phoenix";
import { followPresence, followStore, StoreError, type Locks, type PresenceEntry, type StoreFollower } from "../index.js";

interface Counter {
  count: number;
}

const socket = new Socket("/socket", { params: { token: "t" } });
const counter: StoreFollower<Counter> = followStore<Counter>(socket, "counter:main", {
  token: () => "fresh-token",
  onState: (state, version) => console.log(state.count + version),
  onPatch: (state, version, ops) => console.log(state.count, version, ops[0]?.op),
  onLocks: (locks: Locks) => console.log(Object.keys(locks).length),
  onError: (error) => console.log(error.reason === "forbidden", error.details.holder),
  retry: { attempts: 3, baseMs: 50 },
});

async function use(): Promise<number> {
  const { version } = await counter.op("inc", { by: 1 }, { expectVersion: 3 });
  await counter.lock("/count", { ttlMs: 5000, autoRenew: true });
  await counter.renew("/count", { ttlMs: 5000 });
  await counter.unlock("/count");
  const reached: number = await counter.reached(version);
  const count: number | undefined = counter.state?.count;
  try {
    await counter.op("reset");
  } catch (e) {
    if (e instanceof StoreError && e.reason === "unavailable") return -1;
  }
  counter.leave();
  return reached + (count ?? 0);
}

const channel = socket.channel("room:lobby");
const here = followPresence<{ name: string }>(channel, {
  onSync: (list: PresenceEntry<{ name: string }>[]) => console.log(list.map((p) => p.metas[0]?.name)),
});
console.log(here.list().length, use);

// Misuse the declarations must refuse.
// @ts-expect-error a key is a string
followStore(socket, 42);
// @ts-expect-error the version of a follower is a number or null, never a string
const wrong: string = counter.version;
// @ts-expect-error lock options are ttlMs and autoRenew
counter.lock("/count", { ttl: 5000 });
// @ts-expect-error onState gets the state and its version
followStore<Counter>(socket, "counter:main", { onState: (state: string) => state });
console.log(wrong);
