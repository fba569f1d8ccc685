// endpoint.cpp — a SocketEndpoint as the net layer sees it: routes, connect, upgrade.
//
// Owns: topic routing by pattern, the connect step of a Phoenix socket, shared by WebSocket and
// LongPoll (query params, vsn check, the authToken subprotocol, the app's connect callback →
// 403 on refusal) and the
// encoding of broadcast frames. It must never keep per-connection state: that is
// ChannelSocket's.
#include <boost/json/serialize.hpp>

#include "auth/base64.hpp"
#include "net/query.hpp"
#include "net/server_topics.hpp"
#include "channels/channel_socket.hpp"

namespace cohort {

const ChannelFactory* SocketEndpoint::route(std::string_view topic) const {
  if (net::server_topic(topic)) return nullptr;  // the node's own topics (server_topics.hpp)
  for (const auto& r : routes_) {
    bool wildcard = !r.pattern.empty() && r.pattern.back() == '*';
    std::string_view prefix(r.pattern.data(), r.pattern.size() - (wildcard ? 1 : 0));
    if (wildcard ? topic.starts_with(prefix) : topic == r.pattern) return &r.factory;
  }
  return nullptr;
}

}  // namespace cohort

namespace cohort::channels {

namespace {

constexpr std::string_view kTokenPrefix = "base64url.bearer.phx.";

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

net::UpgradeDecision refuse(unsigned status, std::string_view reason) {
  net::UpgradeDecision d;
  d.status = status;
  d.body = json::serialize(JsonObject{{"error", reason}});
  return d;
}

}  // namespace

std::optional<std::string> decode_auth_token(std::string_view protocols, bool& offered_phoenix) {
  offered_phoenix = false;
  std::optional<std::string> token;
  while (!protocols.empty()) {
    auto comma = protocols.find(',');
    std::string_view item = trim(protocols.substr(0, comma));
    protocols = comma == std::string_view::npos ? std::string_view{} : protocols.substr(comma + 1);
    if (item == "phoenix") offered_phoenix = true;
    else if (item.starts_with(kTokenPrefix)) token = auth::decode(item.substr(kTokenPrefix.size()));
  }
  return token;
}

std::shared_ptr<const std::string> encode_broadcast_frame(const Broadcast& m) {
  if (m.is_binary) {
    std::string body = encode_binary_broadcast(m.topic, m.event, m.binary);
    if (body.empty()) return nullptr;  // topic or event over 255 bytes: cannot be framed
    return std::make_shared<const std::string>(net::ws::encode_frame(net::ws::Opcode::binary, body));
  }
  return std::make_shared<const std::string>(
      net::ws::encode_frame(net::ws::Opcode::text, encode_message("null", "null", m.topic, m.event, m.payload)));
}

Connected connect_socket(const SocketEndpoint& endpoint, std::vector<net::QueryParam> params,
                         std::optional<std::string> auth_token, std::string peer, bool admin_listener) {
  ConnectInfo info;
  info.peer = std::move(peer);
  info.admin_listener = admin_listener;
  info.auth_token = std::move(auth_token);
  std::optional<std::string> vsn;
  for (auto& param : params) {
    if (param.key == "vsn") vsn = std::move(param.value);
    else info.params[param.key] = param.value;  // the last value of a repeated key wins
  }
  if (!vsn || !vsn->starts_with("2."))
    return {400, "unsupported serializer vsn '" + vsn.value_or("") + "': Cohort speaks vsn=2.0.0", {}};
  ConnectResult result = endpoint.connect(info);
  if (!result.ok) return {403, "connect refused", {}};
  return {0, {}, std::move(result.assigns)};
}

net::UpgradeHandler make_upgrade_handler(const SocketEndpoint& endpoint, PubSub& pubsub,
                                         presence::Tracker& presence, SocketLimits limits) {
  return [&endpoint, &pubsub, &presence, limits](const net::UpgradeRequest& request) {
    auto query = net::parse_query(request.query);
    if (query.error) return refuse(400, "malformed query string");
    bool offered_phoenix = false;
    auto token = decode_auth_token(request.protocols, offered_phoenix);
    Connected connected = connect_socket(endpoint, std::move(query.params), std::move(token), request.peer,
                                         request.surface == net::Surface::admin);
    if (connected.status) return refuse(connected.status, connected.reason);
    net::UpgradeDecision d;
    if (offered_phoenix) d.protocol = "phoenix";
    d.handler = std::make_unique<ChannelSocket>(endpoint, pubsub, presence, std::move(connected.assigns), limits);
    return d;
  };
}

}  // namespace cohort::channels
