// room.cpp — the example room channel: see room.hpp.
#include "apps/room.hpp"

#include <boost/json/serialize.hpp>
#include <ctime>
#include <optional>
#include <stdexcept>

#include "cohort/node.hpp"

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
  node.broadcast_api("/api/broadcast/:topic");
}

}  // namespace cohort::apps
