// key_authority.cpp — one store key's authority: see key_authority.hpp and cohort/store.hpp.
#include "store/key_authority.hpp"

#include <boost/json/serialize.hpp>

#include "storage/stored_json.hpp"
#include "store/json_patch.hpp"

namespace cohort::store {

namespace {

// A key that failed to load tries again at its next use, but no more often than this: a corrupt
// row is read once a second at most, however fast clients retry.
constexpr auto kReloadEvery = std::chrono::seconds(1);
// Op ids remembered per key, at least (kind.history when larger).
constexpr std::size_t kRememberedIds = 1000;
constexpr std::string_view kOwnerPath = "/_owner";

std::chrono::milliseconds ms_left(Clock::time_point until, Clock::time_point now) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(until > now ? until - now : Clock::duration::zero());
}

std::optional<std::string> str(const Json& args, std::string_view name) {
  if (!args.is_object()) return std::nullopt;
  auto* v = args.get_object().if_contains(name);
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

std::optional<std::int64_t> positive_int(const Json& args, std::string_view name) {
  if (!args.is_object()) return std::nullopt;
  auto* v = args.get_object().if_contains(name);
  if (!v || !v->is_number()) return std::nullopt;
  auto n = v->to_number<double>();
  if (n <= 0 || n > 86'400'000) return std::nullopt;
  return static_cast<std::int64_t>(n);
}

}  // namespace

KeyAuthority::KeyAuthority(std::string key, Env env)
    : key_(std::move(key)), env_(env), state_(env.kind.initial), committed_(env.kind.initial),
      coalesce_timer_(env.reactor.context()) {
  estimated_bytes_ = json::serialize(state_).size();
}

std::optional<std::string> KeyAuthority::load() {
  if (!env_.storage) return std::nullopt;
  LoadedKey loaded;
  auto error = env_.storage->load(key_, loaded);
  return restore(std::move(loaded), std::move(error));
}

std::optional<std::string> KeyAuthority::restore(LoadedKey loaded, std::optional<std::string> error) {
  if (error) return failed_load(*error);
  if (!loaded.snapshot.is_null()) committed_ = std::move(loaded.snapshot);
  version_ = loaded.snapshot_version;
  for (auto& op : loaded.ops) {
    if (op.op.is_object())
      if (auto* id = op.op.get_object().if_contains("id"); id && id->is_string()) remember(std::string(id->get_string()), op.version);
    if (!op.patch.is_array()) continue;
    if (auto err = apply_patch(committed_, op.patch.get_array()))
      return failed_load("the stored patch of version " + std::to_string(op.version) + " does not apply: " + err->reason);
    version_ = op.version;
    // The log since the snapshot is the history a reconnecting client catches up from.
    history_.push_back({op.version, std::move(op.patch.get_array())});
    if (history_.size() > env_.kind.history) history_.pop_front();
  }
  committed_version_ = version_;
  state_ = committed_;
  estimated_bytes_ = json::serialize(state_).size();
  loaded_ = true;
  return std::nullopt;
}

std::optional<std::string> KeyAuthority::failed_load(std::string why) {
  loaded_ = false;
  broken_ = why;
  reload_after_ = Clock::now() + kReloadEvery;
  return why;
}

bool KeyAuthority::reload_due() const {
  return broken_ && !retired_ && pending_.empty() && Clock::now() >= reload_after_;
}

// Storage is the truth a broken key goes back to: it starts over from what was read. If that
// failed too (the database is still down), a key that had loaded keeps serving its last
// committed state to joiners, and refuses ops until its next reload.
void KeyAuthority::reloaded(LoadedKey loaded, std::optional<std::string> error) {
  if (!broken_ || retired_ || !pending_.empty()) return;  // healed meanwhile, or too late
  Json committed = std::move(committed_);
  std::deque<Committed> history = std::move(history_);
  const std::uint64_t version = committed_version_;
  const bool had_state = loaded_;
  committed_ = state_ = env_.kind.initial;
  version_ = committed_version_ = 0;
  history_.clear();
  broken_.reset();
  if (!restore(std::move(loaded), std::move(error)) || !had_state) return;
  state_ = committed_ = std::move(committed);
  version_ = committed_version_ = version;
  history_ = std::move(history);
  loaded_ = true;
}

Actor KeyAuthority::with_owner_role(const Actor& actor) const {
  Actor a = actor;
  if (!a.id.empty() && state_.is_object())
    if (auto* owner = state_.get_object().if_contains("_owner"); owner && owner->is_string() && owner->get_string() == a.id)
      a.roles.push_back("owner");
  return a;
}

void KeyAuthority::apply(OpCall call, OpDone done) { run(std::move(call), std::move(done)); }

bool KeyAuthority::seen(const OpCall& call, OpDone& done) {
  if (call.op_id.empty()) return false;
  if (auto a = applied_ids_.find(call.op_id); a != applied_ids_.end()) {
    done(OpOutcome{true, a->second, {}});
    return true;
  }
  if (auto p = pending_ids_.find(call.op_id); p != pending_ids_.end()) {
    pending_.at(p->second).resent.push_back(std::move(done));
    return true;
  }
  for (auto& q : queued_) {  // waiting for a lock: both callers get what it gets when it runs
    if (q.call.op_id != call.op_id) continue;
    q.done = [first = std::move(q.done), again = std::move(done)](OpOutcome r) {
      first(r);
      again(std::move(r));
    };
    return true;
  }
  return false;
}

void KeyAuthority::remember(const std::string& op_id, std::uint64_t version) {
  if (op_id.empty() || !applied_ids_.emplace(op_id, version).second) return;
  applied_order_.push_back(op_id);
  while (applied_order_.size() > std::max<std::size_t>(env_.kind.history, kRememberedIds)) {
    applied_ids_.erase(applied_order_.front());
    applied_order_.pop_front();
  }
}

void KeyAuthority::run(OpCall call, OpDone done) {
  if (!usable()) return done(fail({{"reason", "storage_error"}, {"detail", *broken_}}));
  if (seen(call, done)) return;
  if (auto bad = unstorable(call)) return done(fail(std::move(*bad)));
  if (call.expect_version && *call.expect_version != version_)
    return done(fail({{"reason", "conflict"}, {"expected", *call.expect_version}, {"version", version_}}));
  if (builtin(call, done)) return;
  auto spec = env_.kind.ops.find(call.name);
  if (spec == env_.kind.ops.end()) return done(fail({{"reason", "unknown_op"}, {"op", call.name}}));
  if (!spec->second.anonymous && call.actor.id.empty())
    return done(fail({{"reason", "forbidden"}, {"op", call.name}, {"detail", "sign in first"}}));
  Actor actor = with_owner_role(call.actor);
  if (!spec->second.roles.empty()) {
    bool allowed = false;
    for (const auto& r : spec->second.roles) allowed = allowed || actor.has_role(r);
    if (!allowed) {
      json::array needs;
      for (const auto& r : spec->second.roles) needs.emplace_back(r);
      return done(fail({{"reason", "forbidden"}, {"op", call.name}, {"needs", std::move(needs)}}));
    }
  }
  OpResult result;
  try {
    result = spec->second.apply(OpRequest{actor, call.args, state_, version_});
  } catch (const std::exception& e) {  // a bug in the kind: this op fails, the key and node go on
    return done(fail({{"reason", "internal"}, {"op", call.name}, {"detail", std::string("the op's handler threw: ") + e.what()}}));
  }
  if (!result.ok) return done(fail(std::move(result.error)));
  if (auto err = check_patch(result.patch))
    return done(fail({{"reason", "invalid"}, {"detail", err->reason}}));
  for (const auto& op : result.patch) {
    auto path = op.as_object().at("path").as_string();
    if (paths_overlap(path, kOwnerPath) && path != "" && state_.as_object().contains("_owner"))
      return done(fail({{"reason", "forbidden"}, {"detail", "only transfer_owner changes /_owner"}}));
  }
  if (auto* lock = blocking_lock(result.patch, call.session)) {
    if (spec->second.when_locked == WhenLocked::reject)
      return done(fail({{"reason", "locked"}, {"path", lock->first}, {"holder", lock->second.holder}}));
    if (queued_.size() >= env_.kind.max_queued)
      return done(fail({{"reason", "queue_full"}, {"path", lock->first}, {"holder", lock->second.holder}}));
    auto deadline = env_.clock.now() + spec->second.queue_timeout;
    queued_.push_back({std::move(call), std::move(done), deadline});
    return;
  }
  accept(call, std::move(result.patch), std::move(done));
}

// The op row stores the args and the actor's id: they must load again like the state does.
std::optional<JsonObject> KeyAuthority::unstorable(const OpCall& call) const {
  auto why = storage::check_value(call.args, env_.limits, 0, "");
  if (!why) why = storage::check_string(call.actor.id, env_.limits, "the actor id");
  if (!why) return std::nullopt;
  return JsonObject{{"reason", why->too_large ? "too_large" : "invalid"}, {"field", "args"}, {"detail", why->detail}};
}

void KeyAuthority::accept(const OpCall& call, json::array patch, OpDone done) {
  std::size_t bytes = json::serialize(patch).size();
  if (bytes > env_.kind.max_patch_bytes)
    return done(fail({{"reason", "too_large"}, {"detail", "the change is " + std::to_string(bytes) + " bytes"}}));
  // The estimate only grows (a replace adds its bytes though the state may not grow); when it
  // reaches the limit, measure the real size once before refusing.
  if (estimated_bytes_ + bytes > env_.kind.max_state_bytes) estimated_bytes_ = json::serialize(state_).size();
  if (estimated_bytes_ + bytes > env_.kind.max_state_bytes)
    return done(fail({{"reason", "too_large"}, {"detail", "the state would pass its size limit"}}));
  if (auto err = apply_patch(state_, patch, &env_.limits))
    return done(fail({{"reason", err->too_large ? "too_large" : "invalid"}, {"detail", err->reason}}));
  estimated_bytes_ += bytes;
  std::uint64_t v = ++version_;
  pending_.emplace(v, Pending{patch, std::move(done), call.op_id, {}});
  if (!call.op_id.empty()) pending_ids_[call.op_id] = v;
  if (!env_.storage) {
    env_.reactor.post([this, v] { on_commit(v, std::nullopt); });
    return;
  }
  JsonObject op{{"name", call.name}, {"args", call.args}, {"actor", call.actor.id}};
  if (!call.op_id.empty()) op["id"] = call.op_id;
  net::Reactor& owner = env_.reactor;
  env_.storage->append(key_, v, std::move(op), std::move(patch), [this, v, &owner](std::optional<std::string> error) {
    owner.post([this, v, error = std::move(error)] { on_commit(v, error); });
  });
}

void KeyAuthority::on_commit(std::uint64_t v, std::optional<std::string> error) {
  auto it = pending_.find(v);
  if (it == pending_.end()) return;
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (!p.op_id.empty()) pending_ids_.erase(p.op_id);
  if (error) {
    // The speculative state holds a change that is not stored (and every op accepted after it
    // builds on it, so theirs fail too): no new op until they have, then the key loads again.
    broken_ = "commit failed: " + *error;
    reload_after_ = Clock::now();
    OpOutcome failed = fail({{"reason", "storage_error"}, {"detail", *error}});
    for (auto& d : p.resent) d(failed);
    p.done(std::move(failed));
    return;  // reload_due() once the ops that built on it have failed too
  }
  remember(p.op_id, v);
  for (auto& d : p.resent) d(OpOutcome{true, v, {}});
  apply_patch(committed_, p.patch);  // applied to state_ already, so it applies here too
  committed_version_ = v;
  history_.push_back({v, p.patch});
  while (history_.size() > env_.kind.history) history_.pop_front();
  p.done(OpOutcome{true, v, {}});
  if (env_.kind.coalesce.count() == 0) {
    broadcast_patch(v - 1, v, std::move(p.patch));
  } else {
    if (!unsent_from_) unsent_from_ = v - 1;
    for (auto& op : p.patch) unsent_ops_.push_back(std::move(op));
    unsent_to_ = v;
    if (!coalesce_armed_) {
      coalesce_due_ = env_.clock.now() + env_.kind.coalesce;
      arm_coalesce(env_.kind.coalesce);
    }
  }
  // At every multiple of snapshot_every, so which versions a snapshot may have compacted is
  // known from the version alone (an op id is remembered across a restart only if its op was
  // stored after the last snapshot).
  if (env_.storage && committed_version_ % env_.snapshot_every == 0)
    env_.storage->snapshot(key_, committed_version_, committed_);
}

void KeyAuthority::broadcast_patch(std::uint64_t from, std::uint64_t to, json::array ops) {
  env_.pubsub.broadcast(topic(), "patch", JsonObject{{"from", from}, {"to", to}, {"ops", std::move(ops)}});
}

void KeyAuthority::arm_coalesce(Clock::duration wait) {
  coalesce_armed_ = true;
  coalesce_timer_.expires_after(wait);
  coalesce_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: whoever cancelled it cleared coalesce_armed_
    coalesce_armed_ = false;
    if (env_.clock.now() < coalesce_due_) return arm_coalesce(env_.kind.coalesce);
    flush_coalesced();
  });
}

