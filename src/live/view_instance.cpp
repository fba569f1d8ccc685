// view_instance.cpp — one mounted live view: see view_instance.hpp.
#include "live/view_instance.hpp"

#include <boost/json/serialize.hpp>
#include <cstdio>
#include <stdexcept>

#include "cohort/input.hpp"
#include "live/flash.hpp"
#include "net/log_clip.hpp"
#include "log/log.hpp"

namespace cohort::live {

namespace {

const Json kNull = nullptr;

// The client's merge rule (docs/protocol.md, Diffs): a node with "s" replaces, an object merges.
void merge_diff(JsonObject& into, JsonObject from) {
  for (auto& [k, v] : from) {
    Json* old = into.if_contains(k);
    if (old && old->is_object() && v.is_object() && !v.get_object().contains("s"))
      merge_diff(old->get_object(), std::move(v.get_object()));
    else
      into[k] = std::move(v);
  }
}

}  // namespace

// A component's socket: its own assigns and change set; everything else is the view's.
class PlacedComponentSocket final : public ComponentSocket {
 public:
  PlacedComponentSocket(ViewInstance& view, int cid) : view_(view) {
    assign_slot(assigns_, retired_, "myself") = std::to_string(cid);
  }

  using ComponentSocket::assign;
  void assign(std::string_view key, Json value) override {
    auto* old = assigns_.if_contains(key);
    if (old && *old == value) return;
    assign_slot(assigns_, retired_, key) = std::move(value);
    changed_.insert(std::string(key));
  }
  const JsonObject& assigns() const override { return assigns_; }
  const Json& get(std::string_view key) const override {
    auto* v = assigns_.if_contains(key);
    return v ? *v : kNull;
  }
  bool connected() const override { return view_.connected(); }
  const JsonObject& session() const override { return view_.session(); }
  const Actor& actor() const override { return view_.actor(); }
  void push_event(std::string_view event, Json payload) override { view_.push_event(event, std::move(payload)); }
  void page_title(std::string title) override { view_.page_title(std::move(title)); }
  void push_patch(std::string to, bool replace) override { view_.push_patch(std::move(to), replace); }
  void push_navigate(std::string to, bool replace) override { view_.push_navigate(std::move(to), replace); }
  void redirect(std::string to) override { view_.redirect(std::move(to)); }
  void reply(Json value) override { view_.reply(std::move(value)); }
  void track(std::string topic, std::string key, JsonObject meta) override {
    view_.track(std::move(topic), std::move(key), std::move(meta));
  }
  void update_presence(std::string topic, std::string key, JsonObject meta) override {
    view_.update_presence(std::move(topic), std::move(key), std::move(meta));
  }
  void op(std::string key, std::string name, Json args, std::function<void(const OpOutcome&)> done) override {
    view_.op(std::move(key), std::move(name), std::move(args), std::move(done));
  }
  PubSub& pubsub() override { return view_.pubsub(); }
  Presence& presence() override { return view_.presence(); }
  Stores& stores() override { return view_.stores(); }

  Changed& changed() { return changed_; }
  const Changed& changed() const { return changed_; }
  void settle() { settle_assigns(retired_); }

