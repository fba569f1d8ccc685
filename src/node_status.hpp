// node_status.hpp — the node's status for its operator: what /admin/status answers, what the
// admin dashboard shows, and what this node tells the other nodes of its cluster about itself.
//
// Owns: a sample of the node taken once a second on reactor 0 (the status reactor), the last
// status heard from every other node of the cluster, and the /admin/status body built from both.
// A sample gathers, without a lock on any hot path:
//   - atomics read from reactor 0: connections, WebSockets, LongPoll sessions, messages in and
//     frames out, slow-consumer closes, stores in memory, the live layer's sections;
//   - per-reactor state read by posting one handler to each reactor, which fills its own slot
//     of the round (topic figures of its TopicTable, its store shard's keys with their locks,
//     its slow consumers, and on reactor 0 the presence replica's largest topics); the last
//     reactor to finish posts the round back to reactor 0;
//   - on reactor 0 itself: the cluster's links and members, the storage's status.
// Every list is bounded (kTop topics, presences and keys; locks per key), so a sample is a few
// kilobytes whatever the node holds. Rates (messages per second, per topic) are differences
// between this sample and the one before.
// Cluster: each sample is broadcast on net::kNodeStatusTopic (a topic clients cannot join or
// publish to, server_topics.hpp), which the cluster carries to every node; this object
// subscribes to it on reactor 0 and keeps the latest sample of every other node, forgetting a
// node not heard from for kForgetAfter.
// Threads: construct and add_section on the configuring thread; start() once the reactors run;
// body() from any thread (it copies a shared pointer under a mutex taken once a second by the
// writer); everything else runs on reactor 0. Destroy before the reactors are destroyed, after
// they stopped (its timer belongs to reactor 0's io_context).
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cohort/config.hpp"
#include "cohort/pubsub.hpp"
#include "cohort/storage.hpp"
#include "net/net_context.hpp"
#include "net/reactor.hpp"
#include "net/ws_connection.hpp"
#include "pubsub/topic_table.hpp"
#include "store/local_stores.hpp"

namespace cohort {

class NodeCluster;
namespace pubsub {
class LocalPubSub;
}
namespace presence {
class Tracker;
}

class NodeStatus final : public Subscriber {
 public:
  static constexpr std::chrono::seconds kEvery{1};
  static constexpr std::chrono::seconds kForgetAfter{5};
  static constexpr std::size_t kTop = 10;           // entries of each list
  static constexpr std::size_t kTopPerReactor = 32;  // topics each reactor offers per ranking
  static constexpr std::size_t kLocksPerKey = 8;

  struct Parts {
    const Config& config;
    net::NetContext& net;
    net::ReactorSet& reactors;
    pubsub::LocalPubSub& pubsub;
    presence::Tracker& presence;
    store::LocalStores& stores;
    NodeCluster& cluster;
  };
  explicit NodeStatus(Parts parts);
  ~NodeStatus() override;

  // Before start(): a section of the status named name, whose value fn gives (any thread: it
  // must only read atomics or immutable data). The live layer adds "live" (views per page).
  void add_section(std::string name, std::function<Json()> fn);
  // Once the reactors run: the first sample now, then one every kEvery.
  void start(Storage* storage, std::uint16_t port);
  // Any thread: the /admin/status body (JSON): this node's latest sample, with "peers" the
  // latest of every other node heard from.
  std::shared_ptr<const std::string> body() const;
  // This node's name in its samples: "<host>:<port>". Set by start() (empty before); read
  // afterwards from any thread.
  const std::string& name() const { return name_; }

  // Reactor 0: another node's sample.
  void on_broadcast(const Broadcast& message) override;

 private:
  struct ReactorSample {
    std::vector<pubsub::TopicFigures> topics;
    std::vector<store::KeyFigures> keys;
    net::WsRegistry::Slow slow;
    std::vector<std::pair<std::string, std::size_t>> presence;  // reactor 0 only
  };
  struct Round;
  struct Peer {
    Json sample;
    std::chrono::steady_clock::time_point heard;
  };

  void tick();
  ReactorSample gather_here(unsigned reactor) const;
  void finish(const Round& round);
  JsonObject sample(const Round& round, double seconds);
  Json topics_json(const Round& round, double seconds);
  Json keys_json(const Round& round) const;
  void publish(JsonObject sample);

  Parts parts_;
  Storage* storage_ = nullptr;
  std::string name_;
  std::vector<std::pair<std::string, std::function<Json()>>> sections_;
  std::unique_ptr<boost::asio::steady_timer> timer_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_at_{};
  std::int64_t started_unix_ = 0;
  // Reactor 0 only: the previous sample's counters, for rates.
  std::uint64_t last_in_ = 0, last_out_ = 0;
  std::unordered_map<std::string, std::uint64_t> last_delivered_;
  std::map<std::string, Peer> peers_;  // by node name
  mutable std::mutex body_mutex_;
  std::shared_ptr<const std::string> body_;
};

}  // namespace cohort