void KeyAuthority::flush_coalesced() {
  if (coalesce_armed_) {
    coalesce_timer_.cancel();
    coalesce_armed_ = false;
  }
  if (!unsent_from_) return;
  broadcast_patch(*unsent_from_, unsent_to_, std::exchange(unsent_ops_, {}));
  unsent_from_.reset();
}

StoreView KeyAuthority::view(std::optional<std::uint64_t> since) {
  flush_coalesced();
  StoreView v;  // a failed commit leaves the committed state valid: a broken key that had loaded serves it
  v.version = committed_version_;
  if (!loaded_ || retired_) {
    v.error = {{"reason", "storage_error"}, {"detail", broken_.value_or("not loaded")}};
    return v;
  }
  v.ok = true;
  v.locks = locks_json(env_.clock.now());
  if (since && *since > committed_version_) {
    v.ok = false;
    v.error = {{"reason", "future_version"}, {"since", *since}, {"version", committed_version_}};
    return v;
  }
  std::uint64_t oldest = history_.empty() ? committed_version_ : history_.front().version - 1;
  if (since && *since >= oldest) {
    json::array patches;
    for (const auto& c : history_)
      if (c.version > *since) patches.push_back(JsonObject{{"from", c.version - 1}, {"to", c.version}, {"ops", c.patch}});
    v.patches = std::move(patches);
  } else {
    v.state = committed_;
  }
  return v;
}

