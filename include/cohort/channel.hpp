// cohort/channel.hpp — Phoenix Channels as C++ handlers: join, handle_in, terminate.
//
// What it provides: a SocketEndpoint (a path such as "/socket") speaks the Phoenix Channels V2
// protocol to the official phoenix.js client. Topics are routed to Channel handlers by
// pattern ("room:*" matches every topic that starts with "room:"; otherwise an exact match).
// One Channel object exists per joined (socket, topic); its members are the channel's state.
//
// Guarantees: the join reply reaches the client before anything the channel pushes during or
// after join. A joined channel is subscribed to its topic, so broadcasts on the topic reach it.
// Every client push gets the reply its handler returns (Reply::none() sends none, as Phoenix's
// {:noreply, socket}).
//
// Failure: a handler that throws ends only that channel: the client gets phx_error and
// rejoins; the socket and its other channels stay up. terminate() runs on leave, on socket
// close, on a duplicate join and after a crash (reason "leave", "closed", "rejoin", "crash").
//
// Threads: every call on a Channel and on its ChannelContext happens on the reactor thread that
// owns the socket; a Channel must not be touched from another thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>

#include "cohort/json.hpp"

namespace cohort {

class PubSub;
class Presence;
struct Broadcast;

// What the client pushed: a JSON value, or bytes for a binary push.
struct Payload {
  const Json* json = nullptr;  // set for a JSON push
  std::string_view bytes;      // set for a binary push (json == nullptr)
  bool is_binary() const { return json == nullptr; }
};

// The answer to a join. later() defers it: the channel is already subscribed to its topic,
// and pushes and broadcasts wait until ChannelContext::finish_join() gives the real answer.
struct JoinResult {
  bool ok = true;
  Json response = JsonObject{};
  bool deferred = false;
  static JoinResult accept(Json response = JsonObject{}) { return {true, std::move(response)}; }
  static JoinResult refuse(std::string_view reason) { return {false, JsonObject{{"reason", reason}}}; }
  static JoinResult refuse(JsonObject response) { return {false, std::move(response)}; }
  static JoinResult later() { return {true, JsonObject{}, true}; }
};

// The answer to a client push.
class Reply {
 public:
  enum class Kind { none, ok, error };
  static Reply ok(Json response = JsonObject{}) { return Reply(Kind::ok, std::move(response)); }
  static Reply error(Json response) { return Reply(Kind::error, std::move(response)); }
  static Reply error(std::string_view reason) { return error(JsonObject{{"reason", reason}}); }
  static Reply error(const char* reason) { return error(std::string_view(reason)); }  // error("bad") is a reason
  static Reply ok_binary(std::string bytes) {
    Reply r(Kind::ok, nullptr);
    r.bytes_ = std::move(bytes);
    r.binary_ = true;
    return r;
  }
  static Reply none() { return Reply(Kind::none, nullptr); }

  Kind kind() const { return kind_; }
  bool is_binary() const { return binary_; }
  const Json& response() const { return response_; }
  const std::string& bytes() const { return bytes_; }
  std::string_view status() const { return kind_ == Kind::error ? "error" : "ok"; }

 private:
  Reply(Kind kind, Json response) : kind_(kind), response_(std::move(response)) {}
  Kind kind_;
  Json response_;
  std::string bytes_;
  bool binary_ = false;
};

// Names one client push whose reply comes later (see ChannelContext::reply_later).
struct ReplyTo {
  std::string ref_json;
};

// A joined channel's view of its socket. Owner-thread-only.
class ChannelContext {
 public:
  virtual ~ChannelContext() = default;
  virtual const std::string& topic() const = 0;
  // What the socket's connect callback returned (e.g. the verified user).
  virtual const JsonObject& assigns() const = 0;
  // To this client only: [join_ref, null, topic, event, payload].
  virtual void push(std::string_view event, Json payload) = 0;
  // The same, with a payload already encoded as JSON text (valid JSON: it is not checked), so
  // one encoding can serve many clients.
  // (By default: parsed, then push().)
  virtual void push_encoded(std::string_view event, std::string_view payload_json) {
    push(event, json::parse(payload_json));
  }
  virtual void push_binary(std::string_view event, std::string_view bytes) = 0;
  // To every subscriber of this channel's topic (broadcast_from: all but this channel).
  virtual void broadcast(std::string_view event, Json payload) = 0;
  virtual void broadcast_from(std::string_view event, Json payload) = 0;
  virtual void broadcast_binary(std::string_view event, std::string bytes, bool include_self) = 0;
  virtual PubSub& pubsub() = 0;

