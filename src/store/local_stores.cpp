// local_stores.cpp — the node's Stores: see local_stores.hpp.
#include "store/local_stores.hpp"

#include <stdexcept>

namespace cohort::store {

namespace {
constexpr auto kSweep = std::chrono::milliseconds(50);  // lease expiry resolution
}  // namespace

net::Reactor& calling_reactor() {
  net::Reactor* r = net::Reactor::current();
  if (!r) throw std::logic_error("Stores used off a reactor thread");
  return *r;
}

struct LocalStores::Shard {
  explicit Shard(net::Reactor& r) : timer(r.context()) {}
  std::unordered_map<std::string, std::unique_ptr<KeyAuthority>> keys;
  std::set<KeyAuthority*> watched;  // keys with leases or queued ops
  std::vector<std::unique_ptr<KeyAuthority>> retired;  // moved away, waiting to be idle
  boost::asio::steady_timer timer;
  bool armed = false;
};

LocalStores::LocalStores(net::ReactorSet& reactors, PubSub& pubsub, Storage* storage)
    : reactors_(reactors), pubsub_(pubsub), storage_(storage) {
  for (unsigned i = 0; i < reactors.size(); ++i) shards_.push_back(std::make_unique<Shard>(reactors.at(i)));
}

LocalStores::~LocalStores() = default;

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

KeyAuthority* LocalStores::authority(unsigned reactor, const std::string& key, JsonObject& error) {
  auto& keys = shards_[reactor]->keys;
  if (auto it = keys.find(key); it != keys.end()) return it->second.get();
  const StoreKind* kind = kind_of(key);
  if (!kind) {
    error = {{"reason", "unknown_store"}, {"key", key}};
    return nullptr;
  }
  if (key.size() > limits_.max_key_bytes) {
    error = {{"reason", "invalid"}, {"field", "key"},
             {"detail", "the key is " + std::to_string(key.size()) + " bytes (store_max_key_bytes is " +
                            std::to_string(limits_.max_key_bytes) + ")"}};
    return nullptr;
  }
  auto auth = std::make_unique<KeyAuthority>(key, KeyAuthority::Env{*kind, storage_, pubsub_, reactors_.at(reactor), limits_, snapshot_every_});
  auth->load();  // a load error is kept by the authority: its ops and views report it
  return keys.emplace(key, std::move(auth)).first->second.get();
}

LocalStores::KeyCheck LocalStores::check_key(const std::string& key) {
  const StoreKind* kind = kind_of(key);
  if (!kind)
    return {0, "no store kind '" + key.substr(0, key.find(':')) + "' is defined: a node of this app never serves it"};
  if (key.size() > limits_.max_key_bytes)
    return {0, "the key is " + std::to_string(key.size()) + " bytes (store_max_key_bytes is " +
                   std::to_string(limits_.max_key_bytes) + ")"};
  KeyAuthority auth(key, KeyAuthority::Env{*kind, storage_, pubsub_, reactors_.at(0), limits_, snapshot_every_});
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
    JsonObject error;
    KeyAuthority* auth = authority(owner, call.key, error);
    if (!auth) return reply(OpOutcome{false, 0, std::move(error)});
    auth->apply(std::move(call), std::move(reply));
    watch(owner, auth);
  });
}

void LocalStores::view(std::string key, std::optional<std::uint64_t> since, std::function<void(StoreView)> done) {
  net::Reactor& origin = calling_reactor();
  unsigned owner = net::owner_of(key, reactors_.size());
  reactors_.at(owner).post([this, owner, &origin, key = std::move(key), since, done = std::move(done)]() mutable {
    StoreView v;
    JsonObject error;
    if (KeyAuthority* auth = authority(owner, key, error)) v = auth->view(since);
    else v.error = std::move(error);
    origin.post([done = std::move(done), v = std::move(v)]() mutable { done(std::move(v)); });
  });
}

void LocalStores::end_session(std::string key, std::uint64_t session) {
  unsigned owner = net::owner_of(key, reactors_.size());
  reactors_.at(owner).post([this, owner, key = std::move(key), session] {
    auto& keys = shards_[owner]->keys;
    if (auto it = keys.find(key); it != keys.end()) it->second->end_session(session);
  });
}

void LocalStores::watch(unsigned reactor, KeyAuthority* key) {
  if (!key->expire(Clock::now())) return;
  shards_[reactor]->watched.insert(key);
  arm(reactor);
}

void LocalStores::arm(unsigned reactor) {
  Shard& s = *shards_[reactor];
  if (s.armed) return;
  s.armed = true;
  s.timer.expires_after(kSweep);
  s.timer.async_wait([this, reactor](const boost::system::error_code& ec) {
    shards_[reactor]->armed = false;
    if (!ec) sweep(reactor);
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

void LocalStores::retire(std::string key, std::string why) {
  unsigned owner = net::owner_of(key, reactors_.size());
  reactors_.at(owner).post([this, owner, key = std::move(key), why = std::move(why)] {
    Shard& s = *shards_[owner];
    auto it = s.keys.find(key);
    if (it == s.keys.end()) return;
    it->second->retire(why);
    s.watched.erase(it->second.get());
    s.retired.push_back(std::move(it->second));
    s.keys.erase(it);
    arm(owner);
  });
}

void LocalStores::quiet(std::string key, std::function<void(bool)> done) {
  net::Reactor& origin = calling_reactor();
  unsigned owner = net::owner_of(key, reactors_.size());
  reactors_.at(owner).post([this, owner, &origin, key = std::move(key), done = std::move(done)]() mutable {
    auto& keys = shards_[owner]->keys;
    auto it = keys.find(key);
    bool q = it == keys.end() || it->second->quiet();
    origin.post([done = std::move(done), q] { done(q); });
  });
}

void LocalStores::end_sessions(std::function<bool(std::uint64_t)> which) {
  for (unsigned i = 0; i < reactors_.size(); ++i)
    reactors_.at(i).post([this, i, which] {
      for (auto& [key, auth] : shards_[i]->keys) auth->end_sessions(which);
    });
}

}  // namespace cohort::store
