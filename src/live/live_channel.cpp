// live_channel.cpp — topic "lv:<id>" on the /live socket: see live_channel.hpp.
#include "live/live_channel.hpp"

#include "live/flash.hpp"

#include <boost/json/serialize.hpp>
#include <cstdio>
#include <deque>

#include "live/form.hpp"
#include "live/page.hpp"
#include "net/log_clip.hpp"
#include "live/view_instance.hpp"
#include "log/log.hpp"

namespace cohort::live {

namespace {

constexpr std::string_view kLiveviewVersion = "1.2.12";

const Json* field(const Json& v, std::string_view name) {
  return v.is_object() ? v.get_object().if_contains(name) : nullptr;
}

std::string_view string_field(const Json& v, std::string_view name) {
  const Json* f = field(v, name);
  return f && f->is_string() ? std::string_view(f->get_string()) : std::string_view{};
}

// (An overload, so that an object is never copied into a temporary Json the view points into.)
std::string_view string_field(const JsonObject& o, std::string_view name) {
  const Json* f = o.if_contains(name);
  return f && f->is_string() ? std::string_view(f->get_string()) : std::string_view{};
}

// The join's refusal for effects a mount asked for instead of rendering (D.9).
std::optional<JoinResult> redirect_refusal(Effects& effects) {
  auto with_flash = [&](JsonObject payload) {
    if (!effects.flash.empty()) payload["flash"] = effects.flash;
    return payload;
  };
  if (effects.redirect)
    return JoinResult::refuse(JsonObject{{"redirect", with_flash(JsonObject{{"to", *effects.redirect}})}});
  if (effects.navigate) return JoinResult::refuse(JsonObject{{"live_redirect", with_flash(*effects.navigate)}});
  return std::nullopt;
}

class LiveChannel final : public Channel {
 public:
  LiveChannel(Services services, const TokenSigner& signer) : services_(services), signer_(signer) {}

  JoinResult join(const Json& params, ChannelContext& ctx) override {
    std::string id = ctx.topic().substr(3);  // "lv:"
    auto verified = signer_.verify(string_field(params, "session"), TokenKind::session);
    const JsonObject* claims = verified.claims ? &*verified.claims : nullptr;
    if (!claims || string_field(*claims, "id") != id || !listener_matches(*claims, ctx.assigns()))
      return JoinResult::refuse(JsonObject{{"reason", "unauthorized"}});
    if (!csrf_ok(*claims, params)) return JoinResult::refuse(JsonObject{{"reason", "stale"}});
    if (claims->contains("view")) return join_child(*claims, ctx);
    std::string url(string_field(params, "url"));
    if (url.empty()) url = string_field(params, "redirect");
    std::string_view path, query;
    split_url(url, path, query);
    auto match = services_.registry.router.match(path, query);
    if (!match) return JoinResult::refuse(JsonObject{{"reason", "not_found"}, {"url", url}});
    const ViewRoute& route = services_.registry.views[match->route_index];
    JsonObject session = *claims;
    // A live navigation brings the flash of the page before (flash.hpp): shown only if signed here.
    if (JsonObject flash = flash_of(signer_, string_field(params, "flash")); !flash.empty()) session["flash"] = std::move(flash);
    return start(route, id, std::move(session), match->params, url, ctx);
  }

  // A nested view (view_nested.cpp): what to mount comes from its signed session alone — the
  // view's name, and the params its parent gave it; it has no URL.
  JoinResult join_child(const JsonObject& claims, ChannelContext& ctx) {
    auto found = services_.registry.child_views.find(string_field(claims, "view"));
    if (found == services_.registry.child_views.end()) return JoinResult::refuse(JsonObject{{"reason", "not_found"}});
    const Json* given = claims.if_contains("session");
    Params params = given && given->is_object() ? given->get_object() : Params{};
    return start(found->second, std::string(ctx.topic().substr(3)), claims, params, "", ctx);
  }

  JoinResult start(const ViewRoute& route, const std::string& id, JsonObject session, const Params& params,
                   const std::string& url, ChannelContext& ctx) {
    view_ = std::make_shared<ViewInstance>(services_, route, id, std::move(session));
    view_->attach(ctx);
    // start() calls back at once when no store is followed, else once they all answered.
    auto now = std::make_shared<std::optional<JoinResult>>();
    auto in_join = std::make_shared<bool>(true);
    view_->start(params, url, [this, now, in_join, h = ctx.handle()] {
      if (*in_join) {
        *now = join_result();
        return;
      }
      auto ctx = h.lock();
      if (!ctx) return;
      JoinResult result;
      try {
        result = join_result();
      } catch (const std::exception& e) {
        static log::Throttled& line = log::throttled(log::Category::live, log::Level::error, "join_crashed");
        line.event({{"topic", net::log_clip(ctx->topic())}, {"error", net::log_clip(e.what())}});
        result = JoinResult::refuse("join crashed");
      }
      ctx->finish_join(std::move(result));
    });
    *in_join = false;
    return *now ? std::move(**now) : JoinResult::later();
  }

  // Pushes are handled in order. While the view's reply to an event waits for the store ops it
  // started (ViewInstance::handle_event), the next pushes are held and handled once it has been
  // answered. Each is a reply the socket owes, so socket_max_pending_replies bounds them.
  Reply handle_in(std::string_view event, const Payload& payload, ChannelContext& ctx) override {
    if (payload.is_binary()) return Reply::error(JsonObject{{"reason", "live views take JSON pushes"}});
    if (!view_->answering() && held_.empty()) {
      auto to = std::make_shared<ReplyTo>();
      if (std::optional<Reply> reply = answer(event, *payload.json, to, ctx)) return std::move(*reply);
      *to = ctx.reply_later();  // (the view answers later, never inside answer())
      return Reply::none();
    }
    held_.push_back(Held{std::string(event), *payload.json, ctx.reply_later()});
    return Reply::none();
  }

