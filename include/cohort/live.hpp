// cohort/live.hpp — server-rendered live views that the official phoenix_live_view client drives.
//
// What it provides. A View is a C++ class with a template (docs/templates.md). A GET of its
// path renders the whole page as HTML first (readable before any script runs); the page's
// phoenix_live_view client then joins "lv:<id>" on the /live socket, the view is mounted again,
// connected, and from then on every change of its assigns reaches the browser as a diff of the
// dynamic parts only (docs/protocol.md, LiveView). Application authors write C++ and templates, no
// JavaScript; client hooks (window.CohortHooks) are the escape hatch.
//
// Change tracking. socket.assign(key, value) marks key changed only when the value differs.
// A render evaluates only the template slots that read a changed key, and sends only what
// differs from what the client holds. Lists are keyed comprehensions; components have cids.
//
// Where state lives. A view never mutates shared state: it asks a store with op() and renders
// what the store broadcasts. follow_store(key, assign) keeps an assign equal to a store key's
// state (and "<assign>_locks" equal to its locks: {path: {holder, expires_in_ms?}});
// follow_presence(topic, assign) keeps an assign equal to a topic's presence list
// ([{id, metas, count}], sorted by id), fed by Presence::watch (never by broadcasts, so no
// client can forge it), and hands each change to handle_info as a "presence_diff" {joins,
// leaves}. On a reconnect or after a node restart the view is
// mounted afresh and so comes back with the stores' state; forms are re-sent by the client.
//
// Render batching. Messages (PubSub broadcasts, store patches, presence diffs, timers) update
// assigns at once but render at most once per frame interval (Config::live_frame_ms, 30 ms by
// default): a view that receives 10,000 messages a second renders ~33 times, not 10,000. An
// event from the client is answered at once with the diff (pending changes included).
//
// Failure. A view whose callback throws ends (the client gets phx_error, shows its error state
// and rejoins, which mounts it again). A tampered or expired session token is refused at join
// ("unauthorized": the client reloads the page and gets a fresh one), and so is a join whose
// _csrf_token is not the one of the session's visitor ("stale", as Phoenix answers a bad CSRF
// token: the client reloads too). A template error names the file and line when the node
// starts, not at the first request.
//
// Threads. A view lives on one reactor thread for its whole life; every callback runs there.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <stop_token>
#include <string_view>
#include <vector>

#include "cohort/http.hpp"
#include "cohort/json.hpp"
#include "cohort/store.hpp"
#include "cohort/token.hpp"
#include "cohort/upload.hpp"

namespace cohort {
class Node;
class PubSub;
class Presence;
}  // namespace cohort

namespace cohort::live {

// A message for handle_info.
struct Info {
  enum class Kind { broadcast, store, presence, timer };
  Kind kind;
  std::string topic;  // broadcast: the topic; store: the key; presence: the topic
  // broadcast: its event; store: "state" (the whole state was read: at mount, or again after a
  // gap), "patch", "lock" or "unlock"; presence: "presence_diff"
  std::string event;
  // broadcast: its payload; store "state"/"patch": the new state, "lock"/"unlock": {path, holder, ...};
  // presence: the diff; timer: the message. Valid for the handle_info call only.
  const Json& payload;
};

// Slow or blocking work for a view (Socket::assign_async, start_async): runs on a worker thread,
// never on the view's. stop.stop_requested() turns true once its result is no longer wanted (the
// view ended, cancel_async, a newer task of the same name); a long task should check it and
// return early (what it returns then is dropped). What it returns is its result; what it throws
// is its failure (the exception's what()).
using AsyncTask = std::function<Json(std::stop_token stop)>;

// How a task ended, as View::handle_async sees it.
struct AsyncResult {
  bool ok = false;
  Json value;          // ok: what the task returned
  std::string reason;  // !ok: what it threw, "cancelled" (cancel_async) or "overloaded"
};

// What a component works with: its own assigns, and effects on the client and on shared state
// that act for its page. Owner-thread-only. Subscriptions, timers and streams belong to the view
// (Socket): it passes a component what it needs as props.
class ComponentSocket {
 public:
  virtual ~ComponentSocket() = default;

