// node_status.cpp — the node's status, sampled once a second: see node_status.hpp.
#include "node_status.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json/serialize.hpp>
#include <ctime>

#include "net/server_topics.hpp"
#include "net/ws_connection.hpp"
#include "node_cluster.hpp"
#include "presence/tracker.hpp"
#include "pubsub/local_pubsub.hpp"

#ifndef COHORT_VERSION
#define COHORT_VERSION "unknown"
#endif

namespace cohort {

namespace {

std::uint64_t load(const std::atomic<std::uint64_t>& v) { return v.load(std::memory_order_relaxed); }

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "localhost";
  return buf;
}

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double per_second(std::uint64_t now, std::uint64_t before, double seconds) {
  if (seconds <= 0) return 0;
  const std::uint64_t d = now >= before ? now - before : now;  // a counter that started over
  return static_cast<double>(d) / seconds;
}

// One topic over every reactor: subscribers add up; each reactor with subscribers sees every
// message of the topic, so the messages are the most any reactor saw.
struct TopicTotal {
  std::size_t subscribers = 0;
  std::uint64_t delivered = 0;
  double per_s = 0;
};

}  // namespace

struct NodeStatus::Round {
  explicit Round(unsigned n) : reactors(n), left(n) {}
  std::vector<ReactorSample> reactors;  // slot i written by reactor i only
  std::atomic<unsigned> left;
};

NodeStatus::NodeStatus(Parts parts) : parts_(parts) {}
NodeStatus::~NodeStatus() = default;

void NodeStatus::add_section(std::string name, std::function<Json()> fn) {
  sections_.emplace_back(std::move(name), std::move(fn));
}

void NodeStatus::start(Storage* storage, std::uint16_t port) {
  storage_ = storage;
  name_ = host_name() + ":" + std::to_string(port);
  started_ = std::chrono::steady_clock::now();
  started_unix_ = static_cast<std::int64_t>(std::time(nullptr));
  net::Reactor& home = parts_.reactors.at(0);
  timer_ = std::make_unique<boost::asio::steady_timer>(home.context());
  home.post([this] {
    parts_.pubsub.subscribe(net::kNodeStatusTopic, this);
    tick();
  });
}

std::shared_ptr<const std::string> NodeStatus::body() const {
  std::lock_guard lock(body_mutex_);
  return body_;
}

void NodeStatus::on_broadcast(const Broadcast& message) {
  if (message.event != "status" || !message.payload.is_object()) return;
  const Json* node = message.payload.get_object().if_contains("node");
  const Json* name = node && node->is_object() ? node->get_object().if_contains("name") : nullptr;
  if (!name || !name->is_string() || name->get_string() == name_) return;
  peers_[std::string(name->get_string())] = Peer{message.payload, std::chrono::steady_clock::now()};
}

// ---------------------------------------------------------------- one round (reactor 0)

void NodeStatus::tick() {
  const unsigned n = parts_.reactors.size();
  auto round = std::make_shared<Round>(n);
  for (unsigned i = 0; i < n; ++i)
    parts_.reactors.at(i).post([this, round, i] {
      round->reactors[i] = gather_here(i);
      if (round->left.fetch_sub(1, std::memory_order_acq_rel) == 1)
        parts_.reactors.at(0).post([this, round] { finish(*round); });
    });
  timer_->expires_after(kEvery);
  timer_->async_wait([this](boost::system::error_code ec) {
    if (!ec) tick();
  });
}

NodeStatus::ReactorSample NodeStatus::gather_here(unsigned reactor) const {
  ReactorSample s;
  parts_.pubsub.local_figures(kTopPerReactor, "store:", s.topics);
  s.keys = parts_.stores.local_keys();
  if (reactor < parts_.net.registries.size())
    s.slow = parts_.net.registries[reactor]->slow(parts_.config.outbound_queue_limit / 2);
  if (reactor == 0) s.presence = parts_.presence.largest_topics(kTop);
  return s;
}

void NodeStatus::finish(const Round& round) {
  const auto now = std::chrono::steady_clock::now();
  const double seconds =
      last_at_ == std::chrono::steady_clock::time_point{} ? 0 : std::chrono::duration<double>(now - last_at_).count();
  last_at_ = now;
  JsonObject mine = sample(round, seconds);
  std::erase_if(peers_, [&](const auto& p) { return now - p.second.heard > kForgetAfter; });
  JsonObject body = mine;
  json::array peers;
  for (const auto& [name, peer] : peers_) peers.push_back(peer.sample);
  body["peers"] = std::move(peers);
  auto text = std::make_shared<const std::string>(json::serialize(body));
  {
    std::lock_guard lock(body_mutex_);
    body_ = std::move(text);
  }
  publish(std::move(mine));
}

void NodeStatus::publish(JsonObject sample) {
  // Skips this subscriber (its own sample is `mine`); reaches the dashboards here and, through
  // the cluster, every other node.
  parts_.pubsub.broadcast_from(this, net::kNodeStatusTopic, "status", std::move(sample));
}