  // Broadcasts on lv:<id> itself are not part of the protocol: keep them from the client.
  bool deliver(const Broadcast&) override { return false; }

  void terminate(std::string_view reason, ChannelContext&) override {
    if (view_) view_->terminate(reason);
    view_.reset();
  }

 private:
  // The join's params._csrf_token (sent by phoenix_live_view from the page's csrf meta tag) must
  // be the session's visitor's: Phoenix answers a bad one with "stale", which makes the stock
  // client load the page again (and so get a fresh session and token).
  bool csrf_ok(const JsonObject& claims, const Json& params) const {
    const Json* user = claims.if_contains("user");
    const Json* connect = field(params, "params");
    return user && connect && csrf_matches(signer_, string_field(*user, "id"), string_field(*connect, "_csrf_token"));
  }

  struct Held {
    std::string event;
    Json payload;
    ReplyTo to;
  };

  // A push's reply, or nullopt when the view answers it later, to `to`.
  std::optional<Reply> answer(std::string_view event, const Json& p, const std::shared_ptr<ReplyTo>& to,
                              ChannelContext& ctx) {
    if (event == "event") {
      std::optional<JsonObject> response = on_event(p, answer_later(to, ctx));
      if (!response) return std::nullopt;
      return Reply::ok(std::move(*response));
    }
    if (event == "live_patch") return Reply::ok(view_->handle_live_patch(string_field(p, "url")));
    if (event == "allow_upload") return Reply::ok(view_->handle_allow_upload(p));  // uploads: view_uploads.hpp
    if (event == "progress") return Reply::ok(view_->handle_progress(p));
    if (event == "cids_will_destroy") return Reply::ok();
    if (event == "cids_destroyed") {
      const Json* cids = field(p, "cids");
      json::array none;
      return Reply::ok(JsonObject{{"cids", view_->destroy_components(cids && cids->is_array() ? cids->get_array() : none)}});
    }
    return Reply::error(JsonObject{{"reason", "unhandled event"}, {"event", event}});
  }

  ViewInstance::Answer answer_later(std::shared_ptr<ReplyTo> to, ChannelContext& ctx) {
    return [this, to = std::move(to), h = ctx.handle()](JsonObject response) {
      auto ctx = h.lock();
      if (!ctx) return;
      ctx->reply(*to, Reply::ok(std::move(response)));
      release_held(*ctx);
    };
  }

  // The pushes held behind a reply that waited, in order, until one waits again. A handler that
  // throws crashes the channel, as it would inside handle_in.
  void release_held(ChannelContext& ctx) {
    try {
      while (view_ && !view_->answering() && !held_.empty()) {
        Held h = std::move(held_.front());
        held_.pop_front();
        auto to = std::make_shared<ReplyTo>(h.to);
        if (std::optional<Reply> reply = answer(h.event, h.payload, to, ctx)) ctx.reply(h.to, std::move(*reply));
      }
    } catch (const std::exception& e) {
      held_.clear();
      ctx.crash(e.what());
    }
  }

  JoinResult join_result() {
    JsonObject rendered = view_->render_full();
    Effects effects = view_->take_effects();
    if (auto refusal = redirect_refusal(effects)) return std::move(*refusal);
    JsonObject response{{"rendered", std::move(rendered)}, {"liveview_version", kLiveviewVersion}};
    if (effects.patch) response["live_patch"] = std::move(*effects.patch);
    return JoinResult::accept(std::move(response));
  }

  // {"type", "event", "value", "cid"?, "meta"?} -> the view's handle_event.
  std::optional<JsonObject> on_event(const Json& p, ViewInstance::Answer later) {
    std::string_view type = string_field(p, "type");
    std::string_view name = string_field(p, "event");
    std::optional<int> cid;
    if (const Json* c = field(p, "cid"); c && c->is_number()) cid = static_cast<int>(c->to_number<double>());
    const Json* raw = field(p, "value");
    Json value = raw ? *raw : Json(JsonObject{});
    if (type == "form") {
      DecodedForm form = decode_form(value.is_string() ? std::string_view(value.get_string()) : std::string_view{},
                                     services_.registry.parsers.form_max_depth);
      if (form.error) return JsonObject{{"error", *form.error}};
      if (const Json* meta = field(p, "meta"); meta && meta->is_object())
        for (const auto& [k, v] : meta->get_object())
          form.fields[k] = k == "_target" && v.is_string() ? Json(field_path(v.get_string())) : v;
      value = std::move(form.fields);
      if (const Json* uploads = field(p, "uploads")) view_->declare_uploads(*uploads);  // the files chosen
    }
    return view_->handle_event(name, value, cid, std::move(later));
  }

  Services services_;
  const TokenSigner& signer_;
  std::shared_ptr<ViewInstance> view_;
  std::deque<Held> held_;  // pushes that came while a reply waited (handle_in)
};

}  // namespace

ChannelFactory live_channel_factory(Services services, const TokenSigner& signer) {
  return [services, &signer] { return std::make_unique<LiveChannel>(services, signer); };
}

}  // namespace cohort::live
