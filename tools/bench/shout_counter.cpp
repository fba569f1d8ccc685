// shout_counter.cpp — counting and timing broadcasts: see shout_counter.hpp.
#include "shout_counter.hpp"

#include "client_loop.hpp"

namespace cohort::bench {

void ShoutCounter::on_frame(Connection& conn, const PhxFrame& frame) {
  if (frame.event != "shout") return;  // presence_state and other pushes
  auto seq = find_int_member(frame.payload, "\"seq\"");
  auto t = find_int_member(frame.payload, "\"t\"");
  if (!seq || !t) {
    ++malformed;
    return;
  }
  if (conn.slot() >= last_seq_.size()) last_seq_.resize(conn.slot() + 1, -1);
  std::int64_t& last = last_seq_[conn.slot()];
  if (*seq <= last) ++out_of_order;
  else last = *seq;
  if (*seq < first_seq_) {
    ++late;
    return;
  }
  // Single writer: a plain load and store, no locked instruction per message.
  delivered.store(delivered.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  std::uint64_t sent_ns = static_cast<std::uint64_t>(*t);
  latency.record(loop_.now_ns > sent_ns ? loop_.now_ns - sent_ns : 0);
}

void ShoutCounter::begin_step(std::int64_t first_seq) {
  first_seq_ = first_seq;
  delivered.store(0, std::memory_order_relaxed);
  latency.reset();
  out_of_order = 0;
  late = 0;
  malformed = 0;
}

}  // namespace cohort::bench
