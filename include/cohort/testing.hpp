// cohort/testing.hpp — testing an app's stores, live views and channels without a browser or a
// socket (target Cohort::testing; use it with GoogleTest or any test framework).
//
//   cohort::testing::StoreHarness stores;
//   stores.define(kanban::board_kind(3));
//   auto ann = cohort::testing::user("ann", {"editor"});
//   EXPECT_TRUE(stores.op("board:1", "add_card", {{"title", "Write"}}, ann).ok);
//   EXPECT_EQ(stores.state("board:1").at_pointer("/columns/0/cards/0/title"), "Write");
//
//   cohort::testing::LiveHarness live;                         // templates from ./templates
//   live.view("/board/:id", "board", [] { return kanban::board_view(3); });
//   auto page = live.mount("/board/1", {{"id", "ann"}, {"roles", {"editor"}}});
//   page.submit("form#add", {{"title", "Write"}});
//   EXPECT_EQ(page.text("#todo li:first-child"), "Write");   (see Selectors)
//
// What runs. The real pieces of a node: the stores (one authority per key, the same checks,
// locks, leases, op ids and coalescing), PubSub, Presence, the live views' change tracking,
// renders and diffs, and the Channels a test joins. What does not: sockets, threads and the
// wall clock. Everything runs on the calling thread, one step at a time: each call of a harness
// returns once everything it caused has happened (messages delivered, views rendered, diffs
// applied), so a test reads the outcome on the next line and never waits or sleeps.
//
// Time. A harness's clock stands still until advance(d) moves it: then leases expire, queued
// ops time out, coalesced patches go out and timers (send_after, ChannelContext::after) fire,
// in order. Nothing depends on how fast the machine is.
//
// The page a LiveHarness shows. Each mounted Page keeps the rendered tree the way the browser
// client does: the full render of the mount, then every diff the view sends merged into it
// (streams keep their items like the DOM does). html() and the selectors read that tree. So a
// view whose change never reaches the client (an assign changed in place and not re-assigned)
// shows the old HTML here, as it would in a browser.
//
// Selectors. A small part of CSS, enough to name one element of a page: a type (`button`), an
// id (`#save`), classes (`.card.done`), attributes (`[name]`, `[name="title"]`,
// `[phx-value-id="3"]`), combined in one compound (`li.card[data-id="3"]`), the descendant and
// child combinators (`#todo li`, `ul > li`), and `:first-child`, `:last-child`,
// `:nth-child(N)`. Anything else is refused with an error that says so.
//
// Failure. A step that cannot be done the way a browser would do it — a selector that matches
// nothing, an element without the phx-click it is clicked for, a form without phx-change, a view
// that crashed — throws testing::Failure with a message that says which. A view or component
// callback that throws is reported the same way, with its message.
//
// Threads. A harness and everything it returns belong to the thread that made it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/channel.hpp"
#include "cohort/json.hpp"
#include "cohort/live.hpp"
#include "cohort/store.hpp"
#include "cohort/store_limits.hpp"
#include "cohort/token.hpp"

namespace cohort::testing {

// A step a harness could not take (see Failure above).
class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Who acts: an identified user with roles (claims "sub", "roles", "name"), or nobody.
Actor user(std::string id, std::vector<std::string> roles = {}, std::string name = "");
Actor anonymous();

// A message broadcast on a store key's topic "store:<key>": "patch" {from, to, ops}, "lock" and
// "unlock" {path, holder, reason, expires_in_ms?}.
struct StoreMessage {
  std::string event;
  Json payload;
};

struct Runtime;  // the node's pieces a harness runs (internal)

// A node's stores, in memory (or on a temporary SQLite file, removed at the end).
class StoreHarness {
 public:
  struct Options {
    bool sqlite = false;  // store on a temporary SQLite file: restart() then reloads from it
    StoreLimits limits = {};
  };
  StoreHarness();
  explicit StoreHarness(Options options);
  ~StoreHarness();
  StoreHarness(const StoreHarness&) = delete;
  StoreHarness& operator=(const StoreHarness&) = delete;

