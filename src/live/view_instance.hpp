// view_instance.hpp — one mounted live view: its assigns, components, subscriptions and renders.
//
// Owns: a View and the Socket it sees; change tracking (which assigns changed since the last
// render); the Rendering memory of the tree the client holds; the stateful components it placed
// (cid -> component, its own assigns and memory); followed stores and presences (kept current
// from their broadcasts, gaps healed by re-reading the store), presence it tracks and store
// sessions (locks) it holds (view_follow.cpp); its async tasks (view_async.cpp); render batching
// (at most one diff per frame interval for changes that come from messages; events are answered
// at once).
//
// Two modes. Disconnected: the GET render of a page, no channel; subscriptions and timers are
// ignored, followed stores are read once. Connected: attached to the lv:<id> channel; diffs
// are pushed to it, and the channel's end ends the view (terminate()).
//
// Threads: owner-thread-only (the reactor of its socket or HTTP session). Asynchronous
// completions (store replies, timers) hold a weak reference and do nothing once it is gone.
// Failure: an exception from a view or component callback outside an event (a store reply, a
// timer, a broadcast) crashes the channel (phx_error, the client rejoins); inside an event it
// propagates to the channel, which does the same.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "cohort/channel.hpp"
#include "cohort/live.hpp"
#include "cohort/presence.hpp"
#include "cohort/pubsub.hpp"
#include "live/assign_table.hpp"
#include "live/registry.hpp"
#include "live/rendering.hpp"
#include "live/view_uploads.hpp"