JsonObject NodeStatus::sample(const Round& round, double seconds) {
  const auto& m = parts_.net.metrics;
  const std::uint64_t in = m.sum(&net::HotCounters::messages_in);
  const std::uint64_t out = m.sum(&net::HotCounters::frames_out);
  const double uptime = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  JsonObject s;
  s["node"] = JsonObject{{"name", name_},
                         {"id", parts_.cluster.node_id().value_or(0)},
                         {"version", COHORT_VERSION},
                         {"started_at", started_unix_},
                         {"uptime_s", uptime},
                         {"at_ms", unix_ms()}};
  s["connections"] = JsonObject{{"open", load(m.connections_open)},
                                {"websockets", load(m.websockets_open)},
                                {"longpoll_sessions", load(m.long_poll.sessions_open)}};
  s["messages"] = JsonObject{{"in", in},
                             {"out", out},
                             {"in_per_s", per_second(in, last_in_, seconds)},
                             {"out_per_s", per_second(out, last_out_, seconds)}};
  last_in_ = in;
  last_out_ = out;
  s["topics"] = topics_json(round, seconds);
  json::array presence;
  for (const auto& [topic, keys] : round.reactors[0].presence) presence.push_back(JsonObject{{"topic", topic}, {"keys", keys}});
  s["presence"] = std::move(presence);
  s["store"] = keys_json(round);
  std::size_t slow = 0, max_queued = 0;
  for (const auto& r : round.reactors) {
    slow += r.slow.count;
    max_queued = std::max(max_queued, r.slow.max_queued);
  }
  s["slow_consumers"] = JsonObject{{"now", slow},
                                   {"max_queued_bytes", max_queued},
                                   {"over_bytes", parts_.config.outbound_queue_limit / 2},
                                   {"closes", load(m.slow_consumer_closes)}};
  StorageStatus st = storage_ ? storage_->status() : StorageStatus{};
  s["storage"] = JsonObject{{"kind", st.kind.empty() ? std::string(parts_.config.storage.empty() ? "sqlite" : "other")
                                                      : st.kind},
                            {"queued", st.queued},
                            {"last_error", st.last_error}};
  s["cluster"] = parts_.cluster.status();
  for (const auto& [name, fn] : sections_) s[name] = fn();
  return s;
}

Json NodeStatus::topics_json(const Round& round, double seconds) {
  std::unordered_map<std::string, TopicTotal> totals;
  for (const auto& r : round.reactors)
    for (const auto& t : r.topics) {
      if (net::server_topic(t.topic)) continue;  // the node's own, this status among them
      auto& total = totals[t.topic];
      total.subscribers += t.subscribers;
      total.delivered = std::max(total.delivered, t.delivered);
    }
  std::unordered_map<std::string, std::uint64_t> delivered;
  std::vector<std::pair<const std::string*, const TopicTotal*>> all;
  for (auto& [topic, total] : totals) {
    auto before = last_delivered_.find(topic);
    total.per_s = before == last_delivered_.end() ? 0 : per_second(total.delivered, before->second, seconds);
    delivered[topic] = total.delivered;
    all.emplace_back(&topic, &total);
  }
  last_delivered_ = std::move(delivered);
  auto list = [&](auto more) {
    const std::size_t n = std::min(kTop, all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), more);
    json::array out;
    for (std::size_t i = 0; i < n; ++i)
      out.push_back(JsonObject{{"topic", *all[i].first},
                               {"subscribers", all[i].second->subscribers},
                               {"messages", all[i].second->delivered},
                               {"per_s", all[i].second->per_s}});
    return out;
  };
  JsonObject topics;
  topics["by_subscribers"] = list([](const auto& a, const auto& b) {
    return a.second->subscribers > b.second->subscribers ||
           (a.second->subscribers == b.second->subscribers && *a.first < *b.first);
  });
  topics["by_rate"] = list([](const auto& a, const auto& b) {
    return a.second->per_s > b.second->per_s || (a.second->per_s == b.second->per_s && *a.first < *b.first);
  });
  return topics;
}

Json NodeStatus::keys_json(const Round& round) const {
  std::unordered_map<std::string_view, std::size_t> followers;
  for (const auto& r : round.reactors)
    for (const auto& t : r.topics)
      if (t.topic.starts_with("store:")) followers[std::string_view(t.topic).substr(6)] += t.subscribers;
  std::vector<std::pair<const store::KeyFigures*, std::size_t>> keys;
  for (const auto& r : round.reactors)
    for (const auto& k : r.keys) {
      auto f = followers.find(k.key);
      keys.emplace_back(&k, f == followers.end() ? 0 : f->second);
    }
  const std::size_t loaded = keys.size();
  const std::size_t n = std::min(kTop, keys.size());
  std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(n), keys.end(), [](const auto& a, const auto& b) {
    return a.second > b.second || (a.second == b.second && a.first->key < b.first->key);
  });
  json::array out;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& k = *keys[i].first;
    json::array locks;
    for (std::size_t l = 0; l < std::min(kLocksPerKey, k.locks.size()); ++l)
      locks.push_back(JsonObject{{"path", k.locks[l].first}, {"holder", k.locks[l].second}});
    out.push_back(JsonObject{{"key", k.key},
                             {"version", k.version},
                             {"followers", keys[i].second},
                             {"locks", std::move(locks)},
                             {"lock_count", k.locks.size()},
                             {"broken", k.broken}});
  }
  return JsonObject{{"loaded", loaded}, {"keys", std::move(out)}};
}

}  // namespace cohort
