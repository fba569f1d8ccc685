// shout_counter.hpp — the subscriber side of fanout: counts and times "shout" broadcasts.
//
// One per client loop, shared by that loop's subscribers. Each broadcast's payload carries the
// publisher's "seq" and send time "t" (steady ns); latency is read time minus t. A seq not above
// the subscriber's previous one is out of order (duplicates included). A seq from before the
// current step started is late: counted apart, neither delivered nor timed.
// Owner-thread-only, except `delivered`, which only the owner writes and the controller polls.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "conn_opener.hpp"
#include "stats.hpp"

namespace cohort::bench {

class ShoutCounter final : public FrameHandler {
 public:
  explicit ShoutCounter(ClientLoop& loop) : loop_(loop) {}

  void on_frame(Connection& conn, const PhxFrame& frame) override;

  // Starts a step whose first seq is first_seq: resets the step's figures.
  void begin_step(std::int64_t first_seq);

  std::atomic<std::uint64_t> delivered{0};  // this step's in-step broadcasts received
  LatencyHistogram latency;
  std::uint64_t out_of_order = 0;
  std::uint64_t late = 0;
  std::uint64_t malformed = 0;  // shouts without an integer seq and t

 private:
  ClientLoop& loop_;
  std::vector<std::int64_t> last_seq_;  // by connection slot; -1 before the first
  std::int64_t first_seq_ = 0;
};

}  // namespace cohort::bench
