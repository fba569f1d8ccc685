// presence_replication.cpp — Presence across nodes: see presence_replication.hpp.
#include "cluster/presence_replication.hpp"

#include <variant>

#include "presence/presence_state.hpp"
#include "log/log.hpp"

namespace cohort::cluster {

using Clock = std::chrono::steady_clock;

PresenceReplication::PresenceReplication(net::Reactor& reactor, Outbox& outbox, presence::Tracker& tracker,
                                         std::uint32_t node_id, std::string control_channel,
                                         std::chrono::milliseconds heartbeat, std::chrono::milliseconds down_after,
                                         ClusterCounters& counters)
    : reactor_(reactor), outbox_(outbox), tracker_(tracker), node_id_(node_id),
      channel_(std::move(control_channel)), heartbeat_(heartbeat), counters_(counters), timer_(reactor.context()),
      members_(down_after) {}

ControlMessage PresenceReplication::message(ControlKind kind) const {
  ControlMessage m;
  m.kind = kind;
  m.node = node_id_;
  m.seq = seq_;
  return m;
}

void PresenceReplication::send(const ControlMessage& m) { outbox_.publish(channel_, encode_control(m)); }

void PresenceReplication::local_diff(const std::string& topic, std::shared_ptr<const JsonObject> diff) {
  reactor_.post([this, topic, diff = std::move(diff)] {
    auto& state = own_[topic];
    presence::apply_diff(state, *diff);
    if (state.empty()) own_.erase(topic);
    ++seq_;  // counted even when not sent: the receivers then see the gap and ask a digest
    ControlMessage m = message(ControlKind::delta);
    m.topic = topic;
    m.joins = diff->at("joins").get_object();
    m.leaves = diff->at("leaves").get_object();
    if (outbox_.publish(channel_, encode_control(m))) bump(counters_.presence_sent);
    else bump(counters_.presence_dropped);
  });
}

void PresenceReplication::start() { beat(); }

void PresenceReplication::stop() { timer_.cancel(); }

void PresenceReplication::beat() {
  if (outbox_.connected()) {
    send(message(ControlKind::heartbeat));
    if (++beats_ % kDigestEvery == 0) send_digest();
  }
  if (hearing_)
    for (std::uint32_t node : members_.expire(Clock::now())) {
      bump(counters_.nodes_down);
      log::event(log::Category::cluster, log::Level::info, "member_left",
                 {{"node_id", node}, {"reason", "silent"}});
      node_gone(node);
    }
  counters_.nodes_alive.store(members_.nodes().size(), std::memory_order_relaxed);
  timer_.expires_after(heartbeat_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) beat();
  });
}

void PresenceReplication::send_digest() {
  ControlMessage m = message(ControlKind::digest);
  for (const auto& [topic, state] : own_) m.topics[topic] = state;
  if (outbox_.publish(channel_, encode_control(m))) bump(counters_.digests_sent);
}

void PresenceReplication::links_up() {
  hearing_ = true;
  members_.refresh_all(Clock::now());
  send(message(ControlKind::hello));
  send_digest();
}

void PresenceReplication::say_bye(RedisLink::ReplyHandler done) {
  // command() takes its handler even when it refuses (then never calls it): keep ours.
  auto once = std::make_shared<RedisLink::ReplyHandler>(std::move(done));
  if (!outbox_.publish(channel_, encode_control(message(ControlKind::bye)), [once](const RedisValue& v) { (*once)(v); }))
    (*once)(RedisValue::from(nullptr));
}

void PresenceReplication::request_sync(std::uint32_t node) {
  auto now = Clock::now();
  auto [it, fresh] = sync_asked_.try_emplace(node, now);
  if (!fresh && now - it->second < heartbeat_) return;
  it->second = now;
  ControlMessage m = message(ControlKind::sync);
  m.to = node;
  send(m);
  bump(counters_.syncs_requested);
}

void PresenceReplication::apply(std::vector<TopicDiff> diffs) {
  for (auto& d : diffs) tracker_.apply_remote(d.topic, std::make_shared<const JsonObject>(std::move(d.diff)));
}

void PresenceReplication::node_gone(std::uint32_t node) {
  sync_asked_.erase(node);
  apply(remote_.drop_node(node));
  if (on_node_gone_) on_node_gone_(node);
}

void PresenceReplication::on_control(std::uint32_t sender, std::string_view payload) {
  auto decoded = decode_control(payload);
  // A message that names another node than its seal's was not made by this code: dropped.
  if (std::holds_alternative<WireError>(decoded) || std::get<ControlMessage>(decoded).node != sender) {
    bump(counters_.malformed);
    return;
  }
  const auto& m = std::get<ControlMessage>(decoded);
  if (m.kind == ControlKind::bye) {
    if (members_.forget(m.node))
      log::event(log::Category::cluster, log::Level::info, "member_left", {{"node_id", m.node}, {"reason", "bye"}});
    return node_gone(m.node);
  }
  if (members_.heard(m.node, Clock::now()))
    log::event(log::Category::cluster, log::Level::info, "member_joined", {{"node_id", m.node}});
  switch (m.kind) {
    case ControlKind::heartbeat:
      if (remote_.behind(m.node, m.seq)) request_sync(m.node);
      break;
    case ControlKind::delta: {
      bool in_order = true;
      auto d = remote_.apply_delta(m.node, m.seq, m.topic, m.joins, m.leaves, &in_order);
      tracker_.apply_remote(d.topic, std::make_shared<const JsonObject>(std::move(d.diff)));
      if (!in_order) request_sync(m.node);
      break;
    }
    case ControlKind::digest:
      bump(counters_.digests_applied);
      apply(remote_.apply_digest(m.node, m.seq, m.topics));
      break;
    case ControlKind::hello: send_digest(); break;
    case ControlKind::sync:
      if (m.to == node_id_) send_digest();
      break;
    case ControlKind::bye: break;
  }
}

}  // namespace cohort::cluster