  // --- Assigns (what the template reads) ---
  // Sets key; marks it changed only when the value differs from the current one.
  virtual void assign(std::string_view key, Json value) = 0;
  void assign(std::string_view key, const std::string& text) { assign(key, Json(json::string_view(text))); }
  void assign(std::string_view key, const char* text) {  // a null text assigns JSON null
    assign(key, text ? Json(json::string_view(text)) : Json(nullptr));
  }
  virtual const JsonObject& assigns() const = 0;
  // The assign's value, or null when absent. The reference stays valid while the handler that
  // took it runs, until this same key is assigned again (assigning other keys never moves what
  // it reads); do not keep it past the handler. A view or component holds at most 64 assigns,
  // and assign() throws past that.
  virtual const Json& get(std::string_view key) const = 0;
  // False during the HTML render of a GET, true once the client has joined.
  virtual bool connected() const = 0;
  // The signed session's claims: {"user": {"id", "roles"?, ...what Live::identify or new_visitor added}, ...}.
  virtual const JsonObject& session() const = 0;
  // Who this browser is, for store operations (id and roles from the signed session).
  virtual const Actor& actor() const = 0;

  // --- Effects on this client ---
  virtual void push_event(std::string_view event, Json payload) = 0;  // to hooks: handleEvent
  virtual void page_title(std::string title) = 0;
  virtual void push_patch(std::string to, bool replace = false) = 0;     // same view, new params
  virtual void push_navigate(std::string to, bool replace = false) = 0;  // another view, no reload
  virtual void redirect(std::string to) = 0;                             // full page load
  // Inside handle_event for a hook's pushEvent: the value its callback receives.
  virtual void reply(Json value) = 0;

  // --- Shared state ---
  // Presence owned by the page: it leaves when the view ends, however it ends.
  virtual void track(std::string topic, std::string key, JsonObject meta) = 0;
  virtual void update_presence(std::string topic, std::string key, JsonObject meta) = 0;
  // Asks the store; done (optional) runs on this view's thread with the outcome. Locks taken
  // this way belong to the page and end with it.
  virtual void op(std::string key, std::string name, Json args,
                  std::function<void(const OpOutcome&)> done = {}) = 0;

  virtual PubSub& pubsub() = 0;
  virtual Presence& presence() = 0;
  virtual Stores& stores() = 0;
};

// What a view works with: a component's socket, plus what only a view has — subscriptions,
// stores and presence it follows, timers, streams. Owner-thread-only.
class Socket : public ComponentSocket {
 public:
  // --- Following shared state (no-ops until connected, except that follow_store also fills
  // the GET render with the store's current state) ---
  virtual void subscribe(std::string_view topic) = 0;  // broadcasts -> handle_info
  virtual void follow_store(std::string key, std::string assign) = 0;
  virtual void follow_presence(std::string topic, std::string assign) = 0;
  // handle_info(Kind::timer, message) after delay (dropped if the view ended first).
  virtual void send_after(std::chrono::milliseconds delay, Json message) = 0;

  // --- Async work: a database query, an HTTP call — anything that must not block the view ---
  // The task runs on the node's worker pool (Config::live_async_workers threads; at most
  // Config::live_async_queue tasks wait for one, past that a task fails at once with
  // "overloaded"); how it ended comes back on this view's thread. Tasks start only once the view
  // is connected: the GET render shows the loading state. A task of a name (or key) still running
  // is replaced by a new one of the same name: the old one is told to stop and its result dropped.
  // When the view ends, every running task is told to stop and its result dropped.
  // assign_async(key, task): the assign key is {"loading": true} at once, then
  // {"ok": true, "result": <what the task returned>} or {"failed": "<reason>"}, which a template
  // shows with sections: {{#org.loading}}…{{/org.loading}}{{#org.ok}}{{org.result.name}}{{/org.ok}}.
  virtual void assign_async(std::string key, AsyncTask task) = 0;
  // start_async(name, task): View::handle_async(name, result) when it ends.
  virtual void start_async(std::string name, AsyncTask task) = 0;
  // Ends the task of that name or key now, as failed with "cancelled" (the assign says so, or
  // handle_async hears it); false when none was running.
  virtual bool cancel_async(std::string_view name) = 0;

