// live_harness.cpp — LiveHarness and Page (cohort/testing.hpp): live views mounted and driven
// as the browser client would drive them, without a browser.
//
// A Page is one ViewInstance attached to a harness channel, exactly as a join on the /live
// socket makes it; what the client would send (events by the element's phx-* attributes, forms
// URL-encoded and decoded by the live layer's own decoder) goes to the view's handle_event, and
// what the view sends (the reply's diff, later diffs, navigation) is merged into the Page's
// ClientTree, whose HTML the selectors read.
#include <unistd.h>

#include <atomic>
#include <boost/json/serialize.hpp>
#include <boost/url/encode.hpp>
#include <filesystem>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "cohort/testing.hpp"
#include "live/async_pool.hpp"
#include "live/flash.hpp"
#include "live/form.hpp"
#include "live/page.hpp"
#include "live/registry.hpp"
#include "live/rendering.hpp"
#include "live/router.hpp"
#include "live/view_instance.hpp"
#include "live/view_uploads.hpp"
#include "testing/client_tree.hpp"
#include "testing/harness_channel.hpp"
#include "testing/html_query.hpp"
#include "testing/runtime.hpp"

namespace cohort::testing {

struct LiveHarness::Impl {
  std::string templates_dir;
  live::Registry registry;
  bool linked = false;
  int pages = 0;
  std::uint64_t elsewhere = 0;  // the presence owner of track()
  live::AsyncPool async{0, 10'000};  // manual: run_async() runs its tasks
  std::string uploads_dir;       // Page::upload's temporary files

  // Templates linked and routes known (once), stores in use: the view that serves url, with its
  // params; Failure for a template error or a url no view serves ("" only links).
  std::pair<const live::ViewRoute*, JsonObject> ready_for(Runtime& runtime, const std::string& url);
  // Mounts route's view connected, as the page of `id` holding session; Failure if it threw.
  static Page open(const std::shared_ptr<Runtime>& runtime, const std::shared_ptr<Impl>& live, const live::ViewRoute& route,
                   JsonObject params, std::string id, JsonObject session, std::string url);
};

namespace {

// The lv:<id> channel's handler as the harness holds a view: its end ends the view.
class ViewHolder final : public Channel {
 public:
  explicit ViewHolder(std::shared_ptr<live::ViewInstance> view) : view_(std::move(view)) {}
  JoinResult join(const Json&, ChannelContext&) override { return JoinResult::accept(); }
  Reply handle_in(std::string_view, const Payload&, ChannelContext&) override { return Reply::none(); }
  void terminate(std::string_view reason, ChannelContext&) override { view_->terminate(reason); }
  bool deliver(const Broadcast&) override { return false; }

 private:
  std::shared_ptr<live::ViewInstance> view_;
};

std::string url_encode(std::string_view text) {
  return boost::urls::encode(text, boost::urls::unreserved_chars);
}

std::string as_text(const Json& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_null()) return "";
  return json::serialize(v);
}

JsonObject phx_values(HtmlDocument::Element e) {
  JsonObject values;
  for (const auto& [name, value] : HtmlDocument::attributes(e))
    if (name.starts_with("phx-value-")) values[name.substr(10)] = value;
  return values;
}

std::optional<int> target_cid(HtmlDocument::Element e) {
  auto target = HtmlDocument::attribute(e, "phx-target");
  if (!target) return std::nullopt;
  if (target->empty() || target->find_first_not_of("0123456789") != std::string::npos)
    throw Failure("phx-target=\"" + *target + "\": the harness sends to a component by its cid ({{myself}}) only");
  return std::stoi(*target);
}

}  // namespace

struct Page::Impl {
  std::shared_ptr<Runtime> runtime;
  std::shared_ptr<LiveHarness::Impl> live;
  std::shared_ptr<live::ViewInstance> view;
  std::shared_ptr<HarnessChannel> channel;
  ClientTree tree;
  std::vector<PushedEvent> events;
  std::vector<Navigation> navigation;
  std::optional<Json> reply;

