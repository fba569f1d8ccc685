// live_views.cpp — live views opened and kept as the official client does: see live_views.hpp.
#include "live_views.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <charconv>

#include "bench_clock.hpp"
#include "client_loop.hpp"

namespace cohort::bench {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::size_t kMaxPageBytes = 8 * 1024 * 1024;

// A live view's frames are bigger than a channel's: a join reply holds the whole page.
constexpr std::size_t kViewWakeSize = 16 * 1024;

std::optional<std::int64_t> to_int(std::string_view text) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) return std::nullopt;
  return v;
}

// GET path on a connection of its own (closed after): status, Set-Cookie, body. Throws on I/O
// errors and when timeout passes.
asio::awaitable<http::response<http::string_body>> get_page(const PageUrl& page, std::chrono::milliseconds timeout) {
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(timeout);
  co_await stream.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address(page.address), page.port),
                                asio::use_awaitable);
  http::request<http::empty_body> req{http::verb::get, page.path, 11};
  req.set(http::field::host, page.host_header);
  req.set(http::field::user_agent, "cohort-bench");
  req.set(http::field::accept, "text/html");
  req.set(http::field::connection, "close");
  co_await http::async_write(stream, req, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxPageBytes);
  co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  co_return parser.release();
}

}  // namespace

LiveLoop::LiveLoop(ClientLoop& loop, const LiveViewConfig& config, LiveCounts& counts)
    : loop_(loop), config_(config), counts_(counts) {}

void LiveLoop::open(std::uint32_t first_index, std::uint32_t stride, std::uint32_t count, std::uint32_t max_in_flight) {
  first_index_ = first_index;
  stride_ = stride;
  count_ = count;
  max_in_flight_ = std::max<std::uint32_t>(1, max_in_flight);
  open_more();
}

void LiveLoop::open_more() {
  while (opened_ < count_ && in_flight_ < max_in_flight_) {
    auto view = std::make_unique<LiveView>();
    view->index = first_index_ + opened_ * stride_;
    view->started_ns = steady_ns();
    ++opened_;
    ++in_flight_;
    views_.push_back(std::move(view));
    fetch_page(*views_.back());
  }
}

void LiveLoop::fetch_page(LiveView& view) {
  asio::co_spawn(
      loop_.io,
      [this, &view]() -> asio::awaitable<void> {
        std::string why;
        try {
          auto res = co_await get_page(config_.page, config_.fetch_timeout);
          if (res.result_int() != 200) {
            why = "GET " + config_.page.path + " answered " + std::to_string(res.result_int());
          } else {
            on_page(view, std::string(res[http::field::set_cookie]), std::move(res.body()));
            co_return;
          }
        } catch (const std::exception& e) {
          why = "GET " + config_.page.path + ": " + e.what();
        }
        fail_open(view, why);
      },
      asio::detached);
}

void LiveLoop::on_page(LiveView& view, std::string set_cookie, std::string body) {
  if (auto err = extract_live_page(body, view.page)) return fail_open(view, "GET " + config_.page.path + ": " + *err);
  view.target.host_header = config_.page.host_header;
  view.target.address = config_.page.address;
  view.target.port = config_.page.port;
  view.target.offer_deflate = config_.deflate;
  view.target.target = live_socket_target(view.page.csrf);
  view.target.cookie = cookie_pair(set_cookie);
  Connection& conn = loop_.add_connection(view.index, *this, kViewWakeSize);
  if (conn.slot() >= by_slot_.size()) by_slot_.resize(conn.slot() + 1, nullptr);
  by_slot_[conn.slot()] = &view;
  view.conn = &conn;
  conn.start(view.target);
}

void LiveLoop::fail_open(LiveView& view, std::string why) {
  view.broken = true;
  --in_flight_;
  {
    std::lock_guard lock(mu_);
    if (first_failure_.empty()) first_failure_ = why;
  }
  counts_.failed.fetch_add(1, std::memory_order_release);
  open_more();
}

void LiveLoop::on_open(Connection& conn) {
  LiveView& view = view_of(conn);
  conn.join("lv:" + view.page.id, live_join_payload(config_.page.url, view.page));
}

void LiveLoop::on_join_reply(Connection& conn, const PhxFrame& reply) {
  LiveView& view = view_of(conn);
  if (auto err = view.tree.mount_reply(reply.payload)) {
    conn.close();
    return fail_open(view, "join of lv:" + view.page.id + ": " + *err);
  }
  read_value(view);
}

void LiveLoop::on_joined(Connection& conn) {
  LiveView& view = view_of(conn);
  last_join_ns_ = loop_.now_ns;
  mount_latency_.record(loop_.now_ns - view.started_ns);
  --in_flight_;
  counts_.joined.fetch_add(1, std::memory_order_release);
  open_more();
}