  // --- Flash: short messages for this page's visitor ---
  // The assign "flash" is an object {kind: message} a template reads ({{#flash.info}}…): {} at
  // first, or what the page before put (below). put_flash sets one kind; clear_flash removes one
  // (or, with no kind, all). An element with phx-click="lv:clear-flash" phx-value-key="<kind>"
  // clears that kind without reaching handle_event. The flash goes along with a push_navigate or
  // a redirect and shows on the page it leads to, once, if that page loads within a minute.
  virtual void put_flash(std::string_view kind, std::string message) = 0;
  virtual void clear_flash(std::string_view kind = {}) = 0;

  // --- Streams (long append-only lists the server does not keep) ---
  virtual void stream_insert(std::string_view name, Json item, int at = -1, std::optional<int> limit = {}) = 0;
  virtual void stream_delete(std::string_view name, std::string dom_id) = 0;
  virtual void stream_reset(std::string_view name) = 0;

  // --- Uploads (cohort/upload.hpp; docs/live.md, Uploads) ---
  // Allows an upload called name (replacing one of that name that has no entries). The assign
  // "uploads" then holds {name: {ref, name, accept, max_entries, auto_upload, multiple, entries:
  // [{ref, client_name, client_size, client_type, progress, done, valid, errors}], errors,
  // active_refs, done_refs, preflighted_refs, error_refs}}, which the file input reads.
  virtual void allow_upload(std::string name, UploadOptions options) = 0;
  // Drops an entry (phx-click="cancel" phx-value-ref="{{ref}}"): its file, if any, is deleted.
  virtual void cancel_upload(std::string_view name, std::string_view ref) = 0;
  // Hands every done entry's file to fn, then deletes it and drops the entry; entries still in
  // progress are left. Returns what fn returned, in entry order.
  virtual std::vector<Json> consume_uploaded_entries(std::string_view name, const ConsumeUpload& fn) = 0;
};

// Params of mount / handle_params: the path's ":name" segments and the query string, as strings.
using Params = JsonObject;
// The signed session's claims (verified at join): {"user": {"id", "roles"?, ...}, ...};
// also Socket::session().
using Session = JsonObject;

class View {
 public:
  virtual ~View() = default;
  virtual void mount(const Params& params, const Session& session, Socket& socket) {}
  // After mount and after every push_patch / patch link: the URL's params.
  virtual void handle_params(const Params& params, std::string_view url, Socket& socket) {}
  // value: phx-value-* attributes (click, key, focus, blur), the decoded form (form events:
  // nested objects for "a[b]" names, plus "_target": [path...]), or the hook's payload.
  virtual void handle_event(std::string_view event, const Json& value, Socket& socket) {}
  virtual void handle_info(const Info& info, Socket& socket) {}
  // A start_async task ended (result.ok, or failed with its reason; "cancelled" included).
  virtual void handle_async(std::string_view name, const AsyncResult& result, Socket& socket) {}
  virtual void terminate(std::string_view reason, Socket& socket) {}
};

// A stateful component, placed in a template with {{@type path}}: the value at path (an object
// with an "id") is its props. Its template must render exactly one root element. Events from
// elements with phx-target="{{myself}}" inside it reach its handle_event.
class Component {
 public:
  virtual ~Component() = default;
  virtual void mount(ComponentSocket& socket) {}
  // The props each time the parent renders it. Default: assign every prop.
  virtual void update(const JsonObject& props, ComponentSocket& socket) {
    for (const auto& [k, v] : props) socket.assign(k, v);
  }
  virtual void handle_event(std::string_view event, const Json& value, ComponentSocket& socket) {}
};

// Who a page's visitor is (Live::identify): the user claims its session carries and every view
// reads (Socket::session()["user"], Socket::actor()): a non-empty string "id", and "roles" (an
// array of strings) and any other field the app's views read. answer, when set, is sent instead
// of the page: e.g. a 302 to the app's own sign-in page for someone who is not signed in.
struct Identity {
  JsonObject user;
  std::optional<HttpResponse> answer;
};
// Who a request's visitor is to an app (Live::identity): the user its live pages act as.
struct PageIdentity {
  JsonObject user;                     // {"id", "roles"?, "name"?, ...}; empty when answer is set
  std::optional<HttpResponse> answer;  // send this instead: the identify hook's own, or a 500
  // A Set-Cookie value the response must carry ("" when none): the cookie of a visitor first
  // seen now, or of one whose roles just ran out.
  std::string set_cookie;
  std::int64_t roles_until = 0;  // Unix seconds when roles from a sign-in link end; 0 without
};
// visitor: the browser's own claims, from Cohort's signed visitor cookie (see Live::identify).
using IdentifyHook = std::function<Identity(const HttpRequest& request, const JsonObject& visitor)>;
// Fills a new visitor's claims (it has its "id"): once per browser; they are kept in the cookie.
using NewVisitorHook = std::function<void(JsonObject& visitor)>;

// The page around every live view of an app (Live::page): what the <title> ends with, its style
// sheets, and scripts loaded after Cohort's own (each a path the node serves, e.g. from the
// static directory: "/app.css"). Cohort's scripts (the phoenix bundles, cohort_hooks.js,
// cohort_live.js) are always there: a page without them never goes live.
// template_name: a template of the app's (e.g. "layout" for templates/layout.html) to write the
// whole page with — header, navigation, footer — instead of Cohort's plain one. It is rendered
// once per page load (not live) with {{{head}}} (the meta tags, title, styles and scripts
// above: put it inside <head>), {{{main}}} (the live view's container: inside <body>) and
// {{title}} (the view's title with the suffix). A layout that does not print both head and
// main once is refused at start-up.
struct PageLayout {
  std::string title_suffix = " · Cohort";
  std::vector<std::string> styles = {"/assets/cohort.css"};
  std::vector<std::string> scripts = {};
  std::string template_name = "";
};

// text with &, <, >, " and ' escaped: safe inside an HTML text node or a quoted attribute (what
// templates do to every {{value}}), for the HTML an app writes itself (a sign-in page).
std::string escape_html(std::string_view text);

// What an on_mount hook decides (Live::on_mount): go on (the next hook, then the view's mount),
// or stop here — the hook has sent the visitor elsewhere (socket.redirect, push_navigate; a
// flash may say why); a halt that sent it nowhere is answered as a redirect to "/".
enum class OnMount { proceed, halt };
using OnMountHook = std::function<OnMount(const Params& params, const Session& session, Socket& socket)>;

using ViewFactory = std::function<std::unique_ptr<View>()>;
using ComponentFactory = std::function<std::unique_ptr<Component>()>;

// The live layer of one node: templates, views by path, components by type, the page shell.
// Configure before Node::start(); install() adds the /live socket and the GET routes.
class Live {
 public:
  explicit Live(Node& node);
  ~Live();
  Live(const Live&) = delete;
  Live& operator=(const Live&) = delete;

