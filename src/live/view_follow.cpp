// view_follow.cpp — what a mounted view follows (view_instance.hpp): the PubSub topics it
// listens on (its own subscriptions and its stores' topics), the store keys it follows (state
// read once the subscription is in place, then patches, locks and resyncs applied to the assign,
// a gap or an unreadable state read again), the presence lists it follows and tracks, and the
// store ops it sends.
// Threads: the view's reactor, as every ViewInstance member.
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <stdexcept>

#include "cohort/input.hpp"
#include "live/view_instance.hpp"
#include "log/log.hpp"
#include "net/log_clip.hpp"
#include "store/json_patch.hpp"

namespace cohort::live {

namespace {

constexpr std::string_view kStorePrefix = "store:";

// A presence object {key: {metas}} as a template-friendly list, sorted by key.
json::array presence_list(const JsonObject& state) {
  std::vector<std::string_view> keys;
  for (const auto& [k, _] : state) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  json::array out;
  for (auto k : keys) {
    const Json& entry = state.at(k);
    const Json* metas = entry.is_object() ? entry.get_object().if_contains("metas") : nullptr;
    json::array list = metas && metas->is_array() ? metas->get_array() : json::array{};
    std::size_t count = list.size();
    out.push_back(JsonObject{{"id", k}, {"metas", std::move(list)}, {"count", count}});
  }
  return out;
}

}  // namespace

void ViewInstance::listen(const std::string& topic) {
  if (!channel_ || ended_) return;
  if (listening_.insert(topic).second) services_.pubsub.subscribe(topic, this);
}

void ViewInstance::subscribe(std::string_view topic) {
  subscribed_.insert(std::string(topic));
  listen(std::string(topic));
}

void ViewInstance::follow_store(std::string key, std::string assign) {
  if (!services_.stores.knows(key)) throw std::invalid_argument("follow_store: no store kind for key '" + key + "'");
  StoreFollow follow;
  follow.key = std::move(key);
  follow.assign = std::move(assign);
  stores_followed_.push_back(std::move(follow));
  std::string topic = std::string(kStorePrefix) + stores_followed_.back().key;
  listen(topic);
  ++pending_;
  if (!channel_ || ended_) return load_store(stores_followed_.size() - 1);  // the HTTP render: no patches
  // Read once the subscription reaches the other nodes of a cluster (at once alone), so no
  // patch falls between the state read and the first patch heard.
  services_.pubsub.when_subscribed(topic, [self = weak_from_this(), index = stores_followed_.size() - 1] {
    if (auto view = self.lock(); view && !view->ended_) view->load_store(index);
  });
}

void ViewInstance::load_store(std::size_t index) {
  services_.stores.view(stores_followed_[index].key, std::nullopt, [self = weak_from_this(), index](StoreView v) {
    auto view = self.lock();
    if (!view || view->ended_) return;
    auto& follow = view->stores_followed_[index];
    bool first = !follow.counted;
    follow.counted = follow.loaded = true;
    if (!v.ok || !v.state) {
      log::event(log::Category::live, log::Level::warn, "store_unreadable",
                 {{"key", net::log_clip(follow.key)}, {"error", net::log_clip(json::serialize(v.error))}});
      if (!follow.has_state) view->assign(follow.assign, Json(nullptr));  // not the const char* overload
      view->retry_store(index);
    } else {
      follow.has_state = true;
      follow.own = false;
      follow.version = v.version;
      assign_slot(view->assigns_, view->retired_assigns_, follow.assign) = std::move(*v.state);
      view->touch(follow.assign);
      view->assign(follow.assign + "_locks", std::move(v.locks));
      // The view hears of the state it now holds (first read, or re-read after a gap), so it
      // can derive display assigns from it before the render.
      // A copy: the handler may assign, and a rehash of the assigns would move the state away
      // from under a reference (AddressSanitizer found exactly that).
      const Json state = view->assigns_[follow.assign];
      view->guarded([&] { view->view_->handle_info(Info{Info::Kind::store, follow.key, "state", state}, *view); });
    }
    auto early = std::exchange(follow.early, {});
    for (const auto& patch : early) view->on_store_patch(follow, patch);
    if (first) {
      --view->pending_;
      if (view->ready_) return view->check_ready();
    }
    view->schedule_render();
  });
}

void ViewInstance::on_store_patch(StoreFollow& follow, const Json& payload) {
  if (!follow.loaded) return follow.early.push_back(payload);
  const Json* from = input::arg(payload, "from");
  const Json* to = input::arg(payload, "to");
  const Json* ops = input::arg(payload, "ops");
  if (!from || !to || !ops || !ops->is_array()) return;
  auto from_v = static_cast<std::uint64_t>(from->to_number<double>());
  auto to_v = static_cast<std::uint64_t>(to->to_number<double>());
  if (to_v <= follow.version) return;  // already in the state that was read
  Json& state = assign_slot(assigns_, retired_assigns_, follow.assign);
  if (from_v != follow.version || store::apply_patch(state, ops->get_array())) {
    // A gap (or a patch that does not apply): read the whole state again.
    follow.loaded = false;
    return load_store(static_cast<std::size_t>(&follow - stores_followed_.data()));
  }
  follow.version = to_v;
  touch(follow.assign);
  const Json copy = state;  // not a reference into the assigns: the handler may assign (see load_store)
  view_->handle_info(Info{Info::Kind::store, follow.key, "patch", copy}, *this);
}

// Locks as the store announces them: <assign>_locks = {path: {"holder", "expires_in_ms"?}}.
void ViewInstance::on_store_lock(StoreFollow& follow, const Broadcast& message) {
  if (!follow.loaded) return;  // the state being read carries the locks
  const Json* path = input::arg(message.payload, "path");
  if (!path || !path->is_string()) return;
  std::string name = follow.assign + "_locks";
  Json& locks = assign_slot(assigns_, retired_assigns_, name);
  if (!locks.is_object()) locks = JsonObject{};
  if (message.event == "lock") {
    JsonObject lock = message.payload.as_object();
    lock.erase("path");
    lock.erase("reason");
    locks.get_object()[path->get_string()] = std::move(lock);
  } else {
    locks.get_object().erase(path->get_string());
  }
  touch(name);
  view_->handle_info(Info{Info::Kind::store, follow.key, message.event, message.payload}, *this);
}

void ViewInstance::follow_presence(std::string topic, std::string assign) {
  presences_followed_.push_back({std::move(topic), std::move(assign), {}});
  auto& follow = presences_followed_.back();
  if (!channel_ || ended_) {  // the page's first, static render: the list as it is now
    this->assign(follow.assign, presence_list(services_.presence.list(follow.topic)));
    return;
  }
  // The tracker calls this on our reactor, first with the current list (inside watch()), then
  // after each change of this reactor's replica: nothing from the wire reaches it.
  std::size_t index = presences_followed_.size() - 1;
  follow.watch = services_.presence.watch(follow.topic, [this, index](const PresenceChange& change) {
    on_presence_change(presences_followed_[index], change);
  });
}

void ViewInstance::on_presence_change(PresenceFollow& follow, const PresenceChange& change) {
  if (change.initial) return assign(follow.assign, presence_list(change.list));
  if (ended_) return;
  services_.registry.stats.infos.fetch_add(1, std::memory_order_relaxed);
  guarded([&] {
    assign(follow.assign, presence_list(change.list));
    Json diff = JsonObject{{"joins", change.joins}, {"leaves", change.leaves}};
    view_->handle_info(Info{Info::Kind::presence, follow.topic, "presence_diff", diff}, *this);
  });
}

void ViewInstance::track(std::string topic, std::string key, JsonObject meta) {
  if (!channel_ || ended_) return;
  if (!presence_owner_) presence_owner_ = services_.presence.new_owner();
  services_.presence.track(presence_owner_, topic, key, std::move(meta));
}

void ViewInstance::update_presence(std::string topic, std::string key, JsonObject meta) {
  if (!channel_ || ended_ || !presence_owner_) return;
  services_.presence.update(presence_owner_, topic, key, std::move(meta));
}

void ViewInstance::op(std::string key, std::string name, Json args, std::function<void(const OpOutcome&)> done) {
  if (!store_session_) store_session_ = services_.stores.new_session();
  store_keys_used_.insert(key);
  OpCall call;
  call.key = std::move(key);
  call.name = std::move(name);
  call.args = std::move(args);
  call.actor = actor_;
  call.session = store_session_;
  done = joining_wait(call.key, std::move(done));
  services_.stores.apply(std::move(call), [self = weak_from_this(), done = std::move(done)](OpOutcome outcome) {
    auto view = self.lock();
    if (!view || view->ended_ || !done) return;
    view->guarded([&] { done(outcome); });
  });
}

void ViewInstance::on_broadcast(const Broadcast& message) {
  if (ended_ || message.is_binary) return;
  services_.registry.stats.infos.fetch_add(1, std::memory_order_relaxed);
  guarded([&] {
    if (message.topic.starts_with(kStorePrefix)) {
      std::string_view key = std::string_view(message.topic).substr(kStorePrefix.size());
      for (auto& f : stores_followed_) {
        if (f.key != key) continue;
        if (message.event == "patch") on_store_patch(f, message.payload);
        else if (message.event == "lock" || message.event == "unlock") on_store_lock(f, message);
        else if (message.event == "resync" && f.loaded) {  // patches may have been lost: read again
          f.loaded = false;
          load_store(static_cast<std::size_t>(&f - stores_followed_.data()));
        }
      }
    }
    if (subscribed_.contains(message.topic))
      view_->handle_info(Info{Info::Kind::broadcast, message.topic, message.event, message.payload}, *this);
  });
}

void ViewInstance::retry_store(std::size_t index) {
  if (!channel_ || ended_) return;  // the HTTP render shows what it could read
  channel_->after(kStoreRetry, [self = weak_from_this(), index] {
    if (auto view = self.lock(); view && !view->ended_) view->load_store(index);
  });
}

}  // namespace cohort::live
