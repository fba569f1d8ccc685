// publisher.hpp — the publishing side of fanout: pushes "shout" at a steady rate.
//
// Pacing: a 1 ms timer; each tick sends the messages due by then (rate × elapsed − sent), so
// messages leave in small bursts. A burst is capped at 100 ms worth of messages: when the loop
// falls further behind, the excess is skipped, not sent late, and `sent` says what really left.
// While more than 4 MB wait unwritten (the server is not reading), a tick sends nothing.
// Payload: {"seq":<n>,"t":<steady ns>,"pad":"xx…"} (pad only with --payload-bytes).
// Owner-thread-only, except `done`: once it reads true (acquire), the figures are final.
#pragma once

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <string>

#include "conn_opener.hpp"

namespace cohort::bench {

class Publisher final : public FrameHandler {
 public:
  Publisher(ClientLoop& loop, unsigned payload_bytes);

  void on_joined(Connection& conn) override { conn_ = &conn; }
  void on_frame(Connection&, const PhxFrame&) override {}  // its own shouts come back: ignored

  // Publishes for `seconds` at `rate` msgs/s, seqs from first_seq. Requires a joined connection.
  void start(double rate, double seconds, std::int64_t first_seq);

  std::atomic<bool> done{false};
  std::uint64_t sent = 0;
  std::uint64_t skipped = 0;        // due but dropped because the loop fell > 100 ms behind
  std::uint64_t stalled_ticks = 0;  // ticks that sent nothing because the socket was backed up
  std::uint64_t start_ns = 0;
  std::uint64_t end_ns = 0;

 private:
  void tick();
  void send_one(std::uint64_t now_ns);

  ClientLoop& loop_;
  Connection* conn_ = nullptr;
  boost::asio::steady_timer timer_;
  std::string pad_;
  std::string payload_;
  double rate_ = 0;
  std::uint64_t deadline_ns_ = 0;
  std::uint64_t max_burst_ = 1;
  std::int64_t next_seq_ = 0;
};

}  // namespace cohort::bench
