// publisher.cpp — paced publishing: see publisher.hpp.
#include "publisher.hpp"

#include <algorithm>
#include <charconv>

#include "bench_clock.hpp"
#include "client_loop.hpp"

namespace cohort::bench {

namespace {

constexpr auto kTick = std::chrono::milliseconds(1);
constexpr double kMaxLagSeconds = 0.1;
constexpr std::size_t kMaxQueuedBytes = 4 * 1024 * 1024;
// Size of {"seq":…,"t":…,"pad":""} with typical numbers: subtracted from --payload-bytes.
constexpr std::size_t kBasePayloadSize = 48;

void append_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

}  // namespace

Publisher::Publisher(ClientLoop& loop, unsigned payload_bytes) : loop_(loop), timer_(loop.io) {
  if (payload_bytes > kBasePayloadSize) pad_.assign(payload_bytes - kBasePayloadSize, 'x');
}

void Publisher::start(double rate, double seconds, std::int64_t first_seq) {
  done.store(false, std::memory_order_relaxed);
  sent = skipped = stalled_ticks = 0;
  rate_ = rate;
  next_seq_ = first_seq;
  max_burst_ = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(rate * kMaxLagSeconds));
  start_ns = steady_ns();
  deadline_ns_ = start_ns + static_cast<std::uint64_t>(seconds * 1e9);
  timer_.expires_after(std::chrono::nanoseconds(0));
  tick();
}

void Publisher::tick() {
  std::uint64_t now = steady_ns();
  if (now >= deadline_ns_ || conn_ == nullptr || conn_->state() != Connection::State::joined) {
    end_ns = std::min(now, deadline_ns_);
    done.store(true, std::memory_order_release);
    return;
  }
  auto due = static_cast<std::uint64_t>(rate_ * ns_to_s(now - start_ns)) + 1;  // seq 0 at once
  std::uint64_t owed = due > sent + skipped ? due - sent - skipped : 0;
  if (owed > max_burst_) {
    skipped += owed - max_burst_;
    owed = max_burst_;
  }
  if (owed > 0 && conn_->queued_bytes() > kMaxQueuedBytes) {
    ++stalled_ticks;
    owed = 0;
  }
  for (std::uint64_t i = 0; i < owed; ++i) send_one(now);
  timer_.expires_at(timer_.expiry() + kTick);
  if (timer_.expiry() < std::chrono::steady_clock::now()) timer_.expires_after(kTick);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  });
}

void Publisher::send_one(std::uint64_t now_ns) {
  payload_.clear();
  payload_ += "{\"seq\":";
  append_number(payload_, static_cast<std::uint64_t>(next_seq_++));
  payload_ += ",\"t\":";
  append_number(payload_, now_ns);
  if (!pad_.empty()) {
    payload_ += ",\"pad\":\"";
    payload_ += pad_;
    payload_ += '"';
  }
  payload_ += '}';
  conn_->push("shout", payload_);
  ++sent;
}

}  // namespace cohort::bench
