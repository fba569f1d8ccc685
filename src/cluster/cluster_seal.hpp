// cluster_seal.hpp — the signature on every message one node sends another through Redis.
//
// Owns: the cluster key, derived from the node secret every node of a cluster shares
// (HMAC-SHA256(secret, "cohort cluster v1"): tokens and the cluster never use the same key),
// and the seal — a head of fixed size in front of every message a node PUBLISHes:
//     "S1 " <tag: 43 base64url> " " <sender node: 8 hex> " " <stamp: 16 hex> "\n" <body>
//     tag = HMAC-SHA256(key, <channel length: 8 hex> <channel> <the head from the node on> <body>)
// The channel is signed, so a message cannot be moved to another topic, node inbox or cluster
// prefix. The stamp is (sender's wall clock in ms << 20) + a counter, strictly increasing per
// sender: a receiver keeps the highest stamp it accepted from each node and drops any message
// that is not above it (a replay), and the first message it hears from a node must be at most
// kFreshness old (a receiver that just started cannot be fed old captures). What this covers
// and what it does not: docs/cluster.md "Trust".
// Never: accepts a message whose tag it did not recompute and compare in constant time; parses
// a body before its seal is checked; prints a key.
// Threads: Sealer and SealCheck are owner-thread-only (each holds an OpenSSL MAC context and
// its counters; the cluster reactor in a node); the free functions are pure, any thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace cohort::cluster {

using ClusterKey = std::array<unsigned char, 32>;

// HMAC-SHA256(secret, "cohort cluster v1").
ClusterKey derive_cluster_key(std::string_view secret);

inline constexpr std::size_t kSealBytes = 73;  // "S1 " + 43 + " " + 8 + " " + 16 + "\n"

// A message with room for its seal: kSealBytes placeholder bytes, then append the body.
std::string unsealed_message(std::size_t body_bytes_hint = 0);

class Mac;  // an OpenSSL HMAC context keyed once (cluster_seal.cpp)

class Sealer {
 public:
  Sealer(const ClusterKey& key, std::uint32_t node);
  ~Sealer();
  Sealer(const Sealer&) = delete;
  Sealer& operator=(const Sealer&) = delete;

  // Fills the seal of message (made by unsealed_message(), body appended) for channel, with the
  // next stamp. now_ms: the wall clock (Unix ms).
  void seal(std::string_view channel, std::string& message, std::uint64_t now_ms);
  std::uint64_t last_stamp() const { return stamp_; }

 private:
  std::unique_ptr<Mac> mac_;
  std::uint32_t node_;
  std::uint64_t stamp_ = 0;
};

enum class SealVerdict {
  accepted,  // signed with the cluster key, on this channel, and newer than anything before
  own,       // says it comes from this node: dropped unchecked (a node skips its own echo)
  unsigned_message,  // no seal head: an old node, or a client of Redis writing by hand
  bad_tag,   // a seal head whose tag is wrong: another secret, a forgery, or altered bytes
  replayed,  // correctly signed, but not newer than the sender's last accepted message
  stale,     // correctly signed, first from its sender, older than kFreshness
};
std::string_view verdict_name(SealVerdict verdict);

struct Opened {
  SealVerdict verdict = SealVerdict::unsigned_message;
  std::uint32_t node = 0;  // the sender (set from accepted on; own too)
  std::string_view body;   // accepted: the message without its seal
};

class SealCheck {
 public:
  // A receiver that has never heard a node accepts its first message only if it is at most this
  // old: far more than any delivery delay, well under the time a capture is worth replaying.
  // The clocks of a cluster's nodes must agree to within it (docs/cluster.md).
  static constexpr std::chrono::milliseconds kFreshness{60'000};

  SealCheck(const ClusterKey& key, std::uint32_t own_node);
  ~SealCheck();
  SealCheck(const SealCheck&) = delete;
  SealCheck& operator=(const SealCheck&) = delete;

  // Checks message as received on channel at now_ms (Unix ms). body views message.
  Opened open(std::string_view channel, std::string_view message, std::uint64_t now_ms);

 private:
  std::unique_ptr<Mac> mac_;
  std::uint32_t own_;
  // sender → highest stamp accepted. Kept after a node leaves (a few bytes per node that ever
  // ran), so its old messages stay refused; only signed messages make an entry.
  std::unordered_map<std::uint32_t, std::uint64_t> last_;
};

// The wall clock as seals use it.
std::uint64_t unix_ms();

}  // namespace cohort::cluster
