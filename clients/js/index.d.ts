// Type declarations of @cohort/client (index.js). The wire protocol is Cohort's docs/protocol.md.
import type { Channel, Presence, Socket } from "phoenix";

/** RFC 6902 operations, as the node broadcasts them. */
export interface PatchOperation {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string;
  value?: unknown;
  from?: string;
}

/** A lock on a path of the state: who holds it, and what is left of its lease. */
export interface LockInfo {
  holder: string;
  expires_in_ms?: number;
}
export type Locks = Record<string, LockInfo>;

/** The wire names of the node's refusals (docs/protocol.md, "Store refusals"), plus the
 * client's own: "timeout" (no reply after every retry) and "left" (the follower was left). */
export type StoreErrorReason =
  | "unknown_store" | "unknown_op" | "forbidden" | "conflict" | "invalid" | "too_large" | "locked"
  | "queue_full" | "lock_timeout" | "not_holder" | "internal" | "storage_error" | "unavailable"
  | "unhandled event" | "not_found" | "too_many_keys" | "unauthorized" | "future_version"
  | "timeout" | "left" | (string & {});

/** A refusal: `reason` is its wire name, `details` the node's whole reply. */
export class StoreError extends Error {
  constructor(details: { reason: string; [field: string]: unknown } | string);
  readonly name: "StoreError";
  readonly reason: StoreErrorReason;
  details: { reason: string; detail?: string; field?: string; path?: string; holder?: string; version?: number; [field: string]: unknown };
}

export interface RetryOptions {
  /** Replies of "unavailable" (or reply timeouts) one op may get before it fails. Default 12. */
  attempts?: number;
  /** The first wait before a resend, doubled each time. Default 100 ms. */
  baseMs?: number;
  /** The longest wait between resends. Default 2000 ms. */
  maxMs?: number;
}

export interface FollowOptions<S = unknown> {
  /** A signed token of kind "socket" (Node::issue_token), or a function giving the current one:
   * it is read again at every (re)join, so a page can swap in a fresh token before expiry. */
  token?: string | (() => string | undefined);
  /** The version of `state`: a follower that already holds the key catches up from there. */
  since?: number;
  /** The state at `since` (required with it). */
  state?: S;
  /** After every join reply (the first, and each rejoin): the whole state and its version. */
  onState?(state: S, version: number): void;
  /** After each broadcast patch applied: the new state (a new object), its version, the ops. */
  onPatch?(state: S, version: number, ops: PatchOperation[]): void;
  /** The key's locks, after the join and each lock or unlock. */
  onLocks?(locks: Locks): void;
  /** A join refused (phoenix retries it), or a lease lost (details.path names it). */
  onError?(error: StoreError): void;
  /** How many times an op is resent while its outcome is unknown. */
  retry?: RetryOptions;
  /** How long one attempt of an op waits for its reply before it is resent. Default 10,000 ms. */
  replyTimeoutMs?: number;
}

export interface OpReply {
  /** The version the op made (the current one for lock, renew and unlock). */
  version: number;
}

export class StoreFollower<S = unknown> {
  readonly key: string;
  readonly topic: string;
  /** The local copy: undefined until the first join reply. Replaced (not mutated) by each patch. */
  readonly state: S | undefined;
  /** The version of `state`; null until the first join reply. */
  readonly version: number | null;
  readonly locks: Locks;
  /** Runs op `name`; rejects with a StoreError. Sent with a random op_id, and resent with the
   * same one after "unavailable", a lost reply or a reconnect: applied at most once. */
  op(name: string, args?: unknown, options?: { expectVersion?: number }): Promise<OpReply>;
  /** Takes the lock on `path`; with ttlMs a lease, renewed every third of it unless autoRenew
   * is false, until unlock() or leave(). Taken again after a rejoin. */
  lock(path: string, options?: { ttlMs?: number; autoRenew?: boolean }): Promise<OpReply>;
  renew(path: string, options?: { ttlMs?: number }): Promise<OpReply>;
  unlock(path: string): Promise<OpReply>;
  /** Resolves once the follower holds `version` or later (default 0: its first state). */
  reached(version?: number): Promise<number>;
  /** Stops following; ops still waiting reject with reason "left". */
  leave(): void;
}

/** Follows the store key "<kind>:<id>" on a phoenix Socket of the node's /socket endpoint. */
export function followStore<S = unknown>(socket: Socket, key: string, options?: FollowOptions<S>): StoreFollower<S>;

export interface PresenceEntry<M = Record<string, unknown>> {
  id: string;
  metas: M[];
  count: number;
}

export interface PresenceOptions<M = Record<string, unknown>> {
  /** The whole list, sorted by id, after every change. */
  onSync?(list: PresenceEntry<M>[]): void;
  onJoin?(id: string, current: { metas: M[] } | undefined, joined: { metas: M[] }): void;
  onLeave?(id: string, current: { metas: M[] }, left: { metas: M[] }): void;
}

/** Presence on a phoenix channel (the caller joins it). */
export function followPresence<M = Record<string, unknown>>(
  channel: Channel,
  options?: PresenceOptions<M>,
): { presence: Presence; list(): PresenceEntry<M>[] };