// ---- locks and leases -------------------------------------------------------------------------

// The built-in ops: the table that routes them, then one function each.
bool KeyAuthority::builtin(const OpCall& call, OpDone& done) {
  using Builtin = OpOutcome (KeyAuthority::*)(const OpCall&, const std::string& path);
  static const std::map<std::string, Builtin, std::less<>> kBuiltins = {
      {"lock", &KeyAuthority::acquire}, {"unlock", &KeyAuthority::unlock}, {"renew", &KeyAuthority::renew}};
  if (call.name == "transfer_owner") {
    transfer_owner(call, done);
    return true;
  }
  auto b = kBuiltins.find(call.name);
  if (b == kBuiltins.end()) return false;
  auto path = str(call.args, "path");
  if (!path || !parse_pointer(*path)) {
    done(fail({{"reason", "invalid"}, {"field", "path"}}));
    return true;
  }
  done((this->*(b->second))(call, *path));
  return true;
}

void KeyAuthority::transfer_owner(const OpCall& call, OpDone& done) {
  auto to = str(call.args, "to");
  if (!to) return done(fail({{"reason", "invalid"}, {"field", "to"}}));
  if (!with_owner_role(call.actor).has_role("owner"))
    return done(fail({{"reason", "forbidden"}, {"op", call.name}, {"needs", json::array{"owner"}}}));
  accept(call, json::array{JsonObject{{"op", "add"}, {"path", kOwnerPath}, {"value", *to}}}, std::move(done));
}