namespace cohort::live {

class PlacedComponentSocket;

// What a callback asked of the client besides assigns; delivered by the channel or the page.
struct Effects {
  std::optional<std::string> title;
  json::array events;                // [[event, payload], ...]
  std::optional<Json> reply;         // a hook's pushEvent reply
  std::optional<JsonObject> patch;   // {"to", "kind"}
  std::optional<JsonObject> navigate;  // {"to", "kind"}
  std::optional<std::string> redirect;
  std::string flash;  // take_effects(): the token carrying the flash when redirect or navigate is set
  bool empty() const { return !title && events.empty() && !reply && !patch && !navigate && !redirect; }
};

class AsyncPool;

struct Services {
  PubSub& pubsub;
  Presence& presence;
  Stores& stores;
  Registry& registry;
  AsyncPool* async = nullptr;  // where assign_async / start_async tasks run (null: they fail "unavailable")
};

class ViewInstance final : public Socket,
                           public Subscriber,
                           public ComponentHost,
                           public std::enable_shared_from_this<ViewInstance> {
 public:
  // A store read that failed is tried again this much later (a cluster owner changing hands
  // takes a few hundred ms; a storage outage, longer: the view keeps trying while it lives).
  static constexpr std::chrono::milliseconds kStoreRetry{250};

  ViewInstance(Services services, const ViewRoute& route, std::string id, JsonObject session);
  ~ViewInstance() override;

  const std::string& id() const { return id_; }
  const ViewRoute& route() const { return route_; }

  // Connected mode: pushes go to channel (which must outlive this view's use of it).
  void attach(ChannelContext& channel);
  // mount + handle_params; `ready` runs once every followed store has answered (maybe now).
  void start(const Params& params, std::string url, std::function<void()> ready);

  // The whole tree (root, "c", "t"), resetting the memory: for joins and the GET render.
  JsonObject render_full();
  // What changed since the last render (maybe {}), with "c", "t", "e" and a hook's "r"; {}
  // before the first render_full, which will carry it all.
  JsonObject render_diff();

  // Client pushes (connected). They return the reply's response object.
  //
  // An event whose handler (or a component's) started store ops is answered once those ops
  // and the ops their callbacks start are done and every followed store they changed shows
  // their result — so the clicking user sees their own change in the reply — or once
  // Registry::event_wait has passed, whichever comes first (view_reply.cpp). Such an event
  // returns nullopt and `later` gets the response; until then answering() is true, the view
  // renders nothing else (the reply carries it), and the channel holds the client's next pushes.
  using Answer = std::function<void(JsonObject)>;
  std::optional<JsonObject> handle_event(std::string_view event, const Json& value, std::optional<int> cid,
                                         Answer later);
  // The same, for callers that cannot wait (the reply as it is when the handler returns).
  JsonObject handle_event(std::string_view event, const Json& value, std::optional<int> cid);
  bool answering() const { return reply_wait_ != nullptr; }
  JsonObject handle_live_patch(std::string_view url);
  json::array destroy_components(const json::array& cids);
  void terminate(std::string_view reason);

  // Effects gathered since the last take (for the join reply and the GET render).
  Effects take_effects();

  // Socket
  void assign(std::string_view key, Json value) override;
  using Socket::assign;
  const JsonObject& assigns() const override { return assigns_; }
  const Json& get(std::string_view key) const override;
  bool connected() const override { return channel_ != nullptr; }
  const JsonObject& session() const override { return session_; }
  const Actor& actor() const override { return actor_; }
  void push_event(std::string_view event, Json payload) override;
  void page_title(std::string title) override;
  void push_patch(std::string to, bool replace) override;
  void push_navigate(std::string to, bool replace) override;
  void redirect(std::string to) override;
  void reply(Json value) override { effects_.reply = std::move(value); }
  void subscribe(std::string_view topic) override;
  void follow_store(std::string key, std::string assign) override;
  void follow_presence(std::string topic, std::string assign) override;
  void track(std::string topic, std::string key, JsonObject meta) override;
  void update_presence(std::string topic, std::string key, JsonObject meta) override;
  void op(std::string key, std::string name, Json args, std::function<void(const OpOutcome&)> done) override;
  void send_after(std::chrono::milliseconds delay, Json message) override;
  void stream_insert(std::string_view name, Json item, int at, std::optional<int> limit) override;
  void stream_delete(std::string_view name, std::string dom_id) override;
  void stream_reset(std::string_view name) override;
  void assign_async(std::string key, AsyncTask task) override;
  void start_async(std::string name, AsyncTask task) override;
  bool cancel_async(std::string_view name) override;
  void put_flash(std::string_view kind, std::string message) override;
  void clear_flash(std::string_view kind) override;
  // Uploads (view_uploads.hpp; defined in view_instance_uploads.cpp)
  void allow_upload(std::string name, UploadOptions options) override;
  void cancel_upload(std::string_view name, std::string_view ref) override;
  std::vector<Json> consume_uploaded_entries(std::string_view name, const ConsumeUpload& fn) override;
  // Client pushes about uploads: a form event's "uploads", "allow_upload" and "progress".
  void declare_uploads(const Json& uploads);
  JsonObject handle_allow_upload(const Json& payload);
  JsonObject handle_progress(const Json& payload);
  PubSub& pubsub() override { return services_.pubsub; }
  Presence& presence() override { return services_.presence; }
  Stores& stores() override { return services_.stores; }

  // Subscriber
  void on_broadcast(const Broadcast& message) override;
  // ComponentHost
  int place(std::string_view type, const Json& props) override;
  std::string nest(std::string_view name, const Json& props) override;  // view_nested.cpp

  // The page's first HTML (view_nested.cpp, page.cpp): the nested views a disconnected render
  // placed, each to be mounted and rendered into its container, whose opening tag is `open`.
  struct UnrenderedChild {
    std::string id;
    const ViewRoute* route = nullptr;
    JsonObject session;  // the child's claims, as its join verifies them
    Params params;       // the session its parent gave it
    std::string open;    // the container's <div ...> (its HTML without the closing </div>)
  };
  std::vector<UnrenderedChild> take_unrendered_children() { return std::exchange(unrendered_children_, {}); }

  // Marks key changed without comparing (its value was changed in place).
  void touch(std::string_view key) { changed_.insert(std::string(key)); }

 private:
  struct StoreFollow {
    std::string key;
    std::string assign;
    std::uint64_t version = 0;
    bool loaded = false;
    bool counted = false;    // its first read has answered (the mount waits for that once)
    bool has_state = false;  // a read succeeded: a failed re-read keeps showing that state
    std::uint64_t rendered = 0;  // the version the client holds (as of the last render)
    bool own = false;  // the view assigned to `assign` itself since the last read: never shared
    std::vector<Json> early;  // patches that came before the first state
  };
  struct PresenceFollow {
    std::string topic;
    std::string assign;
    PresenceWatch watch;  // released at terminate(); empty on a static render
  };
  struct PlacedComponent;
  // A task of assign_async / start_async not ended yet (view_async.cpp), by name or key.
  struct AsyncRun {
    std::uint64_t generation = 0;  // its result counts only if it is still the latest of its name
    std::stop_source stop;
    bool assigns = false;  // assign_async: the result goes to the assign of that name
    std::uint64_t ticket = 0;  // its place in the pool's queue (AsyncPool::withdraw)
  };

  // An event's reply waiting for the ops it started (view_reply.cpp).
  struct ReplyWait {
    int ops = 0;  // started and not answered yet
    std::vector<std::pair<std::string, std::uint64_t>> made;  // (key, version) of each op that succeeded
    Answer answer;
  };
  void run_event(std::string_view event, const Json& value, std::optional<int> cid);
  JsonObject event_response();  // the reply to an event handled: navigation and the diff
  std::function<void(const OpOutcome&)> joining_wait(const std::string& key, std::function<void(const OpOutcome&)> done);
  bool holds_result(const ReplyWait& wait) const;
  void check_reply();
  void finish_reply(bool expired);

  void load_store(std::size_t index);
  // A read that failed (the store unavailable for a moment: a cluster owner changing, storage
  // down) is tried again after kStoreRetry, for as long as the view lives.
  void retry_store(std::size_t index);
  void on_store_patch(StoreFollow& follow, const Json& payload);
  void on_store_lock(StoreFollow& follow, const Broadcast& message);
  void on_presence_change(PresenceFollow& follow, const PresenceChange& change);
  // After a change that did not come from an event: render within the frame interval.
  void schedule_render();
  void render_frame();
  // A frame whose diff views of the same page share (view_shared.cpp, shared_render.hpp): its
  // key, or "" when this frame's diff is this view's own.
  std::string share_key() const;
  bool components_quiet() const;  // no component placed or changed since the last render
  void drop_retired_assigns();  // at a render's start: see assign_table.hpp
  // Sends the shared diff of `key`, rendering it first if no view of this reactor has.
  void send_shared(const std::string& key);
  void note_rendered();  // every followed store's version is now the one the client holds
  // Runs a view callback from an asynchronous completion; a throw crashes the channel.
  void guarded(const std::function<void()>& fn);
  void check_ready();
  void track_visitor();
  // Runs the registry's on_mount hooks in scope; false when one halted (a redirect is then set).
  bool mount_allowed(const Params& params);
  void render_components(JsonObject& c, bool full);
  void apply_patch_effect();
  void listen(const std::string& topic);
  // Async work (view_async.cpp).
  void run_async(std::string name, AsyncTask task, bool assigns);
  void finish_async(const std::string& name, std::uint64_t generation, AsyncResult result);
  // How a task ended, to the view: the assign, or handle_async (later, never inside the caller).
  void deliver_async(const std::string& name, bool assigns, AsyncResult result);
  void stop_async();
  // The task is no longer wanted: told to stop, and out of the pool's queue if not begun.
  void abandon(AsyncRun& run);
  // payload (a redirect's or live_redirect's) with the flash it carries to the next page.
  JsonObject carrying_flash(JsonObject payload) const;
  // This view's uploads, made at the first use (and then found by its lvu: channels).
  ViewUploads& uploads();
  void show_uploads();  // the "uploads" assign from the uploads' state
  void end_uploads();   // at terminate: every file deleted

  Services services_;
  const ViewRoute& route_;
  std::string id_;
  JsonObject session_;
  Actor actor_;
  std::unique_ptr<View> view_;
  ChannelContext* channel_ = nullptr;
  std::weak_ptr<ChannelContext> channel_handle_;

  JsonObject assigns_;
  RetiredAssigns retired_assigns_;  // tables assigns_ left as it grew, until the next render
  Changed changed_;
  Streams streams_;
  std::optional<Rendering> rendering_;
  Effects effects_;
  std::string url_;

  std::vector<StoreFollow> stores_followed_;
  std::vector<PresenceFollow> presences_followed_;
  std::set<std::string, std::less<>> subscribed_;   // explicit subscribe(): handle_info
  std::set<std::string, std::less<>> listening_;    // every topic this view is subscribed to
  std::uint64_t presence_owner_ = 0;
  std::uint64_t store_session_ = 0;
  std::set<std::string> store_keys_used_;

  std::map<std::string, AsyncRun, std::less<>> async_;
  std::uint64_t async_generation_ = 0;

  // The containers of the nested views this view placed, by DOM id: the same props give the same
  // HTML (the token is signed once), so a parent's render does not resend an unchanged child.
  struct NestedContainer {
    std::string props;  // name + serialized props
    std::string html;
  };
  std::map<std::string, NestedContainer, std::less<>> nested_;
  std::vector<UnrenderedChild> unrendered_children_;  // disconnected only
  void note_unrendered(std::string_view name, std::string id, const Json* given, const std::string& token,
                       const std::string& html);

  std::map<int, std::unique_ptr<PlacedComponent>> components_;  // by cid
  std::map<std::string, int, std::less<>> cid_by_key_;           // "type\x1f<id json>" -> cid
  int next_cid_ = 1;

  std::shared_ptr<ReplyWait> reply_wait_;  // the event reply waiting for its ops (at most one)
  std::shared_ptr<ReplyWait> collecting_;  // while a handler or an op's callback runs: the wait new ops join

  std::size_t pending_ = 0;  // followed stores not answered yet
  std::function<void()> ready_;
  bool render_armed_ = false;
  bool patch_pending_ = false;  // a push_patch whose handle_params has not run yet
  bool ended_ = false;
  bool mounted_ = false;  // mount ran (no on_mount hook halted it)
  bool counted_ = false;  // counted in route_.open (a connected mount): uncounted at the end
  std::chrono::steady_clock::time_point last_render_{};
  std::shared_ptr<ViewUploads> uploads_;

  friend class PlacedComponentSocket;
};

}  // namespace cohort::live