void LiveLoop::on_frame(Connection& conn, const PhxFrame& frame) {
  LiveView& view = view_of(conn);
  if (view.broken) return;
  if (frame.event == "diff") {
    if (auto err = view.tree.merge_diff(frame.payload)) return break_view(view, *err);
    return read_value(view);
  }
  if (frame.event == "phx_reply" && !frame.ref_null) on_click_reply(view, frame);
}

void LiveLoop::on_failed(Connection& conn, std::string_view why) {
  LiveView& view = view_of(conn);
  if (!conn.was_joined()) return fail_open(view, std::string(why));
  view.broken = true;
  {
    std::lock_guard lock(mu_);
    if (first_broken_.empty()) first_broken_ = "dropped: " + std::string(why);
  }
  counts_.dropped.fetch_add(1, std::memory_order_release);
}

void LiveLoop::read_value(LiveView& view) {
  if (config_.marker.empty()) return;
  auto text = value_after(view.tree.tree(), config_.marker);
  auto v = text ? to_int(*text) : std::nullopt;
  if (!v) return break_view(view, "no integer after the marker in the tree of lv:" + view.page.id);
  if (view.value == v) return;
  view.value = v;
  if (logging_) view.log.push_back({*v, loop_.now_ns});
}

void LiveLoop::break_view(LiveView& view, const std::string& why) {
  view.broken = true;
  {
    std::lock_guard lock(mu_);
    if (first_broken_.empty()) first_broken_ = why;
  }
  counts_.broken.fetch_add(1, std::memory_order_release);
}

void LiveLoop::set_logging(bool on) {
  logging_ = on;
  if (on)
    for (auto& view : views_) view->log.clear();
}

bool LiveLoop::click(LiveView& view, bool pipelined) {
  if (view.broken || !view.conn || view.conn->state() != Connection::State::joined) return false;
  if (!pipelined && !view.clicks.empty()) return false;
  std::string payload = R"({"type":"click","event":")" + config_.event_name + R"(","value":)" + config_.event_value + "}";
  std::uint64_t sent = steady_ns();
  view.clicks.push_back({view.conn->push("event", payload), sent});
  return true;
}

// Replies come in order, except a refusal (past the node's --socket-max-pending-replies), which
// comes at once: the click is found by its ref. A refused click changed nothing: counted by the
// run, the view stays whole.
void LiveLoop::on_click_reply(LiveView& view, const PhxFrame& frame) {
  auto ref = ref_number(frame.ref);
  auto click = std::find_if(view.clicks.begin(), view.clicks.end(), [&](const LiveView::Click& c) { return c.ref == ref; });
  if (click == view.clicks.end()) return;
  ClickReply r;
  r.sent_ns = click->sent_ns;
  r.at_ns = loop_.now_ns;
  view.clicks.erase(click);
  auto before = view.value;
  r.ok = scan_reply_status(frame.payload) == "ok";
  if (!r.ok) {
    std::lock_guard lock(mu_);
    if (first_refusal_.empty()) first_refusal_ = std::string(frame.payload.substr(0, 200));
  } else if (auto err = view.tree.merge_reply(frame.payload, r.had_diff)) {
    r.ok = false;
    break_view(view, *err);
  } else {
    read_value(view);
  }
  r.value = view.value;
  r.value_changed = r.had_diff && view.value != before;
  counts_.replies.fetch_add(1, std::memory_order_release);
  if (on_reply) on_reply(view, r);
}

std::uint64_t LiveLoop::holding(std::int64_t v) const {
  std::uint64_t n = 0;
  for (const auto& view : views_)
    if (!view->broken && view->value == v) ++n;
  return n;
}

std::string LiveLoop::first_failure() const {
  std::lock_guard lock(mu_);
  return first_failure_;
}

std::string LiveLoop::first_refusal() const {
  std::lock_guard lock(mu_);
  return first_refusal_;
}

std::string LiveLoop::first_broken() const {
  std::lock_guard lock(mu_);
  return first_broken_;
}

void add_change_latencies(const std::vector<Change>& changes, const std::vector<ValueSeen>& log, ChangeLatency& out) {
  std::size_t j = 0;
  for (const Change& c : changes) {
    while (j < log.size() && log[j].value < c.value) ++j;
    if (j == log.size()) {
      ++out.missed;
      continue;
    }
    std::uint64_t t = log[j].at_ns;
    if (t < c.ack_ns) ++out.before_ack;
    out.from_ack.record(t > c.ack_ns ? t - c.ack_ns : 0);
    out.from_click.record(t > c.sent_ns ? t - c.sent_ns : 0);
  }
}

}  // namespace cohort::bench
