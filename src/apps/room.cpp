// room.cpp — the example room channel and the HTTP broadcast API: see room.hpp.
#include "apps/room.hpp"

#include <boost/json/serialize.hpp>
#include <ctime>
#include <optional>
#include <stdexcept>

#include "auth/api_auth.hpp"
#include "cohort/node.hpp"
#include "net/client_json.hpp"

namespace cohort::apps {

namespace {

class RoomChannel final : public Channel {
 public:
  // user_id comes from the join params as the client wrote it: unauthenticated (anyone may
  // claim any id in this example room; docs/security.md).
  JoinResult join(const Json& params, ChannelContext& ctx) override {
    if (ctx.topic() == "room:secret") return JoinResult::refuse("unauthorized");
    if (params.is_object())
      if (auto* id = params.get_object().if_contains("user_id")) user_id_ = *id;
    // As Phoenix's generated room: track the user, then push the current list.
    if (user_id_.is_string() || user_id_.is_number()) {
      std::string key = user_id_.is_string() ? std::string(user_id_.get_string()) : json::serialize(user_id_);
      ctx.track(key, JsonObject{{"online_at", std::to_string(std::time(nullptr))}});
      presence_key_ = key;
    }
    ctx.push_presence_state();
    return JoinResult::accept();
  }

  Reply handle_in(std::string_view event, const Payload& payload, ChannelContext& ctx) override {
    if (event == "ping") return payload.is_binary() ? Reply::ok_binary(std::string(payload.bytes)) : Reply::ok(*payload.json);
    if (event == "shout") {
      if (payload.is_binary()) ctx.broadcast_binary("shout", std::string(payload.bytes), true);
      else ctx.broadcast("shout", *payload.json);
      return Reply::none();
    }
    if (event == "push_back") {
      if (payload.is_binary()) ctx.push_binary("pushed", payload.bytes);
      else ctx.push("pushed", *payload.json);
      return Reply::none();
    }
    if (event == "whoami") {
      JsonObject me = ctx.assigns();
      me["user_id"] = user_id_;
      return Reply::ok(std::move(me));
    }
    if (event == "presence_update" && presence_key_ && payload.json && payload.json->is_object()) {
      JsonObject meta = payload.json->get_object();
      meta["online_at"] = std::to_string(std::time(nullptr));
      if (ctx.update_presence(*presence_key_, std::move(meta)).empty())
        return Reply::error(std::string_view("presence refused: meta too large or topic full"));
      return Reply::ok();
    }
    if (event == "crash") throw std::runtime_error("crash requested by the client");
    return Reply::error(JsonObject{{"reason", "unhandled event"}, {"event", event}});
  }

 private:
  Json user_id_ = nullptr;
  std::optional<std::string> presence_key_;
};

// POST /api/broadcast/:topic[?event=E]: broadcasts the body (or its "payload") to the topic
// (decoded: "room%3Alobby" is "room:lobby"). Needs Authorization: Bearer <api token> with role
// "publish" whose topic patterns (if any) allow the topic (401 without a valid token, 403 without
// the role or topic). Reserved events (phx_*, presence_*) and store topics are refused with 403.
// The body is parsed within the node's parser limits: 400 for malformed or too deep JSON, 413
// for JSON over json_max_bytes (a body over max_frame never gets here: 413 from net).
HttpResponse broadcast_api(PubSub& pubsub, const TokenSigner& signer, const net::ParserLimits& limits,
                           const HttpRequest& req) {
  std::string topic = req.param("topic");
  if (auto refused = auth::refuse_api_call(req, signer, "publish", topic)) return std::move(*refused);
  if (topic.empty()) return HttpResponse::json(400, JsonObject{{"error", "missing topic: POST /api/broadcast/<topic>"}});
  std::string event = "shout";
  if (auto e = req.query_param("event")) event = *e;
  // What clients trust as the server's own words is not for anyone with HTTP access to forge:
  // channel control events, presence state and diffs, and a store's patches.
  if (event.starts_with("phx_") || event.starts_with("presence_"))
    return HttpResponse::json(403, JsonObject{{"error", "event '" + event + "' is reserved to the server"}});
  if (topic.starts_with("store:"))
    return HttpResponse::json(403, JsonObject{{"error", "store topics carry the store's own patches: send an op"}});
  net::ClientJson parsed = net::parse_client_json(req.body, limits);
  if (!parsed)
    return HttpResponse::json(parsed.refusal == net::JsonRefusal::too_big ? 413 : 400,
                              JsonObject{{"error", "body refused: " + parsed.reason}});
  Json& body = parsed.value;
  Json payload = body;
  if (body.is_object())
    if (auto* p = body.get_object().if_contains("payload")) payload = *p;
  if (!payload.is_object()) return HttpResponse::json(400, JsonObject{{"error", "payload must be a JSON object"}});
  pubsub.broadcast(topic, event, std::move(payload));
  return HttpResponse::json(200, JsonObject{{"ok", true}});
}

}  // namespace

void install_room(Node& node) {
  node.socket("/socket")
      .on_connect([](const ConnectInfo& info) {
        auto* token = info.params.if_contains("token");
        if (token && *token == "invalid") return ConnectResult::refuse();
        JsonObject assigns;
        assigns["auth_token"] = info.auth_token ? Json(*info.auth_token) : Json(nullptr);
        assigns["params"] = info.params;
        return ConnectResult::accept(std::move(assigns));
      })
      .channel("room:*", [] { return std::make_unique<RoomChannel>(); })
      .channel("store:*", node.store_channels());
  node.route("POST", "/api/broadcast/:topic", [&pubsub = node.pubsub(), &signer = node.signer(),
                                               limits = net::parser_limits(node.config())](const HttpRequest& req) {
    return broadcast_api(pubsub, signer, limits, req);
  });
}

}  // namespace cohort::apps
