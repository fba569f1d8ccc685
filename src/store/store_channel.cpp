// store_channel.cpp — topic "store:<kind>:<id>": see store_channel.hpp.
#include "store/store_channel.hpp"

#include <chrono>

#include "cohort/pubsub.hpp"
#include "metrics/histogram.hpp"

namespace cohort::store {

namespace {

constexpr std::string_view kPrefix = "store:";
constexpr std::size_t kMaxOpId = 64;

const Json* field(const Json& v, std::string_view name) {
  return v.is_object() ? v.get_object().if_contains(name) : nullptr;
}

class StoreChannel final : public Channel {
 public:
  StoreChannel(Stores& stores, const TokenSigner& signer, metrics::Histogram* op_seconds)
      : stores_(stores), signer_(signer), op_seconds_(op_seconds) {}

  JoinResult join(const Json& params, ChannelContext& ctx) override {
    key_ = ctx.topic().substr(kPrefix.size());
    kind_ = stores_.kind_of(key_);
    if (!kind_) return JoinResult::refuse(JsonObject{{"reason", "unknown_store"}, {"key", key_}});
    if (auto refused = identify(params, ctx)) return JoinResult::refuse(std::move(*refused));
    std::string_view id = std::string_view(key_).substr(kind_->name.size() + 1);
    if (kind_->can_join && !kind_->can_join(actor_, id))
      return JoinResult::refuse(JsonObject{{"reason", "forbidden"}, {"key", key_}});
    std::optional<std::uint64_t> since;
    if (const Json* s = field(params, "since"); s && !s->is_null()) {
      if (!s->is_number() || s->to_number<double>() < 0)
        return JoinResult::refuse(JsonObject{{"reason", "invalid"}, {"field", "since"}});
      since = static_cast<std::uint64_t>(s->to_number<double>());
    }
    session_ = stores_.new_session();
    auto answer = [this, h = ctx.handle()](StoreView v) {
      auto ctx = h.lock();
      if (!ctx) return;
      if (!v.ok) return ctx->finish_join(JoinResult::refuse(std::move(v.error)));
      joined_version_ = v.version;
      JsonObject response{{"version", v.version}, {"locks", std::move(v.locks)}};
      if (v.state) response["state"] = std::move(*v.state);
      if (v.patches) response["patches"] = std::move(*v.patches);
      ctx->finish_join(JoinResult::accept(std::move(response)));
    };
    // Who may not create the key follows it only if it exists (else "not_found", nothing kept).
    if (kind_->can_create && kind_->can_create(actor_, id)) stores_.view(key_, since, std::move(answer));
    else stores_.view_existing(key_, since, std::move(answer));
    return JoinResult::later();
  }

  Reply handle_in(std::string_view event, const Payload& payload, ChannelContext& ctx) override {
    if (event != "op") return Reply::error(JsonObject{{"reason", "unhandled event"}, {"event", event}});
    if (payload.is_binary()) return Reply::error(JsonObject{{"reason", "invalid"}, {"detail", "op payload must be JSON"}});
    const Json* name = field(*payload.json, "name");
    if (!name || !name->is_string()) return Reply::error(JsonObject{{"reason", "invalid"}, {"field", "name"}});
    if (auto spec = kind_->ops.find(name->get_string()); spec != kind_->ops.end() && !spec->second.from_clients)
      return Reply::error(JsonObject{{"reason", "forbidden"}, {"op", name->get_string()}, {"detail", "server_only"}});
    OpCall call;
    call.key = key_;
    call.name = name->get_string();
    if (const Json* args = field(*payload.json, "args")) call.args = *args;
    if (const Json* ev = field(*payload.json, "expect_version"); ev && !ev->is_null()) {
      if (!ev->is_number() || ev->to_number<double>() < 0)
        return Reply::error(JsonObject{{"reason", "invalid"}, {"field", "expect_version"}});
      call.expect_version = static_cast<std::uint64_t>(ev->to_number<double>());
    }
    if (const Json* id = field(*payload.json, "op_id"); id && !id->is_null()) {
      if (!id->is_string() || id->get_string().empty() || id->get_string().size() > kMaxOpId)
        return Reply::error(JsonObject{{"reason", "invalid"}, {"field", "op_id"}, {"detail", "a string of 1 to 64 characters"}});
      call.op_id = id->get_string();
    }
    call.actor = actor_;
    call.session = session_;
    stores_.apply(std::move(call), [to = ctx.reply_later(), h = ctx.handle(), histogram = op_seconds_,
                                    arrived = std::chrono::steady_clock::now()](OpOutcome r) {
      auto ctx = h.lock();
      if (!ctx) return;
      if (r.ok) {
        ctx->reply(to, Reply::ok(JsonObject{{"version", r.version}}));
        if (histogram) histogram->observe_duration(std::chrono::steady_clock::now() - arrived);
        return;
      }
      r.error["version"] = r.version;
      ctx->reply(to, Reply::error(std::move(r.error)));
    });
    return Reply::none();
  }

  bool deliver(const Broadcast& m) override {
    if (m.event != "patch") return true;
    const Json* to = field(m.payload, "to");
    return !to || !to->is_number() || to->to_number<double>() > static_cast<double>(joined_version_);
  }

  void terminate(std::string_view, ChannelContext&) override {
    if (session_) stores_.end_session(key_, session_);
  }

 private:
  // Sets actor_ from the signed token (join param "token", else the socket's connect param, else
  // the authToken the official client sends as a WebSocket subprotocol); no token leaves it
  // anonymous. Answers the join error when a token is there but not valid.
  std::optional<JsonObject> identify(const Json& params, ChannelContext& ctx) {
    const Json* token = field(params, "token");
    if (!token)
      if (const Json* connect_params = ctx.assigns().if_contains("params")) token = field(*connect_params, "token");
    if (!token) token = ctx.assigns().if_contains("auth_token");
    if (!token || !token->is_string() || token->get_string().empty()) return std::nullopt;
    auto verified = signer_.verify(token->get_string(), TokenKind::socket);
    if (!verified.claims) return JsonObject{{"reason", "unauthorized"}, {"detail", verified.error}};
    actor_ = Actor::from_claims(*verified.claims);
    return std::nullopt;
  }

  Stores& stores_;
  const TokenSigner& signer_;
  metrics::Histogram* op_seconds_;
  std::string key_;
  const StoreKind* kind_ = nullptr;  // the node's, read-only while it runs
  Actor actor_;
  std::uint64_t session_ = 0;
  std::uint64_t joined_version_ = 0;
};

}  // namespace

ChannelFactory store_channel_factory(Stores& stores, const TokenSigner& signer, metrics::Histogram* op_seconds) {
  return [&stores, &signer, op_seconds] { return std::make_unique<StoreChannel>(stores, signer, op_seconds); };
}

}  // namespace cohort::store
