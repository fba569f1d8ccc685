// address_limits.hpp — how many connections one client address may hold, and open how fast.
//
// Owns: per client address (an AddressKey: IPv4 address or IPv6 /64), the count of its open
// connections and a TokenBucket of new connections (Config::ip_max_connections,
// ip_connections_per_s, ip_connection_burst; 0 = no limit). admit() answers a new connection:
// a ticket that holds one open slot until it is destroyed (it travels with the connection, from
// the accept through the HTTP session to the WebSocket), or the reason it is refused. A refused
// attempt takes nothing: no slot, no token.
// Memory: an entry lives while its address holds a connection or its bucket is refilling; prune()
// (the sweep, four times a second) drops the others, so the table holds at most the open
// connections' addresses plus those that connected within the last burst / rate seconds.
// Lock story: connections are admitted on reactor 0 (the acceptor) or on any reactor (an upgrade
// through a trusted proxy) and released on whichever reactor ends them, so one mutex guards the
// table. It is taken once per connection opened and once per connection closed, never per
// message: off the hot path.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "net/client_address.hpp"
#include "net/token_bucket.hpp"

namespace cohort::net {

class AddressLimits;

// One open connection's slot in AddressLimits. Move-only; empty when default-constructed (a
// connection nobody counts: from a trusted proxy before its upgrade, or with no limits set).
class AddressTicket {
 public:
  AddressTicket() = default;
  AddressTicket(AddressTicket&& other) noexcept
      : table_(std::exchange(other.table_, nullptr)), key_(other.key_) {}
  AddressTicket& operator=(AddressTicket&& other) noexcept {
    if (this != &other) {
      release();
      table_ = std::exchange(other.table_, nullptr);
      key_ = other.key_;
    }
    return *this;
  }
  AddressTicket(const AddressTicket&) = delete;
  AddressTicket& operator=(const AddressTicket&) = delete;
  ~AddressTicket() { release(); }

  explicit operator bool() const { return table_ != nullptr; }
  const AddressKey& key() const { return key_; }
  void release();

 private:
  friend class AddressLimits;
  AddressTicket(AddressLimits* table, const AddressKey& key) : table_(table), key_(key) {}
  AddressLimits* table_ = nullptr;
  AddressKey key_;
};

class AddressLimits {
 public:
  using Clock = std::chrono::steady_clock;
  struct Settings {
    std::uint32_t max_open = 0;     // 0 = no limit
    double per_second = 0;          // new connections a second; 0 = no limit
    double burst = 1;
  };
  enum class Verdict { admitted, too_many_open, too_fast };
  struct Admission {
    Verdict verdict = Verdict::admitted;
    AddressTicket ticket;  // set when admitted
  };

  explicit AddressLimits(Settings settings) : settings_(settings) {}
  AddressLimits(const AddressLimits&) = delete;
  AddressLimits& operator=(const AddressLimits&) = delete;

  bool limited() const { return settings_.max_open > 0 || settings_.per_second > 0; }

  // Any thread. A new connection from key at now.
  Admission admit(const AddressKey& key, Clock::time_point now);
  // Any thread. Drops entries of addresses that hold nothing and whose bucket is full again.
  void prune(Clock::time_point now);

  // For tests and metrics: the entries held, and the open connections counted for key.
  std::size_t size() const;
  std::uint32_t open(const AddressKey& key) const;

 private:
  friend class AddressTicket;
  struct Entry {
    std::uint32_t open = 0;
    TokenBucket bucket;
  };
  void release(const AddressKey& key);

  Settings settings_;
  mutable std::mutex mutex_;
  std::unordered_map<AddressKey, Entry, AddressKeyHash> entries_;  // guarded by mutex_
};

}  // namespace cohort::net
