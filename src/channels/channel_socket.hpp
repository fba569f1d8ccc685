// channel_socket.hpp — the Phoenix Channels V2 protocol on one socket (a WebSocket or a LongPoll
// session: net/transport.hpp).
//
// Owns: the channels joined on one socket (topic → join_ref, Channel handler, subscription),
// and the protocol rules of docs/protocol.md, Channels: heartbeat answered at once; join / leave / reply /
// close / error; duplicate join (old channel closed with its own join_ref first); unmatched
// topic; stale join_ref; a push before its join is answered refused {"reason":"join_pending"};
// binary pushes; a handler that throws ends only its channel (phx_error). Owner-thread-only: it
// lives and dies on its connection's reactor.
// It must never block: handlers run inline on the reactor.
// Per-socket limits (SocketLimits, from the Config; docs/security.md), each refusal counted in
// net::LimitCounters: the message rate (the connection's TokenBucket: a refused message that
// has a ref is answered {"reason":"rate_limited"}), channels joined (a join past it:
// {"reason":"too many channels joined"}), presence entries tracked by its channels together (a
// track past it returns no phx_ref), replies owed (a push while that many reply_later() answers
// are outstanding: {"reason":"too_many_pending_replies"}, the handler is not called). Crash and
// error lines quote topics, events and reasons clipped (net/log_clip.hpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "channels/serializer.hpp"
#include "cohort/channel.hpp"
#include "cohort/config.hpp"
#include "net/limit_counters.hpp"
#include "cohort/pubsub.hpp"
#include "presence/tracker.hpp"
#include "net/query.hpp"
#include "net/transport.hpp"

namespace cohort::channels {

// What one socket may hold (Config::socket_max_*). counters: where refusals are counted (may be
// null in tests).
struct SocketLimits {
  std::size_t max_channels = 100;  // Phoenix refuses a join past 100 channels on one socket too
  std::size_t max_presences = 100;
  std::size_t max_pending_replies = 100;
  net::LimitCounters* counters = nullptr;
  static SocketLimits from(const Config& config, net::LimitCounters& counters);
  void refused(net::Limit limit) const {
    if (counters) counters->refused(limit);
  }
};

class JoinedChannel;

class ChannelSocket final : public net::WsHandler {
 public:
  ChannelSocket(const SocketEndpoint& endpoint, PubSub& pubsub, presence::Tracker& presence, JsonObject assigns,
                SocketLimits limits = {});
  ~ChannelSocket() override;

  void on_open(net::Transport transport) override { transport_ = transport; }
  void on_message(net::ws::Opcode op, std::string_view payload) override;
  void on_closed() override;

  // Used by JoinedChannel.
  void send_text(const std::string& text);
  // A phx_reply (encode_reply), encoded without a string of its own.
  void send_reply(std::string_view join_ref_json, std::string_view ref_json, std::string_view topic,
                  std::string_view status, const Json& response);
  void send_frame(const net::Frame& frame);
  void send_broadcast(const net::Frame& frame);  // waits for the reactor's flush round
  // A complete frame of a message, compressed if permessage-deflate applies (WsConnection::encode).
  net::Frame encode(net::ws::Opcode op, std::string_view payload) const;
  std::size_t deflate_min() const;  // the transport's; SIZE_MAX without one
  void send_binary(const std::string& bytes);
  // Whether the socket runs on LongPoll, whose client cannot be sent binary messages.
  bool long_poll() const { return transport_.long_poll(); }
  // The node's counters, or null without a transport (a test harness) or once closed.
  net::Metrics* metrics() { return transport_ ? &transport_.net().metrics : nullptr; }
  PubSub& pubsub() { return pubsub_; }
  presence::Tracker& presence() { return presence_; }
  // Forgets a channel whose join was refused (no terminate: it never joined).
  void drop(JoinedChannel& channel);
  // Ends a joined channel from outside its handler (ChannelContext::crash).
  void crash(JoinedChannel& channel, std::string_view reason);
  // Ends a joined channel cleanly from outside its handler (ChannelContext::stop): phx_close.
  void stop(JoinedChannel& channel, std::string_view reason);
  // crash() and stop(): terminate(reason), then [JR, JR, topic, event, payload] to the client.
  void end_channel(JoinedChannel& channel, std::string_view reason, std::string_view event, JsonObject payload);
  const JsonObject& assigns() const { return assigns_; }
  // Presence entries and owed replies, counted over the socket's channels (SocketLimits).
  // Whether one more presence entry may be tracked (counted as refused when not).
  bool may_track();
  void tracked(std::ptrdiff_t entries) { presences_ += entries; }
  void owed(std::ptrdiff_t replies) { pending_replies_ += replies; }

 private:
  void dispatch(InMessage& message);
  void handle_join(InMessage& message);
  void run_join(JoinedChannel& channel, const Json& payload);
  void handle_leave(JoinedChannel& channel, const InMessage& message);
  void handle_event(JoinedChannel& channel, const InMessage& message);
  void reply(const InMessage& message, std::string_view status, const Json& response);
  // Closes the socket: the frame cannot be answered (1007; 1009 for one too big to parse).
  void reject(const DecodeError& error);
  // Ends a channel: terminate(reason), unsubscribe, forget. Returns its join_ref JSON.
  std::string remove(JoinedChannel& channel, std::string_view reason);
  JoinedChannel* find(std::string_view topic);

  const SocketEndpoint& endpoint_;
  PubSub& pubsub_;
  presence::Tracker& presence_;
  JsonObject assigns_;
  net::Transport transport_;  // empty until opened and once closed
  std::vector<std::shared_ptr<JoinedChannel>> channels_;
  SocketLimits limits_;
  std::ptrdiff_t presences_ = 0;        // entries tracked by the channels, together
  std::ptrdiff_t pending_replies_ = 0;  // reply_later() answers not sent yet
  bool closed_ = false;
};

// The connect step of either transport: status 0 and the socket's assigns, or the HTTP status
// (400: a bad vsn; 403: the app's connect refused) and why.
struct Connected {
  unsigned status = 0;
  std::string reason;
  JsonObject assigns;
};
Connected connect_socket(const SocketEndpoint& endpoint, std::vector<net::QueryParam> params,
                         std::optional<std::string> auth_token, std::string peer, bool admin_listener = false);

// The net layer's view of a socket endpoint: answers upgrades at path + "/websocket".
net::UpgradeHandler make_upgrade_handler(const SocketEndpoint& endpoint, PubSub& pubsub,
                                         presence::Tracker& presence, SocketLimits limits = {});

// Builds the shared wire frame of a broadcast ([null, null, topic, event, payload] or a
// binary broadcast), once per publish. Installed into the node's PubSub.
std::shared_ptr<const std::string> encode_broadcast_frame(const Broadcast& message);

// Decodes the authToken subprotocol value (unpadded standard or url-safe base64).
std::optional<std::string> decode_auth_token(std::string_view protocols, bool& offered_phoenix);

}  // namespace cohort::channels
