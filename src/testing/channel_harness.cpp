// channel_harness.cpp — ChannelHarness and ChannelClient (cohort/testing.hpp): an app's channels
// joined, pushed to and broadcast to as a socket of the node would, without the socket.
//
// A client's join runs the route's Channel in a HarnessChannel (subscribed to its topic, its
// presence owned, its end terminating it once); the store channel serves "store:*" when no
// route of the app's matches first. Every call returns once everything it caused has happened.
#include <map>

#include "cohort/testing.hpp"
#include "store/store_channel.hpp"
#include "testing/harness_channel.hpp"
#include "testing/runtime.hpp"

namespace cohort::testing {

struct ChannelClient::Impl {
  std::shared_ptr<Runtime> runtime;
  const SocketEndpoint* endpoint = nullptr;
  ChannelFactory store_channels;
  JsonObject assigns;
  std::map<std::string, std::shared_ptr<HarnessChannel>> channels;  // by topic
  std::vector<ChannelMessage> inbox;
  std::uint64_t next_ref = 0;

  ~Impl() {
    if (channels.empty()) return;
    runtime->run([this] {
      for (auto& [topic, c] : channels) c->end("closed");
      channels.clear();
    });
  }
  HarnessChannel& joined(const std::string& topic) {
    auto it = channels.find(topic);
    if (it == channels.end() || it->second->ended()) throw Failure(in_quotes(topic) + " is not joined");
    return *it->second;
  }
};

ChannelClient::ChannelClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ChannelClient::ChannelClient(ChannelClient&&) noexcept = default;
ChannelClient& ChannelClient::operator=(ChannelClient&&) noexcept = default;
ChannelClient::~ChannelClient() = default;

ChannelReply ChannelClient::join(const std::string& topic, Json params) {
  Impl& c = *impl_;
  const ChannelFactory* route = c.endpoint->route(topic);
  if (!route && topic.starts_with("store:")) route = &c.store_channels;
  if (!route) return ChannelReply{"error", JsonObject{{"reason", "unmatched topic"}}};
  c.runtime->run([&] {
    if (auto old = c.channels.find(topic); old != c.channels.end()) old->second->end("rejoin");
    auto channel = std::make_shared<HarnessChannel>(*c.runtime, topic, c.assigns,
                                                    [&c](ChannelMessage m) { c.inbox.push_back(std::move(m)); });
    c.channels[topic] = channel;
    channel->join((*route)(), params);
  });
  // A deferred join is answered when its work is done (a store read, say).
  auto channel = c.channels.at(topic);
  c.runtime->until([&] { return channel->join_reply().has_value(); }, "the answer to the join of " + in_quotes(topic));
  return *channel->join_reply();
}

ChannelReply ChannelClient::push(const std::string& topic, const std::string& event, Json payload) {
  Impl& c = *impl_;
  HarnessChannel& channel = c.joined(topic);
  std::uint64_t ref = ++c.next_ref;
  std::optional<ChannelReply> reply;
  c.runtime->run([&] { reply = channel.handle_in(event, payload, ref); });
  if (!reply) {
    c.runtime->until([&] { return channel.later_reply(ref) || channel.ended(); },
                     "the reply to " + in_quotes(event) + " on " + in_quotes(topic));
    reply = channel.later_reply(ref);
  }
  if (!reply) return ChannelReply{"error", JsonObject{{"reason", channel.errored() ? "crashed" : "closed"}}};
  return *reply;
}

void ChannelClient::leave(const std::string& topic) {
  Impl& c = *impl_;
  c.runtime->run([&] {
    if (auto it = c.channels.find(topic); it != c.channels.end()) {
      it->second->end("leave");
      c.channels.erase(it);
    }
  });
}

std::vector<ChannelMessage> ChannelClient::take() {
  impl_->runtime->settle();
  return std::exchange(impl_->inbox, {});
}

std::vector<ChannelMessage> ChannelClient::take(const std::string& topic) {
  std::vector<ChannelMessage> mine, rest;
  for (auto& m : take()) (m.topic == topic ? mine : rest).push_back(std::move(m));
  impl_->inbox = std::move(rest);
  return mine;
}

bool ChannelClient::errored(const std::string& topic) const {
  auto it = impl_->channels.find(topic);
  return it != impl_->channels.end() && it->second->errored();
}

void ChannelClient::close() {
  Impl& c = *impl_;
  c.runtime->run([&] {
    for (auto& [topic, channel] : c.channels) channel->end("closed");
    c.channels.clear();
  });
}

// ---------------------------------------------------------------- ChannelHarness

struct ChannelHarness::Impl {
  SocketEndpoint endpoint{"/socket"};
};

ChannelHarness::ChannelHarness()
    : runtime_(std::make_shared<Runtime>(false, StoreLimits{})), stores_(runtime_), impl_(std::make_unique<Impl>()) {}
ChannelHarness::~ChannelHarness() = default;

SocketEndpoint& ChannelHarness::endpoint() { return impl_->endpoint; }
StoreHarness& ChannelHarness::stores() { return stores_; }

std::string ChannelHarness::issue_token(JsonObject claims, std::chrono::seconds ttl) const {
  return runtime_->signer.sign(TokenKind::socket, std::move(claims), ttl);
}

ChannelClient ChannelHarness::connect_as(JsonObject assigns) {
  runtime_->use_stores();
  auto c = std::make_unique<ChannelClient::Impl>();
  c->runtime = runtime_;
  c->endpoint = &impl_->endpoint;
  c->store_channels = store::store_channel_factory(*runtime_->stores, runtime_->signer);
  c->assigns = std::move(assigns);
  return ChannelClient(std::move(c));
}

std::optional<ChannelClient> ChannelHarness::connect(ConnectInfo info) {
  ConnectResult r = impl_->endpoint.connect(info);
  if (!r.ok) return std::nullopt;
  return connect_as(std::move(r.assigns));
}

void ChannelHarness::broadcast(std::string topic, std::string event, Json payload) {
  runtime_->run([&] { runtime_->pubsub.broadcast(topic, event, std::move(payload)); });
}

JsonObject ChannelHarness::presence_list(const std::string& topic) {
  JsonObject list;
  runtime_->run([&] { list = runtime_->tracker.list(topic); });
  return list;
}

void ChannelHarness::advance(std::chrono::milliseconds d) { runtime_->advance(d); }

}  // namespace cohort::testing