  // Before the first op (after it: Failure).
  StoreHarness& define(StoreKind kind);

  // Runs an op as actor (server code: session 0 holds no locks) and returns its outcome.
  OpOutcome op(const std::string& key, const std::string& name, Json args, const Actor& actor);
  // Runs a call as given (session, expect_version, op_id) and returns its outcome; an op queued
  // behind a lock (WhenLocked::queue) is waited for only as long as nothing else can happen:
  // use submit() for one that must wait for a later step.
  OpOutcome run(OpCall call);
  // Submits a call and returns at once; outcome(ticket) tells its outcome once it has one.
  std::size_t submit(OpCall call);
  std::optional<OpOutcome> outcome(std::size_t ticket) const;

  // A lock session (a page's or a socket's); its locks end with end_session().
  std::uint64_t session();
  OpOutcome lock(const std::string& key, const std::string& path, const Actor& actor, std::uint64_t session,
                 std::optional<std::chrono::milliseconds> ttl = std::nullopt);
  OpOutcome renew(const std::string& key, const std::string& path, const Actor& actor, std::uint64_t session,
                  std::chrono::milliseconds ttl);
  OpOutcome unlock(const std::string& key, const std::string& path, const Actor& actor, std::uint64_t session);
  void end_session(const std::string& key, std::uint64_t session);

  // What a follower sees: the committed state (the kind's initial one for a key that does not
  // exist), its version, its locks ({path: {holder, expires_in_ms?}}), or the full view (with
  // `since`: the patches after it).
  Json state(const std::string& key);
  std::uint64_t version(const std::string& key);
  JsonObject locks(const std::string& key);
  StoreView view(const std::string& key, std::optional<std::uint64_t> since = std::nullopt);
  // Every message broadcast on key's topic since the last take (the harness listens to a key
  // from its first use here), in order; take_patches keeps only the patches.
  std::vector<StoreMessage> take_messages(const std::string& key);
  std::vector<StoreMessage> take_patches(const std::string& key);

  // Moves the clock forward (see Time above).
  void advance(std::chrono::milliseconds d);
  // As a node restart: every key leaves memory and locks end; the next use loads it from
  // storage (only with Options::sqlite: without storage, there is nothing to load — Failure).
  void restart();

 private:
  friend class LiveHarness;
  friend class ChannelHarness;
  explicit StoreHarness(std::shared_ptr<Runtime> runtime);
  struct Impl;
  std::shared_ptr<Runtime> runtime_;
  std::unique_ptr<Impl> impl_;
};

// A navigation a view asked for: "patch" (push_patch), "navigate" (push_navigate) or
// "redirect" (a full page load).
struct Navigation {
  std::string kind;
  std::string to;
  bool replace = false;
  std::string flash;  // the signed flash it carries ("" for none): pass it to LiveHarness::mount
};

// A file a test uploads (Page::upload): what the browser would declare, and its bytes.
struct UploadFile {
  std::string name;
  std::string type;
  std::string bytes;
};

// An event a view pushed to the page's hooks (push_event).
struct PushedEvent {
  std::string event;
  Json payload;
};

class LiveHarness;

// One mounted, connected view, and the page its client holds. Made by LiveHarness::mount.
class Page {
 public:
  ~Page();
  Page(Page&&) noexcept;
  Page& operator=(Page&&) noexcept;

  // The HTML inside the view's container, as the client holds it.
  std::string html() const;
  std::string title() const;
  // Reading by selector: whether it matches, how many, the first match's text (its text nodes
  // joined, spaces collapsed, trimmed), outer HTML and attribute (nullopt when absent).
  bool has(std::string_view selector) const;
  std::size_t count(std::string_view selector) const;
  std::string text(std::string_view selector) const;
  std::string element_html(std::string_view selector) const;
  std::optional<std::string> attribute(std::string_view selector, std::string_view name) const;

