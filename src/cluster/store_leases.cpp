// store_leases.cpp — store key leases and fencing tokens in Redis: see store_leases.hpp.
#include "cluster/store_leases.hpp"

#include <charconv>

namespace cohort::cluster {

namespace {

// KEYS[1] lease, KEYS[2] the lease counter; ARGV[1] node id, ARGV[2] lease ms. Returns the
// lease's value "<node>:<serial>" (the serial tells one holding of a lease from another).
constexpr std::string_view kAcquire =
    "local v = redis.call('GET', KEYS[1]) "
    "if v then return v end "
    "local t = redis.call('INCR', KEYS[2]) "
    "v = ARGV[1] .. ':' .. t "
    "redis.call('SET', KEYS[1], v, 'PX', ARGV[2]) "
    "return v";
// KEYS[1] lease; ARGV[1] our value, ARGV[2] lease ms. 1 when extended, 0 when not ours.
constexpr std::string_view kRenew =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
    "return 0";
// KEYS[1] lease; ARGV[1] our value. Deletes it only if it is still ours.
constexpr std::string_view kRelease =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
    "return 0";

template <class T>
bool parse(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

JsonObject unavailable(std::string detail) { return {{"reason", "unavailable"}, {"detail", std::move(detail)}}; }

}  // namespace

StoreLeases::StoreLeases(net::Reactor& reactor, RedisLink& link, Storage* storage, std::uint32_t node_id,
                         std::string prefix, std::chrono::milliseconds lease, std::chrono::milliseconds idle_release)
    : reactor_(reactor), link_(link), storage_(storage), node_id_(node_id), prefix_(std::move(prefix)),
      lease_(lease), idle_release_(idle_release), timer_(reactor.context()) {}

void StoreLeases::start() {
  running_ = true;
  renew_all();
}

void StoreLeases::stop() {
  running_ = false;
  timer_.cancel();
}

std::size_t StoreLeases::owned() const {
  std::size_t n = 0;
  for (const auto& [key, e] : keys_) n += e.state == State::mine;
  return n;
}

bool StoreLeases::owns(const std::string& key) const {
  auto it = keys_.find(key);
  return it != keys_.end() && it->second.state == State::mine && Clock::now() < it->second.valid_until;
}

bool StoreLeases::known(const std::string& key) const {
  auto it = keys_.find(key);
  return it != keys_.end() && it->second.state != State::unknown;
}

void StoreLeases::touch(const std::string& key) {
  if (auto it = keys_.find(key); it != keys_.end()) it->second.last_used = Clock::now();
}

void StoreLeases::resolve(const std::string& key, std::function<void(KeyOwner)> done) {
  Entry& e = keys_[key];
  e.last_used = Clock::now();
  if (e.state == State::mine && Clock::now() >= e.valid_until) lose(key);
  switch (e.state) {
    case State::mine:
      return done(KeyOwner{KeyOwner::Kind::mine, node_id_, {}});
    case State::theirs:
      return done(KeyOwner{KeyOwner::Kind::theirs, e.node, {}});
    case State::acquiring:
      e.waiters.push_back(std::move(done));
      return;
    case State::unknown:
      e.waiters.push_back(std::move(done));
      acquire(key);
      return;
  }
}

void StoreLeases::acquire(const std::string& key) {
  keys_[key].state = State::acquiring;
  auto sent = Clock::now();
  std::string id = std::to_string(node_id_), ms = std::to_string(lease_.count());
  std::string serials = prefix_ + "lease_serial";
  bool queued = link_.command({"EVAL", kAcquire, "2", lease_key(key), serials, id, ms},
                              [this, key, sent](const RedisValue& reply) { acquired(key, reply, sent); });
  if (!queued)
    settle(key, KeyOwner{KeyOwner::Kind::error, 0, unavailable("the cluster's Redis is unreachable: " + key +
                                                               " has no owner that can order this write")});
}

void StoreLeases::acquired(const std::string& key, const RedisValue& reply, Clock::time_point sent) {
  std::uint32_t node = 0;
  std::uint64_t token = 0;
  std::string_view v = reply.str;
  auto colon = v.find(':');
  if (reply.kind != RedisValue::Kind::string || colon == std::string_view::npos || !parse(v.substr(0, colon), node) ||
      !parse(v.substr(colon + 1), token))
    return settle(key, KeyOwner{KeyOwner::Kind::error, 0,
                                unavailable(reply.kind == RedisValue::Kind::lost ? "the cluster's Redis went away"
                                                                                 : "bad lease reply: " + reply.str)});
  if (node != node_id_) {
    Entry& e = keys_[key];
    e.state = State::theirs;
    e.node = node;
    return settle(key, KeyOwner{KeyOwner::Kind::theirs, node, {}});
  }
  // Ours (new, or still ours from before): take the storage fence before anything is loaded or
  // written, so that whoever held the key before can write no more.
  if (!storage_) return fenced(key, token, sent, std::nullopt);
  storage_->take_fence(key, [this, key, token, sent](std::optional<std::string> error) {
    reactor_.post([this, key, token, sent, error = std::move(error)] { fenced(key, token, sent, error); });
  });
}

void StoreLeases::fenced(const std::string& key, std::uint64_t token, Clock::time_point sent,
                         std::optional<std::string> error) {
  Entry& e = keys_[key];
  if (error) {
    link_.command({"EVAL", kRelease, "1", lease_key(key), lease_value(token)});
    e.state = State::unknown;
    return settle(key, KeyOwner{KeyOwner::Kind::error, 0, {{"reason", "storage_error"}, {"detail", *error}}});
  }
  if (on_won_) on_won_(key);
  e.state = State::mine;
  e.node = node_id_;
  e.token = token;
  e.valid_until = valid_from(sent);
  settle(key, KeyOwner{KeyOwner::Kind::mine, node_id_, {}});
}

void StoreLeases::settle(const std::string& key, KeyOwner owner) {
  Entry& e = keys_[key];
  if (owner.kind == KeyOwner::Kind::error) e.state = State::unknown;
  auto waiters = std::move(e.waiters);
  e.waiters.clear();
  for (auto& w : waiters) w(owner);
}

void StoreLeases::lose(const std::string& key) {
  Entry& e = keys_[key];
  e.state = State::unknown;
  if (on_lost_) on_lost_(key);
}

void StoreLeases::fenced_out(const std::string& key) {
  if (auto it = keys_.find(key); it != keys_.end() && it->second.state == State::mine) lose(key);
}

void StoreLeases::forget(const std::string& key) {
  auto it = keys_.find(key);
  if (it != keys_.end() && it->second.state == State::theirs) it->second.state = State::unknown;
}

void StoreLeases::forget_node(std::uint32_t node) {
  for (auto& [key, e] : keys_)
    if (e.state == State::theirs && e.node == node) e.state = State::unknown;
}

void StoreLeases::release_all() {
  for (auto& [key, e] : keys_) {
    if (e.state != State::mine) continue;
    link_.command({"EVAL", kRelease, "1", lease_key(key), lease_value(e.token)});
    lose(key);
  }
}

void StoreLeases::unloaded(const std::string& key, Clock::time_point unloaded) {
  auto it = keys_.find(key);
  if (it == keys_.end()) return;
  Entry& e = it->second;
  if (e.state != State::mine || e.asking || e.last_used > unloaded) return;
  link_.command({"EVAL", kRelease, "1", lease_key(key), lease_value(e.token)});
  lose(key);
  if (it->second.waiters.empty()) keys_.erase(it);
}

void StoreLeases::release_if_idle(const std::string& key, Entry& e, Clock::time_point now) {
  if (e.asking || !can_release_) return;
  e.asking = true;
  can_release_(key, [this, key, token = e.token, asked = now](bool quiet) {
    auto it = keys_.find(key);
    if (it == keys_.end()) return;
    Entry& entry = it->second;
    entry.asking = false;
    // Still ours, the same holding, and not used while we asked: give it up.
    if (!quiet || entry.state != State::mine || entry.token != token || entry.last_used > asked - idle_release_) return;
    link_.command({"EVAL", kRelease, "1", lease_key(key), lease_value(token)});
    lose(key);
  });
}

void StoreLeases::renew_all() {
  if (!running_) return;
  auto now = Clock::now();
  for (auto it = keys_.begin(); it != keys_.end();) {
    auto& [key, e] = *it;
    bool stale = now - e.last_used > idle_release_;
    if (e.state == State::mine) {
      if (now >= e.valid_until) lose(key);
      else renew(key, e, now);
      if (e.state == State::mine && stale) release_if_idle(key, e, now);
    } else if (e.state != State::acquiring && stale && e.waiters.empty() && !e.asking) {
      it = keys_.erase(it);  // what we knew of a key nobody here used for long
      continue;
    }
    ++it;
  }
  timer_.expires_after(lease_ / 3);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) renew_all();
  });
}

void StoreLeases::renew(const std::string& key, const Entry& e, Clock::time_point now) {
  link_.command({"EVAL", kRenew, "1", lease_key(key), lease_value(e.token), std::to_string(lease_.count())},
                [this, key, token = e.token, sent = now](const RedisValue& reply) {
                  auto it = keys_.find(key);
                  if (it == keys_.end() || it->second.state != State::mine || it->second.token != token) return;
                  if (reply.kind == RedisValue::Kind::integer && reply.integer == 1) {
                    it->second.valid_until = std::max(it->second.valid_until, valid_from(sent));
                    if (on_renewed_) on_renewed_();
                  } else if (reply.kind == RedisValue::Kind::integer) {
                    lose(key);  // expired and maybe granted to another node: not ours
                  }
                  // lost / error: Redis unreachable; the lease lapses at valid_until
                });
}

}  // namespace cohort::cluster