  // Presence on this channel's topic, owned by this channel: whatever it tracks is untracked
  // when the channel ends, however it ends. Returns the meta's phx_ref, or "" when a limit
  // refused it (Config::socket_max_presences, presence_max_meta_bytes, the topic's bounds;
  // docs/security.md): nothing was tracked or updated then.
  virtual std::string track(std::string_view key, JsonObject meta) = 0;
  virtual std::string update_presence(std::string_view key, JsonObject meta) = 0;
  virtual void untrack(std::string_view key) = 0;
  // Pushes "presence_state" with the topic's current presence list. Call it after every
  // successful join (rejoins included): phoenix.js holds diffs back until it gets one.
  virtual void push_presence_state() = 0;
  virtual Presence& presence() = 0;

  // Asynchronous answers. handle() is a weak reference for work that completes later; lock it
  // on the channel's reactor (it is empty once the channel has ended).
  virtual std::weak_ptr<ChannelContext> handle() = 0;
  // Completes a join that returned JoinResult::later().
  virtual void finish_join(JoinResult result) = 0;
  // Inside handle_in: the push being handled, to answer later with reply() (return
  // Reply::none() from handle_in then).
  virtual ReplyTo reply_later() = 0;
  virtual void reply(const ReplyTo& to, Reply reply) = 0;
  // Ends the channel as a throwing handler would: terminate("crash"), then phx_error to the
  // client, which rejoins. For failures found outside a handler (a timer, a store reply).
  virtual void crash(std::string_view reason) = 0;
  // Ends the channel cleanly, as Phoenix's {:stop, {:shutdown, reason}, ...}: terminate(reason),
  // then phx_close to the client, which does not rejoin (and nothing is logged). For a channel
  // that is done (an upload refused or timed out), not broken. Call it outside handle_in (after()
  // with 0 ms), so the push's reply goes first.
  virtual void stop(std::string_view reason) = 0;
  // Runs fn on this channel's reactor after delay, unless the channel has ended by then.
  virtual void after(std::chrono::milliseconds delay, std::function<void()> fn) = 0;
};

class Channel {
 public:
  virtual ~Channel() = default;
  // params: the join payload. Return accept (optionally with a response) or refuse(reason).
  virtual JoinResult join(const Json& params, ChannelContext& ctx) = 0;
  virtual Reply handle_in(std::string_view event, const Payload& payload, ChannelContext& ctx) = 0;
  virtual void terminate(std::string_view reason, ChannelContext& ctx) {}
  // Phoenix's handle_out: return false to keep a broadcast on the topic from this client.
  // Broadcasts that arrive while a deferred join is pending are asked after finish_join().
  virtual bool deliver(const Broadcast& message) { return true; }
};

using ChannelFactory = std::function<std::unique_ptr<Channel>()>;

// What a client presents when it opens a socket.
struct ConnectInfo {
  JsonObject params;                      // the query string, values as strings
  std::optional<std::string> auth_token;  // from the base64url.bearer.phx.<token> subprotocol
  std::string peer;                       // "address:port"
  bool admin_listener = false;            // it came in on the admin listener (Config::admin_port)
};

// The answer to a connect: accept with socket assigns, or refuse (HTTP 403).
struct ConnectResult {
  bool ok = true;
  JsonObject assigns;
  static ConnectResult accept(JsonObject assigns = {}) { return {true, std::move(assigns)}; }
  static ConnectResult refuse() { return {false, {}}; }
};
using ConnectHandler = std::function<ConnectResult(const ConnectInfo&)>;

// A Phoenix socket endpoint: its path, connect callback and channel routes. Configure it
// before the node starts; it is read-only (and so shared by every reactor) afterwards.
class SocketEndpoint {
 public:
  explicit SocketEndpoint(std::string path) : path_(std::move(path)) {}

  SocketEndpoint& on_connect(ConnectHandler handler) {
    connect_ = std::move(handler);
    return *this;
  }
  // pattern: "prefix*" or an exact topic. Routes are tried in the order they were added.
  // Topics starting with "cohort:" belong to the node itself and match no pattern ("*" neither).
  SocketEndpoint& channel(std::string pattern, ChannelFactory factory) {
    routes_.push_back({std::move(pattern), std::move(factory)});
    return *this;
  }

  const std::string& path() const { return path_; }
  ConnectResult connect(const ConnectInfo& info) const {
    return connect_ ? connect_(info) : ConnectResult::accept();
  }
  // The factory for topic, or null when no route matches (always for a "cohort:" topic).
  const ChannelFactory* route(std::string_view topic) const;

 private:
  struct Route {
    std::string pattern;
    ChannelFactory factory;
  };
  std::string path_;
  ConnectHandler connect_;
  std::vector<Route> routes_;
};

}  // namespace cohort