 private:
  ViewInstance& view_;
  JsonObject assigns_;
  RetiredAssigns retired_;
  Changed changed_;
};

struct ViewInstance::PlacedComponent {
  PlacedComponent(ViewInstance& view, int cid, const ComponentType& type)
      : cid(cid), impl(type.factory()), socket(view, cid), rendering(*type.tmpl, /*component_root=*/true) {}
  int cid;
  std::unique_ptr<Component> impl;
  PlacedComponentSocket socket;
  Rendering rendering;
  Json props;
  bool fresh = true;  // never sent to the client: needs a full render
};

ViewInstance::ViewInstance(Services services, const ViewRoute& route, std::string id, JsonObject session)
    : services_(services), route_(route), id_(std::move(id)), session_(std::move(session)) {
  if (const Json* user = session_.if_contains("user"); user && user->is_object()) {
    JsonObject claims;
    if (const Json* uid = input::arg(*user, "id")) claims["sub"] = *uid;
    if (const Json* name = input::arg(*user, "name")) claims["name"] = *name;
    if (const Json* roles = input::arg(*user, "roles")) claims["roles"] = *roles;
    actor_ = Actor::from_claims(claims);
  }
  // What the page before put (flash.hpp), read when the page's session was made: a template
  // reads flash.<kind> from the first render on.
  const Json* flash = session_.if_contains("flash");
  assign_slot(assigns_, retired_assigns_, "flash") = flash && flash->is_object() ? *flash : Json(JsonObject{});
  view_ = route_.factory();
  services_.registry.stats.views_mounted.fetch_add(1, std::memory_order_relaxed);
  services_.registry.stats.views_open.fetch_add(1, std::memory_order_relaxed);
}

ViewInstance::~ViewInstance() {
  terminate("closed");
  services_.registry.stats.views_open.fetch_sub(1, std::memory_order_relaxed);
}

void ViewInstance::attach(ChannelContext& channel) {
  channel_ = &channel;
  channel_handle_ = channel.handle();
}

namespace {
// Whether a view at path is in scope: the scope itself or under it, on whole segments.
bool in_scope(std::string_view path, std::string_view scope) {
  if (scope.empty() || scope == "/") return true;
  if (!path.starts_with(scope)) return false;
  return path.size() == scope.size() || path[scope.size()] == '/' || scope.back() == '/';
}
}  // namespace

bool ViewInstance::mount_allowed(const Params& params) {
  for (const auto& m : services_.registry.on_mount) {
    if (!in_scope(route_.path, m.scope) || m.hook(params, session_, *this) == OnMount::proceed) continue;
    if (!effects_.redirect && !effects_.navigate) effects_.redirect = "/";
    return false;
  }
  return true;
}

void ViewInstance::start(const Params& params, std::string url, std::function<void()> ready) {
  url_ = std::move(url);
  if (!route_.title.empty()) page_title(route_.title);
  if (!route_.child && !mount_allowed(params)) {  // sent elsewhere before mount: the join or the GET redirects
    ready_ = std::move(ready);
    return check_ready();
  }
  track_visitor();
  mounted_ = true;
  if (channel_) {
    counted_ = true;
    route_.open->fetch_add(1, std::memory_order_relaxed);
  }
  view_->mount(params, session_, *this);
  if (!route_.child) view_->handle_params(params, url_, *this);
  ready_ = std::move(ready);
  check_ready();
}

void ViewInstance::track_visitor() {
  const auto& topic = services_.registry.visitors_topic;
  const Json* user = session_.if_contains("user");
  if (topic.empty() || !connected() || route_.child || !user || !user->is_object()) return;
  std::string_view path, query;
  split_url(url_, path, query);
  JsonObject meta{{"page", path}, {"view", id_}};
  for (auto name : {"name", "color"})
    if (const Json* v = input::arg(*user, name)) meta[name] = *v;
  const Json* uid = input::arg(*user, "id");
  if (uid && uid->is_string()) track(topic, std::string(uid->get_string()), std::move(meta));
}

void ViewInstance::check_ready() {
  if (pending_ > 0 || !ready_) return;
  auto ready = std::move(ready_);
  ready_ = nullptr;
  ready();
}

// --- Assigns ---

void ViewInstance::assign(std::string_view key, Json value) {
  auto* old = assigns_.if_contains(key);
  if (old && *old == value) return;
  assign_slot(assigns_, retired_assigns_, key) = std::move(value);
  changed_.insert(std::string(key));
  for (auto& follow : stores_followed_)
    if (follow.assign == key) follow.own = true;  // no longer the store's state alone
}

const Json& ViewInstance::get(std::string_view key) const {
  auto* v = assigns_.if_contains(key);
  return v ? *v : kNull;
}

// --- Effects ---

void ViewInstance::push_event(std::string_view event, Json payload) {
  effects_.events.push_back(json::array{json::string(event), std::move(payload)});
  if (!ready_) schedule_render();
}

void ViewInstance::page_title(std::string title) {
  effects_.title = std::move(title);
  if (!ready_) schedule_render();
}

void ViewInstance::push_patch(std::string to, bool replace) {
  effects_.patch = JsonObject{{"to", to}, {"kind", replace ? "replace" : "push"}};
  patch_pending_ = true;
  if (!ready_) schedule_render();
}

Effects ViewInstance::take_effects() {
  Effects e = std::exchange(effects_, {});
  if ((e.redirect || e.navigate) && services_.registry.signer)
    e.flash = flash_token(*services_.registry.signer, get("flash").is_object() ? get("flash").get_object() : JsonObject{});
  return e;
}

JsonObject ViewInstance::carrying_flash(JsonObject payload) const {
  const Json& flash = get("flash");
  if (services_.registry.signer && flash.is_object() && !flash.get_object().empty())
    payload["flash"] = flash_token(*services_.registry.signer, flash.get_object());
  return payload;
}

void ViewInstance::put_flash(std::string_view kind, std::string message) {
  JsonObject flash = get("flash").is_object() ? get("flash").get_object() : JsonObject{};
  flash[kind] = std::move(message);
  assign("flash", std::move(flash));
}

void ViewInstance::clear_flash(std::string_view kind) {
  JsonObject flash = get("flash").is_object() ? get("flash").get_object() : JsonObject{};
  if (kind.empty()) flash.clear();
  else flash.erase(kind);
  assign("flash", std::move(flash));
}

void ViewInstance::push_navigate(std::string to, bool replace) {
  effects_.navigate = JsonObject{{"to", to}, {"kind", replace ? "replace" : "push"}};
  if (!ready_) schedule_render();
}

void ViewInstance::redirect(std::string to) {
  effects_.redirect = std::move(to);
  if (!ready_) schedule_render();
}

// A push_patch to a URL of this same view runs handle_params now (Phoenix does the same);
// to another view it becomes a live navigation.
void ViewInstance::apply_patch_effect() {
  if (!effects_.patch || !std::exchange(patch_pending_, false)) return;
  std::string to = std::string((*effects_.patch)["to"].get_string());
  std::string_view path, query;
  split_url(to, path, query);
  auto match = services_.registry.router.match(path, query);
  if (!match || &services_.registry.views[match->route_index] != &route_) {
    effects_.navigate = std::move(effects_.patch);
    effects_.patch.reset();
    return;
  }
  url_ = to;
  view_->handle_params(match->params, url_, *this);
}

// --- Rendering ---

// A render starts where no handler runs: what grown assigns left behind can go.
void ViewInstance::drop_retired_assigns() {
  settle_assigns(retired_assigns_);
  for (auto& [_, comp] : components_) comp->socket.settle();
}

JsonObject ViewInstance::render_full() {
  const auto started = std::chrono::steady_clock::now();
  drop_retired_assigns();
  apply_patch_effect();
  rendering_.emplace(*route_.tmpl);
  changed_.clear();
  JsonObject tree = rendering_->render_full(assigns_, this, &streams_);
  JsonObject c;
  render_components(c, /*full=*/true);
  if (!c.empty()) tree["c"] = std::move(c);
  if (effects_.title) tree["t"] = *std::exchange(effects_.title, std::nullopt);
  if (!effects_.events.empty()) tree["e"] = std::exchange(effects_.events, {});
  note_rendered();
  last_render_ = std::chrono::steady_clock::now();
  services_.registry.stats.renders.fetch_add(1, std::memory_order_relaxed);
  services_.registry.stats.render_seconds.observe_duration(last_render_ - started);
  return tree;
}

JsonObject ViewInstance::render_diff() {
  const auto started = std::chrono::steady_clock::now();
  drop_retired_assigns();
  apply_patch_effect();
  // Before the first full render there is nothing to diff against: a client can push an event
  // or a patch before its join is answered (the join waits for its stores). The join's full
  // render carries what they changed.
  if (!rendering_) return {};
  JsonObject diff;
  if (!changed_.empty()) {
    Changed changed = std::exchange(changed_, {});
    diff = rendering_->render_diff(assigns_, changed, this, &streams_);
  }
  JsonObject c;
  render_components(c, /*full=*/false);
  if (!c.empty()) diff["c"] = std::move(c);
  if (effects_.title) diff["t"] = *std::exchange(effects_.title, std::nullopt);
  if (!effects_.events.empty()) diff["e"] = std::exchange(effects_.events, {});
  if (effects_.reply) diff["r"] = *std::exchange(effects_.reply, std::nullopt);
  note_rendered();
  last_render_ = std::chrono::steady_clock::now();
  services_.registry.stats.renders.fetch_add(1, std::memory_order_relaxed);
  services_.registry.stats.render_seconds.observe_duration(last_render_ - started);
  return diff;
}

// Components placed during the render, and components whose own assigns changed, render into
// c. Rendering one may place or update others, so this runs until nothing is left; a later diff
// of a component already in c is merged onto it as the client would merge it.
void ViewInstance::render_components(JsonObject& c, bool full) {
  if (full)
    for (auto& [cid, comp] : components_) comp->fresh = true;
  for (bool again = true; again;) {
    again = false;
    for (auto& [cid, comp] : components_) {
      std::string key = std::to_string(cid);
      if (comp->fresh) {
        comp->fresh = false;
        comp->socket.changed().clear();
        c[key] = comp->rendering.render_full(comp->socket.assigns(), this, nullptr);
        again = true;
      } else if (!comp->socket.changed().empty()) {
        Changed changed = std::exchange(comp->socket.changed(), {});
        JsonObject d = comp->rendering.render_diff(comp->socket.assigns(), changed, this, nullptr);
        if (d.empty()) continue;
        if (auto* prev = c.if_contains(key)) merge_diff(prev->as_object(), std::move(d));
        else c[key] = std::move(d);
        again = true;
      }
    }
  }
}

int ViewInstance::place(std::string_view type, const Json& props) {
  auto found_type = services_.registry.components.find(type);
  if (found_type == services_.registry.components.end())
    throw std::runtime_error("unknown component type '" + std::string(type) + "'");
  const Json* id = input::arg(props, "id");
  if (!id) throw std::runtime_error("component '" + std::string(type) + "' placed without an \"id\" in its props");
  std::string key = std::string(type) + '\x1f' + json::serialize(*id);
  auto it = cid_by_key_.find(key);
  PlacedComponent* comp;
  if (it == cid_by_key_.end()) {
    int cid = next_cid_++;
    auto created = std::make_unique<PlacedComponent>(*this, cid, found_type->second);
    comp = created.get();
    components_.emplace(cid, std::move(created));
    cid_by_key_.emplace(std::move(key), cid);
    comp->impl->mount(comp->socket);
  } else {
    comp = components_.at(it->second).get();
    if (comp->props == props) return comp->cid;
  }
  comp->props = props;
  comp->impl->update(props.is_object() ? props.get_object() : JsonObject{}, comp->socket);
  return comp->cid;
}

json::array ViewInstance::destroy_components(const json::array& cids) {
  json::array removed;
  for (const auto& v : cids) {
    if (!v.is_number()) continue;
    int cid = static_cast<int>(v.to_number<double>());
    auto it = components_.find(cid);
    if (it == components_.end()) continue;
    for (auto k = cid_by_key_.begin(); k != cid_by_key_.end(); ++k)
      if (k->second == cid) {
        cid_by_key_.erase(k);
        break;
      }
    components_.erase(it);
    removed.push_back(cid);
  }
  return removed;
}

// --- Client pushes ---

// The event's handler, the view's or a component's (handle_event and its reply: view_reply.cpp).
void ViewInstance::run_event(std::string_view event, const Json& value, std::optional<int> cid) {
  services_.registry.stats.events.fetch_add(1, std::memory_order_relaxed);
  if (cid) {
    auto it = components_.find(*cid);
    // A component the client still shows but the server dropped: nothing to do (Phoenix
    // logs the same and answers).
    if (it != components_.end()) it->second->impl->handle_event(event, value, it->second->socket);
  } else if (event == "lv:clear-flash") {  // the client's own event: the view never sees it
    clear_flash(value.is_object() && value.get_object().contains("key") && value.at("key").is_string()
                    ? std::string_view(value.at("key").get_string())
                    : std::string_view{});
  } else {
    view_->handle_event(event, value, *this);
  }
}

JsonObject ViewInstance::event_response() {
  JsonObject response;
  if (effects_.redirect)
    response["redirect"] = carrying_flash(JsonObject{{"to", *std::exchange(effects_.redirect, std::nullopt)}});
  JsonObject diff = render_diff();  // runs a push_patch's handle_params first
  if (effects_.navigate) response["live_redirect"] = carrying_flash(*std::exchange(effects_.navigate, std::nullopt));
  if (effects_.patch) response["live_patch"] = *std::exchange(effects_.patch, std::nullopt);
  if (!diff.empty()) response["diff"] = std::move(diff);
  return response;
}

JsonObject ViewInstance::handle_live_patch(std::string_view url) {
  std::string_view path, query;
  split_url(url, path, query);
  auto match = services_.registry.router.match(path, query);
  if (!match || &services_.registry.views[match->route_index] != &route_)
    return JsonObject{{"link_redirect", true}};
  url_ = std::string(url);
  view_->handle_params(match->params, url_, *this);
  JsonObject diff = render_diff();
  JsonObject response;
  if (!diff.empty()) response["diff"] = std::move(diff);
  return response;
}

void ViewInstance::terminate(std::string_view reason) {
  if (ended_) return;
  ended_ = true;
  if (counted_) route_.open->fetch_sub(1, std::memory_order_relaxed);
  if (channel_ && mounted_) {  // a view an on_mount hook kept from mounting has nothing to end
    try {
      view_->terminate(reason, *this);
    } catch (const std::exception& e) {
      log::event(log::Category::live, log::Level::error, "terminate_threw",
                 {{"view", route_.path}, {"error", net::log_clip(e.what())}});
    }
  }
  stop_async();
  reply_wait_.reset();  // the channel is gone: nobody to answer
  for (const auto& topic : listening_) services_.pubsub.unsubscribe(topic, this);
  listening_.clear();
  for (auto& f : presences_followed_) f.watch.reset();
  if (presence_owner_) services_.presence.untrack_all(presence_owner_);
  if (store_session_)
    for (const auto& key : store_keys_used_) services_.stores.end_session(key, store_session_);
  end_uploads();
  channel_ = nullptr;
}

// --- Timers ---

void ViewInstance::send_after(std::chrono::milliseconds delay, Json message) {
  if (!channel_ || ended_) return;
  channel_->after(delay, [self = weak_from_this(), message = std::move(message)] {
    auto view = self.lock();
    if (!view || view->ended_) return;
    view->guarded([&] { view->view_->handle_info(Info{Info::Kind::timer, "", "", message}, *view); });
  });
}

// --- Streams ---

void ViewInstance::stream_insert(std::string_view name, Json item, int at, std::optional<int> limit) {
  streams_[std::string(name)].inserts.push_back(StreamInsert{std::move(item), at, limit, false});
  touch(name);
  if (!ready_) schedule_render();
}

void ViewInstance::stream_delete(std::string_view name, std::string dom_id) {
  streams_[std::string(name)].deletes.push_back(std::move(dom_id));
  touch(name);
  if (!ready_) schedule_render();
}

void ViewInstance::stream_reset(std::string_view name) {
  auto& ops = streams_[std::string(name)];
  ops = StreamOps{};
  ops.reset = true;
  touch(name);
  if (!ready_) schedule_render();
}

// --- Messages and batching ---

void ViewInstance::guarded(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    static log::Throttled& line = log::throttled(log::Category::live, log::Level::error, "view_crashed");
    line.event({{"view", route_.path}, {"error", net::log_clip(e.what())}});
    if (auto channel = channel_handle_.lock()) channel->crash(e.what());
    return;
  }
  schedule_render();
}

