// live_views.hpp — connected live views of one page, opened and kept the way the official
// phoenix_live_view client does, on one client loop.
//
// Opening a view (at most max_in_flight at once per loop): HTTP GET the page (a connection of its
// own, closed after), keep its visitor cookie, read the live root's id, session, static token and
// the CSRF token (live_page.hpp), open a WebSocket on /live/websocket?_csrf_token=… (cookie
// sent), join lv:<id> with the official client's payload and mount the rendered tree of the
// reply. Then every "diff" push and every event reply's diff is merged into the view's tree
// (live_tree.hpp) and the value after the page's marker is read again; when it changes (and the
// loop is logging) the new value and the time its bytes were read are appended to the view's log.
// A diff that does not apply, or a value that cannot be read, breaks the view: counted, never
// shown as a success. A view that fails to open is counted and the others go on.
// Clicking: click(view) pushes the configured event; its reply is merged, timed and handed to
// the loop's reply hook. Every network wait is bounded (the GET by the setup timeout, the socket
// by the server's own heartbeat rule; the controller bounds the rest).
// Threads: everything runs on the loop's thread, except the atomics, which the controller reads.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "live_page.hpp"
#include "live_tree.hpp"
#include "stats.hpp"
#include "ws_client.hpp"

namespace cohort::bench {

struct ClientLoop;

// What every view of a run shares.
struct LiveViewConfig {
  PageUrl page;
  bool deflate = true;
  std::string marker;       // the value is the slot after the static ending with this; empty: none
  std::string event_name;   // what click() pushes: {"type":"click","event":<name>,"value":<value>}
  std::string event_value;  // JSON
  std::chrono::milliseconds fetch_timeout{30000};
};

// A value the view showed and when it started to show it (steady ns of the read).
struct ValueSeen {
  std::int64_t value;
  std::uint64_t at_ns;
};

// A click's answer, for the run's reply hook.
struct ClickReply {
  std::uint64_t sent_ns = 0;
  std::uint64_t at_ns = 0;
  bool ok = false;  // {"status":"ok"} (else refused: nothing changed)
  bool had_diff = false;
  bool value_changed = false;  // the reply's diff changed the value the clicker shows
  std::optional<std::int64_t> value;  // the clicker's value once the reply is merged
};

struct LiveView {
  std::uint32_t index = 0;
  WsTarget target;  // the live socket, with this visitor's csrf and cookie
  LivePage page;
  LiveTree tree;
  Connection* conn = nullptr;
  std::optional<std::int64_t> value;
  std::vector<ValueSeen> log;
  std::uint64_t started_ns = 0;
  struct Click {
    std::uint64_t ref;
    std::uint64_t sent_ns;
  };
  std::deque<Click> clicks;  // in flight, oldest first (the node answers them in order)
  bool broken = false;  // a diff did not apply or the value could not be read
};

// Counts the controller reads while the loop runs.
struct LiveCounts {
  std::atomic<std::uint64_t> joined{0};
  std::atomic<std::uint64_t> failed{0};   // views that could not be opened
  std::atomic<std::uint64_t> dropped{0};  // views whose socket ended after joining
  std::atomic<std::uint64_t> broken{0};   // diffs that did not apply, values that could not be read
  std::atomic<std::uint64_t> replies{0};  // click replies
};

class LiveLoop final : public ConnectionEvents {
 public:
  LiveLoop(ClientLoop& loop, const LiveViewConfig& config, LiveCounts& counts);

  // Opens count views (global numbers first_index, first_index + stride, …). Loop thread only,
  // like everything below.
  void open(std::uint32_t first_index, std::uint32_t stride, std::uint32_t count, std::uint32_t max_in_flight);

  std::vector<std::unique_ptr<LiveView>>& views() { return views_; }
  // Start (clearing every view's log) or stop logging value changes.
  void set_logging(bool on);
  // Pushes the configured event on view; false when it is not joined, or (unless pipelined) has
  // a click in flight.
  bool click(LiveView& view, bool pipelined = false);
  // Called on the loop thread for every click reply.
  std::function<void(LiveView&, const ClickReply&)> on_reply;

  // Mount time (GET to join reply) of every view joined so far.
  const LatencyHistogram& mount_latency() const { return mount_latency_; }
  std::uint64_t last_join_ns() const { return last_join_ns_; }
  // How many views hold value v (not broken, joined).
  std::uint64_t holding(std::int64_t v) const;
  std::string first_failure() const;
  std::string first_broken() const;
  std::string first_refusal() const;  // the first click answered with an error

 private:
  void open_more();
  void fetch_page(LiveView& view);
  void on_page(LiveView& view, std::string set_cookie, std::string body);
  void fail_open(LiveView& view, std::string why);
  void read_value(LiveView& view);
  void break_view(LiveView& view, const std::string& why);
  void on_click_reply(LiveView& view, const PhxFrame& frame);
  LiveView& view_of(Connection& conn) { return *by_slot_[conn.slot()]; }

  void on_open(Connection& conn) override;
  void on_join_reply(Connection& conn, const PhxFrame& reply) override;
  void on_joined(Connection& conn) override;
  void on_frame(Connection& conn, const PhxFrame& frame) override;
  void on_failed(Connection& conn, std::string_view why) override;

  ClientLoop& loop_;
  const LiveViewConfig& config_;
  LiveCounts& counts_;
  std::vector<std::unique_ptr<LiveView>> views_;
  std::vector<LiveView*> by_slot_;  // by the connection's slot in its loop
  std::uint32_t first_index_ = 0, stride_ = 1, count_ = 0, max_in_flight_ = 1;
  std::uint32_t opened_ = 0, in_flight_ = 0;
  bool logging_ = false;
  LatencyHistogram mount_latency_;
  std::uint64_t last_join_ns_ = 0;
  mutable std::mutex mu_;  // the first reasons, read by the controller
  std::string first_failure_, first_broken_, first_refusal_;
};

// Latency of each change to each view, from a view's log: change i (value values[i], acknowledged
// at ack_ns[i], clicked at sent_ns[i]) reached the view when it first showed a value >= it.
struct Change {
  std::int64_t value;
  std::uint64_t sent_ns;
  std::uint64_t ack_ns;
};
struct ChangeLatency {
  LatencyHistogram from_ack;    // view time − ack time (0 when the view had it first)
  LatencyHistogram from_click;  // view time − click time
  std::uint64_t before_ack = 0;  // views that showed a change before its clicker had the ack
  std::uint64_t missed = 0;      // (change, view) pairs the view never showed
};
void add_change_latencies(const std::vector<Change>& changes, const std::vector<ValueSeen>& log, ChangeLatency& out);

}  // namespace cohort::bench
