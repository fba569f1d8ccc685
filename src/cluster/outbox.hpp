// outbox.hpp — every message this node sends the others: sealed, then PUBLISHed on the node's
// one command link.
//
// Owns: the node's Sealer (cluster_seal.hpp), so that every PUBLISH a node makes — broadcasts,
// presence and membership, store calls and their answers — carries the cluster's signature and
// a stamp taken in the order the messages leave (one link keeps Redis's order, so receivers see
// each sender's stamps rise). Nothing is PUBLISHed to the cluster any other way.
// Threads: owner-thread-only (the cluster reactor), like the link it writes to.
// Failure: as RedisLink::command — false when the link is down or backed up (the message is
// not sent and its stamp is skipped: receivers accept gaps, never a stamp going back).
#pragma once

#include <string>
#include <string_view>

#include "cluster/cluster_seal.hpp"
#include "cluster/redis_link.hpp"

namespace cohort::cluster {

class Outbox {
 public:
  Outbox(RedisLink& link, const ClusterKey& key, std::uint32_t node) : link_(link), sealer_(key, node) {}

  bool connected() const { return link_.connected(); }
  // PUBLISHes body on channel, sealed (one copy of body into the sealed message).
  bool publish(std::string_view channel, std::string_view body, RedisLink::ReplyHandler handler = {});
  // PUBLISHes a message made by unsealed_message() with its body appended, sealed in place (no
  // copy: for broadcasts, whose payloads may be large).
  bool publish_prepared(std::string_view channel, std::string& message, RedisLink::ReplyHandler handler = {});

 private:
  RedisLink& link_;
  Sealer sealer_;
};

}  // namespace cohort::cluster