  // path: "/counter", "/poll/:id". template_name: a template of the templates directory.
  Live& view(std::string path, std::string template_name, ViewFactory factory, std::string title = "");
  Live& component(std::string type, std::string template_name, ComponentFactory factory);
  // A view that pages place inside their own with {{%name path}} (a nested live view): the
  // value at path is {"id": "<its DOM id, unique in the page>", "session": {...}?, "class"?}.
  // It has its own id, its own lv: channel, assigns, events and renders, and updates without
  // its parent rendering; its mount gets "session" as its params (handle_params never runs).
  // It acts as the parent's visitor, and is placed only by a parent's render (its container
  // carries a signed session naming it), so it runs no on_mount hook of its own. The page's first
  // HTML holds its container empty; it renders once connected. Ends when its parent's render
  // drops it, or the page goes.
  Live& child_view(std::string name, std::string template_name, ViewFactory factory);
  // Identity. Every browser is a visitor: a random "id" kept in a signed, HttpOnly cookie for a
  // year, plus the roles of the sign-in links it used (grant_link) while they last. That is who
  // a page acts as unless the app says otherwise:
  // - new_visitor(fill): fill adds claims to each new visitor once (a display name, a colour);
  //   they stay in its cookie.
  // - identify(hook): for every page request, hook returns who the page acts as — the visitor
  //   as it is, or the user of the app's own sign-in (its own session cookie, or a header set
  //   by a trusted proxy), or an answer instead of the page. Runs on the request's reactor; it
  //   must not block. A user without a string "id" is answered 500 and logged.
  Live& new_visitor(NewVisitorHook fill);
  // The page shell of every live view: see PageLayout. (Cohort's own small pages — sign-in,
  // errors — keep Cohort's look.)
  Live& page(PageLayout layout);
  Live& identify(IdentifyHook hook);
  // A hook that runs before the mount of every view whose path is scope or under it ("/admin"
  // covers "/admin" and "/admin/users", not "/administrator"; "" covers every view), on the GET
  // render and on the live join alike, in the order added: sign-in checks for a group of pages,
  // assigns they all share. A halt means the view is never mounted.
  //   live.on_mount("/admin", [](const Params&, const Session&, Socket& s) {
  //     if (s.actor().has_role("admin")) return OnMount::proceed;
  //     s.put_flash("error", "That page is for admins.");
  //     s.redirect("/");
  //     return OnMount::halt;
  //   });
  Live& on_mount(std::string scope, OnMountHook hook);
  // Who request's visitor is, exactly as a page of this app would act for them: the signed
  // visitor cookie (a browser without a valid one is made a new visitor, whose cookie
  // set_cookie carries), then the identify hook. For a route that hands the visitor something
  // of their own, e.g. a token for the JavaScript client:
  //   PageIdentity who = live.identity(request);
  //   if (who.answer) return *who.answer;
  //   std::string token = node.issue_token({{"sub", who.user.at("id")}}, std::chrono::minutes(10));
  // After install(), on the request's reactor (the identify hook's rules apply).
  PageIdentity identity(const HttpRequest& request) const;
  // Every connected view tracks its visitor on topic (key: the user id; meta: name, color,
  // page (the URL path), view (the view id)), so a dashboard can follow who is where.
  Live& track_visitors(std::string topic);
  // After Node::start(): a link that gives whoever uses it these roles (kept in their signed
  // visitor cookie for Config::role_ttl_s) — "/signin?grant=<token>&then=<path>". It works
  // once, within ttl, and only until this process ends (each run has its own grant epoch).
  // How a moderator is made without accounts: the operator hands the link out. then must be a
  // local path ("/quiz"); anything else lands on "/".
  std::string grant_link(const std::vector<std::string>& roles, std::chrono::seconds ttl,
                         std::string_view then = "/") const;
  // After Node::start(): writes this run's grant epoch to <data_dir>/grant-epoch (mode 0600),
  // so that `cohort grant`, run with the same data directory and secret, mints links this run
  // accepts. Returns an error message, or nullopt.
  std::optional<std::string> save_grant_epoch() const;
  // Compiles the templates (Config::templates_dir), checks every view's and component's template
  // exists (components: one root element) and installs the routes. Returns every error found,
  // each naming file and line, or nullopt.
  std::optional<std::string> install();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cohort::live