OpOutcome KeyAuthority::acquire(const OpCall& call, const std::string& path) {
  if (call.actor.id.empty()) return fail({{"reason", "forbidden"}, {"detail", "anonymous actors cannot lock"}});
  if (!env_.kind.lock_roles.empty()) {
    bool allowed = false;
    Actor actor = with_owner_role(call.actor);
    for (const auto& r : env_.kind.lock_roles) allowed = allowed || actor.has_role(r);
    if (!allowed) return fail({{"reason", "forbidden"}, {"op", call.name}});
  }
  for (const auto& [p, l] : locks_)
    if (l.session != call.session && paths_overlap(p, path))
      return fail({{"reason", "locked"}, {"path", p}, {"holder", l.holder}});
  Lock lock{call.actor.id, call.session, std::nullopt};
  if (auto ttl = positive_int(call.args, "ttl_ms")) lock.expires = env_.clock.now() + std::chrono::milliseconds(*ttl);
  locks_[path] = lock;
  lock_changed("lock", path, lock, "acquired");
  return OpOutcome{true, version_, {}};
}

OpOutcome KeyAuthority::unlock(const OpCall& call, const std::string& path) {
  auto it = locks_.find(path);
  if (it == locks_.end() || it->second.session != call.session) return fail({{"reason", "not_holder"}, {"path", path}});
  release(path, "released");
  return OpOutcome{true, version_, {}};
}

