// local_stores.cpp — the node's Stores: see local_stores.hpp.
//
// Banners: kinds and calls (any thread), keys in memory (owner reactor), sweeps (owner reactor).
#include "store/local_stores.hpp"

#include <algorithm>
#include <stdexcept>

namespace cohort::store {

namespace {
constexpr auto kSweep = std::chrono::milliseconds(50);  // lease expiry resolution
constexpr auto kIdleSweepMin = std::chrono::milliseconds(10);
constexpr auto kIdleSweepMax = std::chrono::seconds(1);
}  // namespace

net::Reactor& calling_reactor() {
  net::Reactor* r = net::Reactor::current();
  if (!r) throw std::logic_error("Stores used off a reactor thread");
  return *r;
}

struct LocalStores::Shard {
  explicit Shard(net::Reactor& r) : timer(r.context()), idle_timer(r.context()) {}
  struct Resident {
    std::unique_ptr<KeyAuthority> auth;
    Clock::time_point used;
    std::list<const std::string*>::iterator recency;  // its place in `recent`
  };
  struct Reading {  // a key being read from storage, and the calls waiting for it
    std::vector<Use> waiting;
    bool stale = false;  // retired meanwhile: what is being read may be outdated
  };
  std::unordered_map<std::string, Resident> keys;
  std::list<const std::string*> recent;  // keys' names (owned by `keys`), most recently used first
  std::unordered_map<std::string, Reading> reading;
  std::set<KeyAuthority*> watched;  // keys with leases or queued ops
  std::vector<std::unique_ptr<KeyAuthority>> retired;  // moved away, waiting to be idle
  boost::asio::steady_timer timer;
  bool armed = false;
  boost::asio::steady_timer idle_timer;
  bool idle_armed = false;
};

LocalStores::LocalStores(net::ReactorSet& reactors, PubSub& pubsub, Storage* storage)
    : reactors_(reactors), pubsub_(pubsub), storage_(nullptr) {
  for (unsigned i = 0; i < reactors.size(); ++i) shards_.push_back(std::make_unique<Shard>(reactors.at(i)));
  set_storage(storage);
}

LocalStores::~LocalStores() { stop_loading(); }

std::vector<KeyFigures> LocalStores::local_keys() const {
  const Shard& shard = *shards_[calling_reactor().index()];
  std::vector<KeyFigures> out;
  out.reserve(shard.keys.size());
  for (const auto& [key, resident] : shard.keys) {
    const KeyAuthority& auth = *resident.auth;
    if (auth.version() == 0) continue;  // a key that does not exist (yet)
    out.push_back({key, auth.committed_version(), auth.lock_holders(), auth.broken()});
  }
  return out;
}

void LocalStores::set_storage(Storage* storage) {
  stop_loading();
  storage_ = storage;
  if (storage_) loader_ = std::make_unique<KeyLoader>(*storage_);
}

void LocalStores::stop_loading() {
  if (loader_) loader_->stop();
  loader_.reset();
}

// ---------------------------------------------------------------- kinds and calls (any thread)

void LocalStores::define(StoreKind kind) {
  if (kind.name.empty() || kind.name.find(':') != std::string::npos)
    throw std::invalid_argument("store kind name must be non-empty and contain no ':'");
  for (const char* reserved : {"lock", "unlock", "renew", "transfer_owner"})
    if (kind.ops.count(reserved)) throw std::invalid_argument(std::string("op name '") + reserved + "' is built in");
  std::string name = kind.name;
  kinds_[name] = std::move(kind);
}

const StoreKind* LocalStores::kind_of(std::string_view key) const {
  auto colon = key.find(':');
  if (colon == std::string_view::npos || colon + 1 == key.size()) return nullptr;
  auto it = kinds_.find(std::string(key.substr(0, colon)));
  return it == kinds_.end() ? nullptr : &it->second;
}

LocalStores::KeyCheck LocalStores::check_key(const std::string& key) {
  const StoreKind* kind = kind_of(key);
  if (!kind)
    return {0, "no store kind '" + key.substr(0, key.find(':')) + "' is defined: a node of this app never serves it"};
  if (key.size() > limits_.max_key_bytes)
    return {0, "the key is " + std::to_string(key.size()) + " bytes (store_max_key_bytes is " +
                   std::to_string(limits_.max_key_bytes) + ")"};
  KeyAuthority auth(key, env(0, *kind));
  if (auto error = auth.load()) return {0, error};
  return {auth.committed_version(), std::nullopt};
}

void LocalStores::apply(OpCall call, std::function<void(OpOutcome)> done) {
  net::Reactor& origin = calling_reactor();
  unsigned owner = net::owner_of(call.key, reactors_.size());
  reactors_.at(owner).post([this, owner, &origin, call = std::move(call), done = std::move(done)]() mutable {
    auto reply = [&origin, done = std::move(done)](OpOutcome r) mutable {
      origin.post([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
    };
    std::string key = call.key;
    use(owner, key, [this, owner, call = std::move(call), reply = std::move(reply)](KeyAuthority* auth, JsonObject error) mutable {
      if (!auth) return reply(OpOutcome{false, 0, std::move(error)});
      if (auth->version() == 0 && !fits(owner, call.key)) return reply(OpOutcome{false, 0, too_many_keys()});  // it would stay
      auth->apply(std::move(call), std::move(reply));
      watch(owner, auth);
    });
  });
}

void LocalStores::view(std::string key, std::optional<std::uint64_t> since, std::function<void(StoreView)> done) {
  view_on_owner(std::move(key), since, false, std::move(done));
}

void LocalStores::view_existing(std::string key, std::optional<std::uint64_t> since,
                                std::function<void(StoreView)> done) {
  view_on_owner(std::move(key), since, true, std::move(done));
}

void LocalStores::view_on_owner(std::string key, std::optional<std::uint64_t> since, bool must_exist,
                                std::function<void(StoreView)> done) {
  net::Reactor& origin = calling_reactor();
  unsigned owner = net::owner_of(key, reactors_.size());
  reactors_.at(owner).post([this, owner, &origin, key = std::move(key), since, must_exist, done = std::move(done)]() mutable {
    use(owner, key, [this, owner, &origin, key, since, must_exist, done = std::move(done)](KeyAuthority* auth, JsonObject error) mutable {
      StoreView v;
      const bool missing = auth && auth->version() == 0 && !auth->broken();
      if (!auth) {
        v.error = std::move(error);
      } else if (missing && must_exist) {
        counters_.refused_missing.fetch_add(1, std::memory_order_relaxed);
        v.error = {{"reason", "not_found"}, {"key", key}};
      } else if (missing && !fits(owner, key)) {  // its follower would make it: no room for that
        v.error = too_many_keys();
      } else {
        v = auth->view(since);
      }
      origin.post([done = std::move(done), v = std::move(v)]() mutable { done(std::move(v)); });
    });
  });
}

void LocalStores::end_session(std::string key, std::uint64_t session) {
  unsigned owner = net::owner_of(key, reactors_.size());
  reactors_.at(owner).post([this, owner, key = std::move(key), session] {
    auto& keys = shards_[owner]->keys;
    auto it = keys.find(key);
    if (it == keys.end()) return;
    it->second.auth->end_session(session);
    settle(owner, key);
  });
}

void LocalStores::retire(std::string key, std::string why) {
  unsigned owner = net::owner_of(key, reactors_.size());
  reactors_.at(owner).post([this, owner, key = std::move(key), why = std::move(why)] {
    Shard& s = *shards_[owner];
    if (auto r = s.reading.find(key); r != s.reading.end()) r->second.stale = true;
    auto it = s.keys.find(key);
    if (it == s.keys.end()) return;
    std::unique_ptr<KeyAuthority> auth = std::move(it->second.auth);
    auth->retire(why);
    s.watched.erase(auth.get());
    s.recent.erase(it->second.recency);
    s.keys.erase(it);
    counters_.keys_loaded.fetch_sub(1, std::memory_order_relaxed);
    s.retired.push_back(std::move(auth));
    arm(owner);
  });
}

void LocalStores::quiet(std::string key, std::function<void(bool)> done) {
  net::Reactor& origin = calling_reactor();
  unsigned owner = net::owner_of(key, reactors_.size());
  reactors_.at(owner).post([this, owner, &origin, key = std::move(key), done = std::move(done)]() mutable {
    const Shard& s = *shards_[owner];
    auto it = s.keys.find(key);
    bool q = !s.reading.contains(key) && (it == s.keys.end() || it->second.auth->quiet());
    origin.post([done = std::move(done), q] { done(q); });
  });
}

void LocalStores::end_sessions(std::function<bool(std::uint64_t)> which) {
  for (unsigned i = 0; i < reactors_.size(); ++i)
    reactors_.at(i).post([this, i, which] {
      for (auto& [key, resident] : shards_[i]->keys) resident.auth->end_sessions(which);
    });
}

void LocalStores::read_exists(std::string key, std::function<void(bool exists)> done) {
  if (!loader_) return done(false);
  loader_->load(std::move(key), [done = std::move(done)](KeyLoader::Result r) {
    done(r.error || r.key.snapshot_version > 0 || !r.key.ops.empty());
  });
}

// ---------------------------------------------------------------- keys in memory (owner reactor)

void LocalStores::use(unsigned reactor, const std::string& key, Use fn) {
  Shard& s = *shards_[reactor];
  if (auto r = s.reading.find(key); r != s.reading.end()) return r->second.waiting.push_back(std::move(fn));
  if (auto it = s.keys.find(key); it != s.keys.end()) {
    if (it->second.auth->reload_due()) {  // broken: read it again, then serve the call
      s.reading[key].waiting.push_back(std::move(fn));
      return read(reactor, key);
    }
    touch(reactor, key);
    fn(it->second.auth.get(), {});
    return settle(reactor, key);
  }
  if (auto error = unservable(key)) return fn(nullptr, std::move(*error));
  if (s.reading.size() >= std::max(kMinReads, shard_capacity())) return fn(nullptr, too_many_keys());
  s.reading[key].waiting.push_back(std::move(fn));
  read(reactor, key);
}

JsonObject LocalStores::too_many_keys() {
  counters_.refused_full.fetch_add(1, std::memory_order_relaxed);
  return {{"reason", "too_many_keys"},
          {"detail", "every store key this node may hold in memory is in use (store_max_keys is " +
                         std::to_string(residency_.max_keys) + "): try again later"}};
}

std::optional<JsonObject> LocalStores::unservable(const std::string& key) const {
  if (!kind_of(key)) return JsonObject{{"reason", "unknown_store"}, {"key", key}};
  if (key.size() > limits_.max_key_bytes)
    return JsonObject{{"reason", "invalid"}, {"field", "key"},
                      {"detail", "the key is " + std::to_string(key.size()) + " bytes (store_max_key_bytes is " +
                                     std::to_string(limits_.max_key_bytes) + ")"}};
  return std::nullopt;
}

KeyAuthority::Env LocalStores::env(unsigned reactor, const StoreKind& kind) {
  return KeyAuthority::Env{kind, storage_, pubsub_, reactors_.at(reactor), limits_, clock_, snapshot_every_};
}

// Reads key off the reactors; without storage there is nothing to read and it is in at once.
void LocalStores::read(unsigned reactor, const std::string& key) {
  if (!loader_) return on_read(reactor, key, {});
  loader_->load(key, [this, reactor, key](KeyLoader::Result result) {
    reactors_.at(reactor).post([this, reactor, key, result = std::move(result)]() mutable {
      on_read(reactor, key, std::move(result));
    });
  });
}

void LocalStores::on_read(unsigned reactor, const std::string& key, KeyLoader::Result result) {
  Shard& s = *shards_[reactor];
  auto node = s.reading.extract(key);
  if (node.empty()) return;
  if (node.mapped().stale) {  // retired while it was read: read it again, after the retire
    s.reading[key].waiting = std::move(node.mapped().waiting);
    return read(reactor, key);
  }
  KeyAuthority* auth = admit(reactor, key, std::move(result));
  for (auto& fn : node.mapped().waiting) fn(auth, auth ? JsonObject{} : too_many_keys());
  settle(reactor, key);
}

// The key's authority from what was read: a broken key's reload, or a cold key made resident —
// if there is room for it. A key that does not exist needs none: it leaves at once (settle).
KeyAuthority* LocalStores::admit(unsigned reactor, const std::string& key, KeyLoader::Result result) {
  Shard& s = *shards_[reactor];
  if (auto it = s.keys.find(key); it != s.keys.end()) {
    it->second.auth->reloaded(std::move(result.key), std::move(result.error));
    touch(reactor, key);
    return it->second.auth.get();
  }
  const bool exists = result.error || result.key.snapshot_version > 0 || !result.key.ops.empty();
  if (exists && !make_room(reactor)) return nullptr;
  auto auth = std::make_unique<KeyAuthority>(key, env(reactor, *kind_of(key)));
  auth->restore(std::move(result.key), std::move(result.error));  // an error is kept: its calls report it
  auto [it, added] = s.keys.emplace(key, Shard::Resident{std::move(auth), Clock::now(), {}});
  s.recent.push_front(&it->first);
  it->second.recency = s.recent.begin();
  counters_.keys_loaded.fetch_add(1, std::memory_order_relaxed);
  if (loader_) counters_.key_loads.fetch_add(1, std::memory_order_relaxed);
  arm_idle(reactor);
  return it->second.auth.get();
}

void LocalStores::touch(unsigned reactor, const std::string& key) {
  Shard& s = *shards_[reactor];
  auto& resident = s.keys.at(key);
  resident.used = Clock::now();
  s.recent.splice(s.recent.begin(), s.recent, resident.recency);
}

// A key that does not exist (nothing stored, nothing pending) and holds nothing in memory is
// just its kind's initial state: it is dropped at once, so strangers' joins of made-up keys
// leave nothing behind. A broken key stays (it is read again at most once a second).
void LocalStores::settle(unsigned reactor, const std::string& key) {
  Shard& s = *shards_[reactor];
  auto it = s.keys.find(key);
  if (it == s.keys.end() || s.reading.contains(key)) return;
  const KeyAuthority& auth = *it->second.auth;
  if (auth.version() == 0 && !auth.broken() && auth.quiet()) unload(reactor, key, /*existed=*/false);
}

bool LocalStores::busy(unsigned reactor, const std::string& key) const {
  const Shard& s = *shards_[reactor];
  return !s.keys.at(key).auth->quiet() || s.reading.contains(key) || (followed_ && followed_(key));
}

std::size_t LocalStores::shard_capacity() const {
  return std::max<std::size_t>(1, residency_.max_keys / reactors_.size());
}

// Whether the shard can take one more key, unloading its least recently used idle one if needed.
// A busy key looked at moves to the front, so the next look starts further on.
bool LocalStores::make_room(unsigned reactor) {
  Shard& s = *shards_[reactor];
  return s.keys.size() < shard_capacity() || unload_one(reactor);
}

// A key that did not exist when it was read is in memory without room made for it (it leaves at
// once, unless a call makes it): before one does, the shard gets back within its capacity.
bool LocalStores::fits(unsigned reactor, const std::string& keep) {
  while (shards_[reactor]->keys.size() > shard_capacity())
    if (!unload_one(reactor, &keep)) return false;
  return true;
}

bool LocalStores::unload_one(unsigned reactor, const std::string* keep) {
  Shard& s = *shards_[reactor];
  for (std::size_t looked = 0; looked < kEvictScan && !s.recent.empty(); ++looked) {
    const std::string& key = *s.recent.back();
    if ((!keep || key != *keep) && !busy(reactor, key)) {
      unload(reactor, key);
      return true;
    }
    s.recent.splice(s.recent.begin(), s.recent, std::prev(s.recent.end()));
  }
  return false;
}

void LocalStores::unload(unsigned reactor, const std::string& name, bool existed) {
  Shard& s = *shards_[reactor];
  auto it = s.keys.find(name);
  if (it == s.keys.end()) return;
  const std::string key = it->first;  // `name` may be the map's own copy
  s.watched.erase(it->second.auth.get());
  s.recent.erase(it->second.recency);
  s.keys.erase(it);
  counters_.keys_loaded.fetch_sub(1, std::memory_order_relaxed);
  counters_.key_unloads.fetch_add(1, std::memory_order_relaxed);
  if (existed && on_unloaded_) on_unloaded_(key);
}

// ---------------------------------------------------------------- sweeps (owner reactor)

void LocalStores::watch(unsigned reactor, KeyAuthority* key) {
  if (!key->expire(clock_.now())) return;
  shards_[reactor]->watched.insert(key);
  arm(reactor);
}

void LocalStores::tick() {
  for (unsigned r = 0; r < reactors_.size(); ++r)
    reactors_.at(r).post([this, r] {
      for (auto& [key, resident] : shards_[r]->keys) watch(r, resident.auth.get());
    });
}

void LocalStores::arm(unsigned reactor) {
  Shard& s = *shards_[reactor];
  if (s.armed) return;
  s.armed = true;
  s.timer.expires_after(kSweep);
  s.timer.async_wait([this, reactor](const boost::system::error_code& ec) {
    if (ec) return;  // the stores are being destroyed: `this` may be gone
    shards_[reactor]->armed = false;
    sweep(reactor);
  });
}

void LocalStores::sweep(unsigned reactor) {
  Shard& s = *shards_[reactor];
  std::set<KeyAuthority*> keys;
  keys.swap(s.watched);
  for (KeyAuthority* k : keys) watch(reactor, k);
  std::erase_if(s.retired, [](const auto& k) { return k->idle(); });
  if (!s.retired.empty()) arm(reactor);
}

void LocalStores::arm_idle(unsigned reactor) {
  Shard& s = *shards_[reactor];
  if (s.idle_armed) return;
  s.idle_armed = true;
  auto period = std::clamp<std::chrono::milliseconds>(residency_.idle / 4, kIdleSweepMin, kIdleSweepMax);
  s.idle_timer.expires_after(period);
  s.idle_timer.async_wait([this, reactor](const boost::system::error_code& ec) {
    if (ec) return;  // the stores are being destroyed: `this` may be gone
    shards_[reactor]->idle_armed = false;
    sweep_idle(reactor);
  });
}

void LocalStores::sweep_idle(unsigned reactor) {
  Shard& s = *shards_[reactor];
  const auto unused_since = Clock::now() - residency_.idle;
  std::vector<std::string> idle;
  for (const auto& [key, resident] : s.keys)
    if (resident.used <= unused_since && !busy(reactor, key)) idle.push_back(key);
  for (const auto& key : idle) unload(reactor, key);
  if (!s.keys.empty()) arm_idle(reactor);
}

}  // namespace cohort::store