  // What a user does, by the first element a selector matches. Each sends the event the element
  // names (phx-click, phx-change, phx-submit, phx-keydown/keyup, phx-blur/focus) with what the
  // browser client would send: its phx-value-* attributes; a form's fields (the current values
  // of its inputs, then `fields` over them; names nest as "a[b]"; _target = the first field
  // given); a key's "key". phx-target of a component sends it to that component.
  void click(std::string_view selector, JsonObject values = {});
  void change(std::string_view form, JsonObject fields);
  void submit(std::string_view form, JsonObject fields = {});
  void keydown(std::string_view selector, std::string key);
  void keyup(std::string_view selector, std::string key);
  void blur(std::string_view selector);
  void focus(std::string_view selector);
  // A hook's pushEvent: the reply it gets. With target (a selector of an element inside a
  // component that carries phx-target="{{myself}}"): pushEventTo that component.
  Json hook_event(std::string_view event, Json payload = JsonObject{}, std::string_view target = {});
  // A patch link (<a data-phx-link="patch">) or the browser's back button to url: handle_params.
  void patch(std::string url);
  // Chooses files in the form's file input (the one element `<form> input[data-phx-upload-ref]`)
  // and uploads them as the official client does: the form's phx-change with the declared
  // files, the "allow_upload" preflight, then each file that got a token sent in chunk_size
  // pieces with its progress reports. Returns the preflight's reply ({entries, errors} or
  // {error}): refused files are not sent. Then submit() the form (or let the view's progress
  // callback) consume them. Files are written to a temporary directory of the harness.
  Json upload(std::string_view form, std::vector<UploadFile> files);

  // What the view asked of the client since the last take.
  std::vector<PushedEvent> take_events();
  std::vector<Navigation> take_navigation();

  // The view's assigns now (what its template reads).
  JsonObject assigns() const;
  // Ends the view as closing the tab does (terminate "closed"); the Page is empty afterwards.
  void close();

