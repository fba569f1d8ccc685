// store_leases.hpp — which node owns each store key: a lease in Redis with a fencing token.
//
// Owns: what this node knows of the keys it was asked about — mine (token, and the instant
// until which the lease is surely still ours), another node's (its id), or being acquired
// (with the callers waiting) — and the renewal timer. Cluster reactor only.
// Redis (keys under the cluster prefix):
//   lease:<key>   "<node>:<serial>", PX lease — the owner; written only when absent
//   lease_serial  INCR'd once per acquisition (tells one holding of a lease from the next)
// Acquire is one script (GET; if absent INCR the serial and SET the lease), so two nodes
// racing for a key get one answer. Renewal (every lease/3) is a script that extends the lease
// only if it still holds our value.
// Safety: a lease counts as ours only until sent + lease - lease/10, `sent` being when the
// acquire or renewal left this node (Redis started its PX later), so this node stops using a
// lease before Redis can grant it to anyone else. And before a key counts as ours, its
// storage fence is taken (Storage::take_fence: a token from the database, higher than any
// before): from then on the previous owner's writes are refused even if it has not noticed
// yet (paused, partitioned, or Redis restarted and forgot the lease). A key whose lease lapsed
// or was lost is handed to on_lost (the caller drops its cached state) and acquired afresh at
// its next use; a key just acquired is handed to on_won first (drop anything cached: the
// state is loaded from storage after the fence).
// Failure: while Redis is unreachable no key can be acquired: resolve() answers an error, and
// keys already ours stay usable until their lease lapses, then are lost.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cluster/redis_link.hpp"
#include "cohort/json.hpp"
#include "cohort/storage.hpp"
#include "net/reactor.hpp"

namespace cohort::cluster {

struct KeyOwner {
  enum class Kind { mine, theirs, error } kind = Kind::error;
  std::uint32_t node = 0;  // theirs
  JsonObject error;        // error: {"reason": "unavailable" | "storage_error", "detail": ...}
};

class StoreLeases {
 public:
  using Clock = std::chrono::steady_clock;
  using KeyFn = std::function<void(const std::string& key)>;

  StoreLeases(net::Reactor& reactor, RedisLink& link, Storage* storage, std::uint32_t node_id, std::string prefix,
              std::chrono::milliseconds lease, std::chrono::milliseconds idle_release);

  void on_won(KeyFn fn) { on_won_ = std::move(fn); }
  void on_lost(KeyFn fn) { on_lost_ = std::move(fn); }
  void on_renewed(std::function<void()> fn) { on_renewed_ = std::move(fn); }
  // Asked before an idle key is given up: answer true when nothing about it lives only in this
  // node's memory (no locks, nothing queued or uncommitted).
  void can_release(std::function<void(const std::string& key, std::function<void(bool)> answer)> fn) {
    can_release_ = std::move(fn);
  }
  void start();
  void stop();

  // Who owns key now; acquires it when nobody does. `done` runs on the cluster reactor, maybe
  // inline.
  void resolve(const std::string& key, std::function<void(KeyOwner)> done);
  // Whether key is ours with a lease that is surely valid now. A key ours and used (resolved, or
  // touched for another node's call) within idle_release is kept; one unused longer, and quiet,
  // is given up at a renewal tick, so a node renews only the keys in use.
  bool owns(const std::string& key) const;
  // Whether this node knows key's owner (itself or another node), or is acquiring it.
  bool known(const std::string& key) const;
  void touch(const std::string& key);
  // What we believed about key is wrong (its supposed owner said it moved): ask Redis next time.
  void forget(const std::string& key);
  // A write for key was refused by its fence: another node holds it now, whatever our lease says.
  void fenced_out(const std::string& key);
  // node is dead or unanswering: forget every key we believed it owns.
  void forget_node(std::uint32_t node);
  // Gives up every key we own (a clean shutdown), so other nodes need not wait for expiry.
  void release_all();
  // This node unloaded key (it was idle, or made room for another): gives up its lease, unless
  // the key was resolved or touched after `unloaded` (a call on its way to it), and forgets it.
  void unloaded(const std::string& key, Clock::time_point unloaded);

  std::size_t owned() const;

 private:
  enum class State { unknown, acquiring, mine, theirs };
  struct Entry {
    State state = State::unknown;
    std::uint32_t node = 0;
    std::uint64_t token = 0;  // the lease's serial
    Clock::time_point valid_until{};
    Clock::time_point last_used{};
    bool asking = false;  // can_release is being asked
    std::vector<std::function<void(KeyOwner)>> waiters;
  };

  void acquire(const std::string& key);
  void acquired(const std::string& key, const RedisValue& reply, Clock::time_point sent);
  void fenced(const std::string& key, std::uint64_t token, Clock::time_point sent, std::optional<std::string> error);
  void settle(const std::string& key, KeyOwner owner);
  void lose(const std::string& key);
  void renew_all();
  void renew(const std::string& key, const Entry& e, Clock::time_point now);
  void release_if_idle(const std::string& key, Entry& e, Clock::time_point now);
  std::string lease_key(const std::string& key) const { return prefix_ + "lease:" + key; }
  std::string lease_value(std::uint64_t token) const { return std::to_string(node_id_) + ":" + std::to_string(token); }
  Clock::time_point valid_from(Clock::time_point sent) const { return sent + lease_ - lease_ / 10; }

  net::Reactor& reactor_;
  RedisLink& link_;
  Storage* storage_;
  std::uint32_t node_id_;
  std::string prefix_;
  std::chrono::milliseconds lease_;
  std::chrono::milliseconds idle_release_;
  boost::asio::steady_timer timer_;
  bool running_ = false;
  std::unordered_map<std::string, Entry> keys_;
  KeyFn on_won_, on_lost_;
  std::function<void()> on_renewed_;
  std::function<void(const std::string&, std::function<void(bool)>)> can_release_;
};

}  // namespace cohort::cluster
