// conn_opener.cpp — bounded opening of connections: see conn_opener.hpp.
#include "conn_opener.hpp"

#include <algorithm>

#include "bench_clock.hpp"
#include "client_loop.hpp"

namespace cohort::bench {

void SetupProgress::record_failure(std::string_view why) {
  std::lock_guard lock(mu_);
  if (first_failure_.empty()) first_failure_ = std::string(why);
}

void SetupProgress::record_drop(std::string_view why) {
  std::lock_guard lock(mu_);
  if (first_drop_.empty()) first_drop_ = std::string(why);
}

std::string SetupProgress::first_failure() const {
  std::lock_guard lock(mu_);
  return first_failure_;
}

std::string SetupProgress::first_drop() const {
  std::lock_guard lock(mu_);
  return first_drop_;
}

ConnOpener::ConnOpener(ClientLoop& loop, const WsTarget& target, SetupProgress& progress, FrameHandler& handler)
    : loop_(loop), target_(target), progress_(progress), handler_(handler) {}

void ConnOpener::start(Plan plan) {
  plan_ = std::move(plan);
  plan_.max_in_flight = std::max<std::uint32_t>(plan_.max_in_flight, 1);
  open_more();
}

void ConnOpener::open_more() {
  while (!stopped_ && opened_ < plan_.count && in_flight_ < plan_.max_in_flight) {
    std::uint32_t index = plan_.first_index + opened_ * plan_.stride;
    ++opened_;
    ++in_flight_;
    loop_.add_connection(index, *this, plan_.wake_size).start(target_);
  }
}

void ConnOpener::on_open(Connection& conn) {
  if (plan_.params_of) conn.join(plan_.topic_of(conn.index()), plan_.params_of(conn.index()));
  else conn.join(plan_.topic_of(conn.index()));
}

void ConnOpener::on_joined(Connection& conn) {
  last_join_ns_ = loop_.now_ns;
  join_latency_.record(loop_.now_ns - conn.started_ns());
  --in_flight_;
  progress_.joined.fetch_add(1, std::memory_order_release);
  handler_.on_joined(conn);
  open_more();
}

void ConnOpener::on_frame(Connection& conn, const PhxFrame& frame) { handler_.on_frame(conn, frame); }

void ConnOpener::on_failed(Connection& conn, std::string_view why) {
  if (conn.was_joined()) {
    progress_.record_drop(why);
    progress_.dropped.fetch_add(1, std::memory_order_release);
    return;
  }
  --in_flight_;
  stopped_ = true;
  progress_.record_failure(why);  // before the count, so that a waiter sees the reason
  progress_.failed.fetch_add(1, std::memory_order_release);
}

void open_spread(ClientPool& pool, std::vector<std::unique_ptr<ConnOpener>>& openers, std::uint32_t count,
                 std::uint32_t max_in_flight, const std::function<std::string(std::uint32_t)>& topic_of,
                 std::size_t wake_size, const std::function<std::string(std::uint32_t)>& params_of) {
  auto loops = static_cast<std::uint32_t>(openers.size());
  pool.run_on_all([&](ClientLoop& loop) {
    if (loop.index >= loops) return;
    ConnOpener::Plan plan;
    plan.first_index = loop.index;
    plan.stride = loops;
    plan.count = count / loops + (loop.index < count % loops ? 1 : 0);
    plan.max_in_flight = std::max<std::uint32_t>(1, max_in_flight / loops);
    plan.topic_of = topic_of;
    plan.wake_size = wake_size;
    plan.params_of = params_of;
    openers[loop.index]->start(std::move(plan));
  });
}

std::optional<std::string> await_joined(const SetupProgress& progress, std::uint64_t expected,
                                        std::chrono::milliseconds timeout) {
  bool done = wait_until(
      [&] {
        return progress.failed.load(std::memory_order_acquire) > 0 ||
               progress.joined.load(std::memory_order_acquire) >= expected;
      },
      timeout);
  if (progress.failed.load() > 0) return progress.first_failure();
  if (!done)
    return "timed out after " + std::to_string(timeout.count() / 1000) + " s: " +
           std::to_string(progress.joined.load()) + " of " + std::to_string(expected) + " connections joined";
  return std::nullopt;
}

JoinSummary summarize_joins(ClientPool& pool, std::vector<std::unique_ptr<ConnOpener>>& openers) {
  JoinSummary summary;
  for (unsigned i = 0; i < pool.size(); ++i)
    pool.run_on(i, [&](ClientLoop& loop) {
      summary.last_join_ns = std::max(summary.last_join_ns, openers[loop.index]->last_join_ns());
      summary.latency.merge(openers[loop.index]->join_latency());
    });
  return summary;
}

}  // namespace cohort::bench