 private:
  friend class LiveHarness;
  struct Impl;
  explicit Page(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A node's live layer: templates, views, components, and the stores, PubSub and Presence they use.
class LiveHarness {
 public:
  // Its stores are in memory: every step a page takes (an op and its broadcast) completes
  // before the step returns. Test storage and restarts with StoreHarness.
  struct Options {
    std::string templates_dir = "templates";  // the app's templates (name.html)
  };
  LiveHarness();
  explicit LiveHarness(Options options);
  ~LiveHarness();
  LiveHarness(const LiveHarness&) = delete;
  LiveHarness& operator=(const LiveHarness&) = delete;

  // As Live::view and Live::component (cohort/live.hpp). Before the first mount.
  LiveHarness& view(std::string path, std::string template_name, live::ViewFactory factory, std::string title = "");
  LiveHarness& component(std::string type, std::string template_name, live::ComponentFactory factory);
  // As Live::child_view: a nested view; a page's {{%name path}} shows its (empty) container, and
  // mount_child mounts it on its own. Before the first mount.
  LiveHarness& child_view(std::string name, std::string template_name, live::ViewFactory factory);
  // As Live::on_mount. Before the first mount.
  LiveHarness& on_mount(std::string scope, live::OnMountHook hook);
  // The same stores (define kinds before the first mount), and the node's PubSub and Presence.
  StoreHarness& stores();

  // Mounts the view of url (path and query) as a connected page of a visitor with these user
  // claims ({"id", "roles"?, "name"?, ...}: what Live::identify returns). A url no view serves,
  // a template error or a view that throws in mount: Failure.
  // flash: a Navigation's, to land on the next page as the browser would (its flash shown).
  // A mount that sends the visitor elsewhere (an on_mount hook's halt, a redirect in mount)
  // gives a Page with no HTML whose take_navigation() says where, with the flash it carries.
  Page mount(std::string url, JsonObject user = {{"id", "tester"}}, std::string flash = "");
  // A nested view (child_view) as its container's id and the session its parent's props give it
  // (its mount's params), for a visitor with these user claims: a connected page of its own.
  Page mount_child(std::string name, std::string id, JsonObject session = {}, JsonObject user = {{"id", "tester"}});
  // The HTML a GET of url renders (before any script runs): the disconnected mount, with the
  // nested views it places rendered inside their containers.
  std::string render_static(std::string url, JsonObject user = {{"id", "tester"}});

  // As server code elsewhere on the node: a broadcast, and presence tracked by another owner
  // (a page elsewhere), untracked again by untrack().
  void broadcast(std::string topic, std::string event, Json payload);
  void track(std::string topic, std::string key, JsonObject meta);
  void untrack(std::string topic, std::string key);

  // Moves the clock forward (see Time above).
  void advance(std::chrono::milliseconds d);

  // Async work (Socket::assign_async, start_async) waits here until the test lets it run, so a
  // test reads the loading state first: run_async() runs the tasks waiting now, on the test's
  // thread in the order they were started, then settles (their ends reach the views). A task
  // cancelled or replaced before it began does nothing. Returns how many were waiting.
  std::size_t run_async();

 private:
  friend class Page;
  struct Impl;
  std::shared_ptr<Runtime> runtime_;
  StoreHarness stores_;
  std::shared_ptr<Impl> impl_;
};

// A reply to a client push or a join: "ok" or "error" with its response.
struct ChannelReply {
  std::string status;
  Json response;
  bool ok() const { return status == "ok"; }
};

// What reached a client on a topic: pushes and broadcasts, in order.
struct ChannelMessage {
  std::string topic;
  std::string event;
  Json payload;
};

class ChannelHarness;

// One client socket of a ChannelHarness.
class ChannelClient {
 public:
  ~ChannelClient();
  ChannelClient(ChannelClient&&) noexcept;
  ChannelClient& operator=(ChannelClient&&) noexcept;

  // Joins topic with params (the route's Channel, or the store channel for "store:*" when the
  // harness serves stores); the join's reply. A topic no route serves: "error" {"reason":
  // "unmatched topic"}, as a node answers.
  ChannelReply join(const std::string& topic, Json params = JsonObject{});
  ChannelReply push(const std::string& topic, const std::string& event, Json payload = JsonObject{});
  void leave(const std::string& topic);
  // Every message this client received since the last take (all topics, or one).
  std::vector<ChannelMessage> take();
  std::vector<ChannelMessage> take(const std::string& topic);
  // Whether topic's channel ended with an error (a handler threw, crash()): the client would rejoin.
  bool errored(const std::string& topic) const;
  // Closes the socket: every channel terminates ("closed").
  void close();

 private:
  friend class ChannelHarness;
  struct Impl;
  explicit ChannelClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A node's socket endpoint: its channels, the store channel, PubSub and Presence.
class ChannelHarness {
 public:
  ChannelHarness();
  ~ChannelHarness();
  ChannelHarness(const ChannelHarness&) = delete;
  ChannelHarness& operator=(const ChannelHarness&) = delete;

  // Routes and the connect handler, as on the node's SocketEndpoint; "store:*" is served by the
  // stores' channel unless a route of the app's matches first.
  SocketEndpoint& endpoint();
  StoreHarness& stores();
  // A socket token (TokenKind::socket) for the store channel's "token" join param, signed
  // with this harness's secret.
  std::string issue_token(JsonObject claims, std::chrono::seconds ttl = std::chrono::hours(1)) const;

  // Connects a client as the endpoint's connect handler decides (nullopt: refused).
  std::optional<ChannelClient> connect(ConnectInfo info = {});
  // A client whose socket assigns are these (what a connect handler would have returned).
  ChannelClient connect_as(JsonObject assigns);

  // As server code: a broadcast on topic; the topic's presence list.
  void broadcast(std::string topic, std::string event, Json payload);
  JsonObject presence_list(const std::string& topic);

  void advance(std::chrono::milliseconds d);

 private:
  friend class ChannelClient;
  struct Impl;
  std::shared_ptr<Runtime> runtime_;
  StoreHarness stores_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cohort::testing