void ViewInstance::schedule_render() {
  if (reply_wait_) return check_reply();  // the reply renders, once it is due
  if (!channel_ || ended_ || ready_ || render_armed_ || !rendering_) return;
  render_armed_ = true;
  auto due = last_render_ + services_.registry.frame;
  auto now = std::chrono::steady_clock::now();
  // Rounded up: rounded down, the frame would come up to 1 ms before the interval has passed.
  auto delay = due > now ? std::chrono::ceil<std::chrono::milliseconds>(due - now) : std::chrono::milliseconds(0);
  channel_->after(delay, [self = weak_from_this()] {
    if (auto view = self.lock()) view->render_frame();
  });
}

void ViewInstance::render_frame() {
  render_armed_ = false;
  if (!channel_ || ended_ || reply_wait_) return;  // a waiting reply will carry the changes
  JsonObject diff;
  try {
    if (std::string key = share_key(); !key.empty()) return send_shared(key);
    diff = render_diff();
  } catch (const std::exception& e) {
    log::event(log::Category::live, log::Level::error, "render_failed",
               {{"view", route_.path}, {"error", net::log_clip(e.what())}});
    if (auto channel = channel_handle_.lock()) channel->crash(e.what());
    return;
  }
  if (effects_.redirect)
    channel_->push("redirect", carrying_flash(JsonObject{{"to", *std::exchange(effects_.redirect, std::nullopt)}}));
  if (effects_.navigate) channel_->push("live_redirect", carrying_flash(*std::exchange(effects_.navigate, std::nullopt)));
  if (effects_.patch) channel_->push("live_patch", *std::exchange(effects_.patch, std::nullopt));
  if (diff.empty()) return;
  std::string payload = json::serialize(diff);
  services_.registry.stats.diff_bytes.observe(payload.size());
  channel_->push_encoded("diff", payload);
}

bool ViewInstance::components_quiet() const {
  for (const auto& [cid, comp] : components_)
    if (comp->fresh || !comp->socket.changed().empty()) return false;
  return true;
}

}  // namespace cohort::live