  void take_effects_of(JsonObject& diff) {
    if (Json* e = diff.if_contains("e"); e && e->is_array())
      for (const auto& pair : e->get_array())
        events.push_back(PushedEvent{std::string(pair.get_array().at(0).get_string()), pair.get_array().at(1)});
    if (Json* r = diff.if_contains("r")) reply = *r;
  }
  void navigated(std::string kind, const Json& to) {
    const JsonObject& o = to.get_object();
    const Json* replace = o.if_contains("kind");
    const Json* flash = o.if_contains("flash");
    navigation.push_back(Navigation{std::move(kind), std::string(o.at("to").get_string()),
                                    replace && replace->is_string() && replace->get_string() == "replace",
                                    flash && flash->is_string() ? std::string(flash->get_string()) : std::string()});
  }
  // What the channel carries to the client.
  void receive(ChannelMessage m) {
    if (m.event == "diff") {
      take_effects_of(m.payload.get_object());
      tree.merge(std::move(m.payload.get_object()));
    } else if (m.event == "redirect") {
      navigated("redirect", m.payload);
    } else if (m.event == "live_redirect") {
      navigated("navigate", m.payload);
    } else if (m.event == "live_patch") {
      navigated("patch", m.payload);
    }
  }
  // A reply to one of the client's pushes.
  void answered(JsonObject response) {
    if (Json* d = response.if_contains("diff")) {
      take_effects_of(d->get_object());
      tree.merge(std::move(d->get_object()));
    }
    if (const Json* r = response.if_contains("redirect")) navigated("redirect", *r);
    if (const Json* r = response.if_contains("live_redirect")) navigated("navigate", *r);
    if (const Json* r = response.if_contains("live_patch")) navigated("patch", *r);
  }
  void check_alive() const {
    if (!view) throw Failure("the page was closed");
    if (channel->errored()) throw Failure("the view crashed: " + channel->crash_reason());
  }
  // Runs a client push on the reactor: the view's handling, its reply applied; a throw is a crash.
  void push(const std::function<JsonObject()>& handle) {
    check_alive();
    std::optional<std::string> thrown;
    runtime->run([&] {
      try {
        answered(handle());
      } catch (const std::exception& e) {
        thrown = e.what();
        channel->crash(e.what());
      }
    });
    if (thrown) throw Failure("the view threw: " + *thrown);
    check_alive();
  }
  // As the channel does: a reply that waits for the event's store ops comes once they are done.
  void event(std::string name, Json value, std::optional<int> cid) {
    auto later = std::make_shared<std::optional<JsonObject>>();
    bool waits = false;
    push([&] {
      auto now = view->handle_event(name, value, cid, [later](JsonObject r) { *later = std::move(r); });
      waits = !now;
      return now ? std::move(*now) : JsonObject{};
    });
    if (!waits) return;
    runtime->until([&] { return later->has_value() || !view || channel->errored(); }, "the reply to \"" + name + "\"");
    check_alive();
    answered(std::move(**later));
  }
  void form_event(std::string_view form, std::string_view attr, JsonObject fields, bool target);
  Json upload(std::string_view form, const std::vector<UploadFile>& files);
  void send_file(const JsonObject& preflight, const std::string& entry_ref, const std::string& bytes);
  int next_file_ref = 0;  // the client numbers the files a page chooses: "0", "1", ...
  void element_event(std::string_view selector, std::string_view attr, JsonObject values);
};

void Page::Impl::element_event(std::string_view selector, std::string_view attr, JsonObject values) {
  check_alive();
  HtmlDocument doc(tree.html());
  auto e = doc.first(selector, std::string(attr));
  auto name = HtmlDocument::attribute(e, attr);
  if (!name) throw Failure("\"" + std::string(selector) + "\" has no " + std::string(attr));
  if (name->starts_with("[")) throw Failure(std::string(attr) + " with JS commands is not supported by the harness");
  JsonObject value = phx_values(e);
  for (auto& [k, v] : values) value[k] = v;
  event(*name, std::move(value), target_cid(e));
}

void Page::Impl::form_event(std::string_view form, std::string_view attr, JsonObject fields, bool with_target) {
  check_alive();
  HtmlDocument doc(tree.html());
  auto e = doc.first(form, std::string(attr));
  auto name = HtmlDocument::attribute(e, attr);
  if (!name) throw Failure("\"" + std::string(form) + "\" has no " + std::string(attr));
  std::vector<std::pair<std::string, std::string>> sent;
  for (auto& [field, value] : HtmlDocument::form_fields(e))
    if (!fields.contains(field)) sent.emplace_back(field, value);
  for (const auto& [field, value] : fields) {
    if (value.is_array())
      for (const auto& v : value.get_array()) sent.emplace_back(field, as_text(v));
    else
      sent.emplace_back(field, as_text(value));
  }
  std::string encoded;
  for (const auto& [field, value] : sent) encoded += (encoded.empty() ? "" : "&") + url_encode(field) + "=" + url_encode(value);
  auto decoded = live::decode_form(encoded, live->registry.parsers.form_max_depth);
  if (decoded.error) throw Failure("the form could not be sent: " + *decoded.error);
  if (with_target && !fields.empty()) decoded.fields["_target"] = live::field_path(fields.begin()->key());
  event(*name, std::move(decoded.fields), target_cid(e));
}

Json Page::Impl::upload(std::string_view form, const std::vector<UploadFile>& files) {
  check_alive();
  HtmlDocument doc(tree.html());
  std::string selector = std::string(form) + " input[data-phx-upload-ref]";
  auto input = doc.first(selector, "upload");
  std::string upload_ref = HtmlDocument::attribute(input, "data-phx-upload-ref").value_or("");
  std::string name = HtmlDocument::attribute(input, "name").value_or("");
  json::array declared;
  std::vector<std::pair<std::string, const std::string*>> sending;
  for (const auto& f : files) {
    std::string ref = std::to_string(next_file_ref++);
    declared.push_back(JsonObject{{"path", name}, {"ref", ref}, {"name", f.name}, {"relative_path", ""},
                                  {"type", f.type}, {"size", f.bytes.size()}, {"last_modified", 0}});
    sending.emplace_back(ref, &f.bytes);
  }
  Json uploads = JsonObject{{upload_ref, declared}};
  push([&] {
    view->declare_uploads(uploads);
    return JsonObject{};
  });
  form_event(form, "phx-change", JsonObject{{"_target", json::array{json::string_view(name)}}}, false);
  JsonObject preflight;
  push([&] {
    preflight = view->handle_allow_upload(JsonObject{{"ref", upload_ref}, {"entries", declared}});
    JsonObject copy = preflight;
    preflight.erase("diff");
    return copy;
  });
  if (const Json* tokens = preflight.if_contains("entries"); tokens && tokens->is_object())
    for (const auto& [ref, bytes] : sending)
      if (tokens->get_object().contains(ref)) send_file(preflight, ref, *bytes);
  return preflight;
}

// One file through its lvu: channel's checks (the token, the limits), as its chunks would go.
void Page::Impl::send_file(const JsonObject& preflight, const std::string& entry_ref, const std::string& bytes) {
  std::string token(preflight.at("entries").at(entry_ref).as_string());
  std::string upload_ref(preflight.at("ref").as_string());
  std::string refusal;
  runtime->run([&] {
    auto claims = live::ViewUploads::verify(runtime->signer, token);
    auto uploads = claims ? live::find_uploads(claims->view) : nullptr;
    if (!uploads) return void(refusal = "invalid_token");
    std::size_t chunk = 0;
    auto receiving = uploads->start(claims->upload, entry_ref, refusal);
    if (receiving) chunk = receiving->chunk_size;
    for (std::size_t at = 0; receiving && at < bytes.size() && refusal.empty(); at += chunk)
      refusal = uploads->chunk(claims->upload, entry_ref, std::string_view(bytes).substr(at, chunk));
  });
  if (!refusal.empty()) throw Failure("the upload of file " + entry_ref + " was refused: " + refusal);
  push([&] {
    return view->handle_progress(JsonObject{{"ref", upload_ref}, {"entry_ref", entry_ref}, {"progress", 100}});
  });
}

Page::Page(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Page::Page(Page&&) noexcept = default;
Page& Page::operator=(Page&&) noexcept = default;
Page::~Page() {
  if (impl_ && impl_->view) close();
}

std::string Page::html() const { return impl_->tree.html(); }
std::string Page::title() const { return impl_->tree.title(); }
bool Page::has(std::string_view selector) const { return count(selector) > 0; }
std::size_t Page::count(std::string_view selector) const { return HtmlDocument(html()).select(selector).size(); }
std::string Page::text(std::string_view selector) const {
  HtmlDocument doc(html());
  return HtmlDocument::text(doc.first(selector, "text"));
}
std::string Page::element_html(std::string_view selector) const {
  HtmlDocument doc(html());
  return HtmlDocument::outer_html(doc.first(selector, "element_html"));
}
std::optional<std::string> Page::attribute(std::string_view selector, std::string_view name) const {
  HtmlDocument doc(html());
  return HtmlDocument::attribute(doc.first(selector, "attribute"), name);
}

void Page::click(std::string_view selector, JsonObject values) { impl_->element_event(selector, "phx-click", std::move(values)); }
void Page::change(std::string_view form, JsonObject fields) { impl_->form_event(form, "phx-change", std::move(fields), true); }
void Page::submit(std::string_view form, JsonObject fields) { impl_->form_event(form, "phx-submit", std::move(fields), false); }
void Page::keydown(std::string_view selector, std::string key) {
  impl_->element_event(selector, "phx-keydown", JsonObject{{"key", key}});
}
void Page::keyup(std::string_view selector, std::string key) {
  impl_->element_event(selector, "phx-keyup", JsonObject{{"key", key}});
}
void Page::blur(std::string_view selector) { impl_->element_event(selector, "phx-blur", {}); }
void Page::focus(std::string_view selector) { impl_->element_event(selector, "phx-focus", {}); }

Json Page::hook_event(std::string_view event, Json payload, std::string_view target) {
  std::optional<int> cid;
  if (!target.empty()) {
    HtmlDocument doc(html());
    cid = target_cid(doc.first(target, "hook_event's target"));
    if (!cid) throw Failure("\"" + std::string(target) + "\" has no phx-target: no component to send to");
  }
  impl_->reply.reset();
  impl_->event(std::string(event), std::move(payload), cid);
  return impl_->reply.value_or(Json(nullptr));
}

void Page::patch(std::string url) {
  impl_->push([&] { return impl_->view->handle_live_patch(url); });
}

Json Page::upload(std::string_view form, std::vector<UploadFile> files) { return impl_->upload(form, files); }

std::vector<PushedEvent> Page::take_events() { return std::exchange(impl_->events, {}); }
std::vector<Navigation> Page::take_navigation() { return std::exchange(impl_->navigation, {}); }

JsonObject Page::assigns() const {
  impl_->check_alive();
  JsonObject out;
  impl_->runtime->run([&] { out = impl_->view->assigns(); });
  return out;
}

void Page::close() {
  if (!impl_->view) return;
  impl_->runtime->run([this] {  // on the reactor: ending them unsubscribes and untracks
    impl_->channel->end("closed");
    impl_->view.reset();
    impl_->channel.reset();
  });
}

// ---------------------------------------------------------------- LiveHarness

LiveHarness::LiveHarness() : LiveHarness(Options{}) {}
LiveHarness::LiveHarness(Options options)
    : runtime_(std::make_shared<Runtime>(false, StoreLimits{})),
      stores_(runtime_),
      impl_(std::make_shared<Impl>()) {
  impl_->templates_dir = std::move(options.templates_dir);
  impl_->registry.frame = std::chrono::milliseconds(0);  // every render at once: the clock is the test's
  impl_->registry.views.reserve(256);                     // routes are held by reference
  impl_->registry.signer = &runtime_->signer;             // the flash a navigation carries
  // Page::upload's files: a directory of this harness's own, gone with it.
  static std::atomic<int> harnesses{0};
  impl_->uploads_dir = (std::filesystem::temp_directory_path() /
                        ("cohort-harness-uploads-" + std::to_string(::getpid()) + "-" + std::to_string(++harnesses)))
                           .string();
  if (auto e = live::prepare_upload_dir(impl_->uploads_dir)) throw Failure(*e);
  impl_->registry.uploads.dir = impl_->uploads_dir;
  impl_->registry.uploads.max_temp_bytes = std::int64_t{1} << 30;
  impl_->registry.uploads.max_chunk = std::size_t{1} << 20;
}
LiveHarness::~LiveHarness() {
  std::error_code ec;
  std::filesystem::remove_all(impl_->uploads_dir, ec);
}

LiveHarness& LiveHarness::view(std::string path, std::string template_name, live::ViewFactory factory, std::string title) {
  if (impl_->linked) throw Failure("view(" + in_quotes(path) + ") after the first mount");
  if (impl_->registry.views.size() == impl_->registry.views.capacity()) throw Failure("too many views for one harness");
  impl_->registry.views.push_back(live::ViewRoute{std::move(path), std::move(template_name), std::move(title), std::move(factory)});
  return *this;
}

LiveHarness& LiveHarness::component(std::string type, std::string template_name, live::ComponentFactory factory) {
  if (impl_->linked) throw Failure("component(" + in_quotes(type) + ") after the first mount");
  impl_->registry.components[std::move(type)] = live::ComponentType{std::move(template_name), std::move(factory)};
  return *this;
}

LiveHarness& LiveHarness::child_view(std::string name, std::string template_name, live::ViewFactory factory) {
  if (impl_->linked) throw Failure("child_view(" + in_quotes(name) + ") after the first mount");
  live::ViewRoute route{name, std::move(template_name), "", std::move(factory)};
  route.child = true;
  impl_->registry.child_views.insert_or_assign(std::move(name), std::move(route));
  return *this;
}

LiveHarness& LiveHarness::on_mount(std::string scope, live::OnMountHook hook) {
  if (impl_->linked) throw Failure("on_mount(" + in_quotes(scope) + ") after the first mount");
  impl_->registry.on_mount.push_back(live::MountHook{std::move(scope), std::move(hook)});
  return *this;
}

StoreHarness& LiveHarness::stores() { return stores_; }

namespace {

// The route of url, with its params; Failure when no view serves it.
std::pair<const live::ViewRoute*, JsonObject> route_of(live::Registry& reg, const std::string& url) {
  std::string_view path, query;
  live::split_url(url, path, query);
  auto match = reg.router.match(path, query);
  if (!match) throw Failure("no view serves " + url);
  return {&reg.views[match->route_index], match->params};
}

JsonObject session_of(JsonObject user) {
  const Json* id = user.if_contains("id");
  if (!id || !id->is_string() || id->get_string().empty()) throw Failure("a user needs a non-empty string \"id\"");
  return JsonObject{{"user", std::move(user)}};
}

}  // namespace

std::pair<const live::ViewRoute*, JsonObject> LiveHarness::Impl::ready_for(Runtime& runtime, const std::string& url) {
  if (!linked) {
    if (auto errors = live::link_registry(registry, templates_dir); !errors.empty()) throw Failure(errors);
    linked = true;
  }
  runtime.use_stores();
  if (url.empty()) return {nullptr, {}};
  return route_of(registry, url);
}

Page LiveHarness::mount(std::string url, JsonObject user, std::string flash) {
  auto [route, params] = impl_->ready_for(*runtime_, url);
  JsonObject session = session_of(std::move(user));
  if (JsonObject carried = live::flash_of(runtime_->signer, flash); !carried.empty()) session["flash"] = std::move(carried);
  std::string id = "phx-harness-" + std::to_string(++impl_->pages);
  return Impl::open(runtime_, impl_, *route, std::move(params), std::move(id), std::move(session), "http://localhost" + url);
}

Page LiveHarness::mount_child(std::string name, std::string id, JsonObject session, JsonObject user) {
  impl_->ready_for(*runtime_, "");
  auto found = impl_->registry.child_views.find(name);
  if (found == impl_->registry.child_views.end()) throw Failure("no child view " + in_quotes(name));
  JsonObject claims = session_of(std::move(user));
  claims["view"] = name;
  claims["session"] = session;
  return Impl::open(runtime_, impl_, found->second, std::move(session), std::move(id), std::move(claims), "");
}

Page LiveHarness::Impl::open(const std::shared_ptr<Runtime>& runtime, const std::shared_ptr<Impl>& live,
                             const live::ViewRoute& route, JsonObject params, std::string id, JsonObject session,
                             std::string url) {
  auto page = std::make_unique<Page::Impl>();
  page->runtime = runtime;
  page->live = live;
  Page::Impl* p = page.get();
  std::string what = url.empty() ? "child view " + route.path : url;
  auto ready = std::make_shared<std::optional<bool>>();
  runtime->run([&] {
    live::Services services{runtime->pubsub, runtime->tracker, *runtime->stores, live->registry, &live->async};
    p->view = std::make_shared<live::ViewInstance>(services, route, id, std::move(session));
    p->channel = std::make_shared<HarnessChannel>(*runtime, "lv:" + id, JsonObject{},
                                                  [p](ChannelMessage m) { p->receive(std::move(m)); });
    p->channel->join(std::make_unique<ViewHolder>(p->view), JsonObject{});
    p->view->attach(*p->channel);
    try {
      p->view->start(params, url, [ready] { *ready = true; });
    } catch (const std::exception& e) {
      p->channel->crash(e.what());
      *ready = false;
    }
  });
  if (!runtime->await(ready, "the mount of " + what)) throw Failure("the view of " + what + " threw in mount: " + p->channel->crash_reason());
  runtime->run([p] {
    JsonObject full = p->view->render_full();
    live::Effects effects = p->view->take_effects();
    auto with_flash = [&](JsonObject payload) {
      if (!effects.flash.empty()) payload["flash"] = effects.flash;
      return payload;
    };
    if (effects.redirect) p->navigated("redirect", with_flash(JsonObject{{"to", *effects.redirect}}));
    if (effects.navigate) p->navigated("navigate", with_flash(*effects.navigate));
    if (effects.patch) p->navigated("patch", *effects.patch);
    p->take_effects_of(full);
    // Sent elsewhere before it was shown (an on_mount hook, a redirect in mount): there is no
    // page to read, only take_navigation().
    if (!effects.redirect && !effects.navigate) p->tree.mount(std::move(full));
  });
  p->check_alive();
  return Page(std::move(page));
}

std::string LiveHarness::render_static(std::string url, JsonObject user) {
  auto [route, params] = impl_->ready_for(*runtime_, url);
  auto html = std::make_shared<std::optional<std::string>>();
  std::shared_ptr<live::ViewInstance> view;
  runtime_->run([&, route = route, params = params] {
    live::Services services{runtime_->pubsub, runtime_->tracker, *runtime_->stores, impl_->registry, &impl_->async};
    view = std::make_shared<live::ViewInstance>(services, *route, "phx-static", session_of(user));
    view->start(params, "http://localhost" + url, [view, html, services] {
      JsonObject full = view->render_full();
      const Json* c = full.if_contains("c");
      std::string page = c && c->is_object() ? live::to_html(full, c->get_object()) : live::to_html(full);
      // Nested views inside their containers, as a node's first HTML holds them.
      live::fill_nested_views(services, view->take_unrendered_children(), std::move(page),
                              [html](std::string filled) { *html = std::move(filled); });
    });
  });
  auto out = runtime_->await(html, "the static render of " + url);
  runtime_->run([&] { view.reset(); });
  return out;
}

void LiveHarness::broadcast(std::string topic, std::string event, Json payload) {
  runtime_->run([&] { runtime_->pubsub.broadcast(topic, event, std::move(payload)); });
}

void LiveHarness::track(std::string topic, std::string key, JsonObject meta) {
  runtime_->run([&] {
    if (!impl_->elsewhere) impl_->elsewhere = runtime_->tracker.new_owner();
    if (runtime_->tracker.track(impl_->elsewhere, topic, key, std::move(meta)).empty())
      throw Failure("track(" + in_quotes(topic) + ", " + in_quotes(key) + ") was refused by a presence limit");
  });
}

void LiveHarness::untrack(std::string topic, std::string key) {
  runtime_->run([&] {
    if (impl_->elsewhere) runtime_->tracker.untrack(impl_->elsewhere, topic, key);
  });
}

void LiveHarness::advance(std::chrono::milliseconds d) { runtime_->advance(d); }

std::size_t LiveHarness::run_async() {
  std::size_t ran = impl_->async.run_queued();
  runtime_->settle();
  return ran;
}

}  // namespace cohort::testing