OpOutcome KeyAuthority::renew(const OpCall& call, const std::string& path) {
  auto it = locks_.find(path);
  if (it == locks_.end() || it->second.session != call.session) return fail({{"reason", "not_holder"}, {"path", path}});
  if (auto ttl = positive_int(call.args, "ttl_ms")) it->second.expires = env_.clock.now() + std::chrono::milliseconds(*ttl);
  lock_changed("lock", path, it->second, "renewed");
  return OpOutcome{true, version_, {}};
}

void KeyAuthority::lock_changed(std::string_view event, const std::string& path, const Lock& lock,
                                std::string_view reason) {
  JsonObject payload{{"path", path}, {"holder", lock.holder}, {"reason", reason}};
  if (lock.expires) payload["expires_in_ms"] = ms_left(*lock.expires, env_.clock.now()).count();
  env_.pubsub.broadcast(topic(), event, std::move(payload));
}

void KeyAuthority::release(const std::string& path, std::string_view reason) {
  auto it = locks_.find(path);
  if (it == locks_.end()) return;
  Lock lock = it->second;
  locks_.erase(it);
  lock_changed("unlock", path, lock, reason);
  retry_queued();
}

void KeyAuthority::end_session(std::uint64_t session) {
  end_sessions([session](std::uint64_t s) { return s == session; });
}

void KeyAuthority::end_sessions(const std::function<bool(std::uint64_t)>& which) {
  std::vector<std::string> held;
  for (const auto& [p, l] : locks_)
    if (which(l.session)) held.push_back(p);
  for (const auto& p : held) release(p, "disconnected");
}

void KeyAuthority::retire(std::string_view why) {
  flush_coalesced();  // committed changes still reach their subscribers
  broken_ = std::string(why);
  retired_ = true;
  std::deque<Queued> waiting;
  waiting.swap(queued_);
  for (auto& q : waiting) q.done(fail({{"reason", "unavailable"}, {"detail", std::string(why)}}));
}

const std::pair<const std::string, KeyAuthority::Lock>* KeyAuthority::blocking_lock(const json::array& patch,
                                                                                     std::uint64_t session) const {
  for (const auto& lock : locks_) {
    if (lock.second.session == session) continue;
    for (const auto& op : patch) {
      const auto& o = op.as_object();
      if (paths_overlap(o.at("path").as_string(), lock.first)) return &lock;
      if (auto* from = o.if_contains("from"); from && from->is_string() && paths_overlap(from->get_string(), lock.first))
        return &lock;
    }
  }
  return nullptr;
}

void KeyAuthority::retry_queued() {
  // Each queued op runs again from the start: the state may have changed while it waited.
  std::deque<Queued> waiting;
  waiting.swap(queued_);
  for (auto& q : waiting) {
    auto deadline = q.deadline;
    std::size_t before = queued_.size();
    run(std::move(q.call), std::move(q.done));
    if (queued_.size() > before) queued_.back().deadline = deadline;  // still blocked: keep its deadline
  }
}

std::optional<Clock::time_point> KeyAuthority::expire(Clock::time_point now) {
  if (unsent_from_ && now >= coalesce_due_) flush_coalesced();
  std::vector<std::string> expired;
  for (const auto& [p, l] : locks_)
    if (l.expires && *l.expires <= now) expired.push_back(p);
  for (const auto& p : expired) release(p, "expired");
  while (!queued_.empty() && queued_.front().deadline <= now) {
    Queued q = std::move(queued_.front());
    queued_.pop_front();
    q.done(fail({{"reason", "lock_timeout"}}));
  }
  std::optional<Clock::time_point> next;
  auto consider = [&](Clock::time_point t) { next = next ? std::min(*next, t) : t; };
  for (const auto& [p, l] : locks_)
    if (l.expires) consider(*l.expires);
  for (const auto& q : queued_) consider(q.deadline);
  return next;
}

JsonObject KeyAuthority::locks_json(Clock::time_point now) const {
  JsonObject out;
  for (const auto& [p, l] : locks_) {
    JsonObject entry{{"holder", l.holder}};
    if (l.expires) entry["expires_in_ms"] = ms_left(*l.expires, now).count();
    out[p] = std::move(entry);
  }
  return out;
}

}  // namespace cohort::store
