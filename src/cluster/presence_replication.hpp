// presence_replication.hpp — Presence across nodes: deltas, digests, heartbeats, node down.
//
// Owns: the node's own presences as published (own_, topic → state, from the Tracker's local
// diffs), its presence sequence number, the other nodes' presences (RemotePresence), who is
// alive (Membership) and the heartbeat timer. All on the cluster reactor; local_diff() is the
// one any-thread entry (it posts).
// Protocol (docs/cluster.md): every local presence_diff is published as a delta with the next
// sequence number; every heartbeat_ms a heartbeat carries the current sequence; every
// kDigestEvery heartbeats, on a hello, on a sync addressed to us and after our links come back,
// a digest carries all our presences. A receiver applies deltas in order; a gap (or a
// heartbeat ahead of what it applied) makes it send a sync, and the digest heals the view. A
// node silent for down_after is declared down: its presences leave on every reactor replica
// and as a presence_diff to local subscribers.
// Failure: while our subscriber link is down we hear nobody: nobody is declared down, and when
// it is back every silence restarts (Membership::refresh_all) and we say hello so the others
// send their digests. Deltas that could not be published are counted and healed by the digest
// sent when the command link is back.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <unordered_map>

#include "cluster/cluster_counters.hpp"
#include "cluster/cluster_wire.hpp"
#include "cluster/membership.hpp"
#include "cluster/outbox.hpp"
#include "cluster/redis_link.hpp"
#include "cluster/remote_presence.hpp"
#include "net/reactor.hpp"
#include "presence/tracker.hpp"

namespace cohort::cluster {

class PresenceReplication {
 public:
  static constexpr unsigned kDigestEvery = 10;  // heartbeats between periodic digests

  PresenceReplication(net::Reactor& reactor, Outbox& outbox, presence::Tracker& tracker,
                      std::uint32_t node_id, std::string control_channel, std::chrono::milliseconds heartbeat,
                      std::chrono::milliseconds down_after, ClusterCounters& counters);

  // Any thread: a presence_diff this node's Tracker just published for topic.
  void local_diff(const std::string& topic, std::shared_ptr<const JsonObject> diff);

  // Cluster reactor only.
  void start();                                 // heartbeat timer
  void stop();
  // A message on the control channel from node sender (its seal checked), without its seal.
  void on_control(std::uint32_t sender, std::string_view payload);
  void links_up();                              // both links connected (again)
  void subscriber_down() { hearing_ = false; }  // we hear nobody until links_up()
  // Publishes bye; handler gets the reply (or lost).
  void say_bye(RedisLink::ReplyHandler done);
  // Called with every node declared down or saying bye (after its presences left).
  void on_node_gone(std::function<void(std::uint32_t)> fn) { on_node_gone_ = std::move(fn); }
  // The other nodes alive now (heard from within down_after).
  std::vector<std::uint32_t> members() const { return members_.nodes(); }

 private:
  void beat();
  void send(const ControlMessage& m);
  void send_digest();
  void request_sync(std::uint32_t node);
  void apply(std::vector<TopicDiff> diffs);
  void node_gone(std::uint32_t node);
  ControlMessage message(ControlKind kind) const;

  net::Reactor& reactor_;
  Outbox& outbox_;
  presence::Tracker& tracker_;
  std::uint32_t node_id_;
  std::string channel_;
  std::chrono::milliseconds heartbeat_;
  ClusterCounters& counters_;
  boost::asio::steady_timer timer_;
  Membership members_;
  RemotePresence remote_;
  std::unordered_map<std::string, JsonObject> own_;  // what we published: topic → state
  std::uint64_t seq_ = 0;
  unsigned beats_ = 0;
  bool hearing_ = false;
  std::unordered_map<std::uint32_t, Membership::TimePoint> sync_asked_;
  std::function<void(std::uint32_t)> on_node_gone_;  // rate limit: one per heartbeat
};

}  // namespace cohort::cluster
