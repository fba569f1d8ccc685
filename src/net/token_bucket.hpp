// token_bucket.hpp — a rate with a burst: how often a client may do something.
//
// Owns: one bucket of `burst` tokens, refilled at `rate` tokens a second, starting full. take()
// spends one token when there is one. An overdraft bucket (overdraft > 0) also charges what it
// refuses: the tokens go below zero, down to -overdraft, so a client that keeps sending after
// being refused digs itself deeper instead of being served again at once, and exhausted() tells
// when it has ignored `overdraft` refusals' worth of the rate: the signal to close it. A client
// that slows down below the rate climbs back out at the rate.
// Rate 0 means no limit: take() always succeeds. Time is passed in (steady clock), so the bucket
// is plain arithmetic, testable without waiting. Not thread-safe: one owner (a connection's
// reactor, or the lock of the table that holds it).
#pragma once

#include <algorithm>
#include <chrono>

namespace cohort::net {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket() = default;  // no limit
  TokenBucket(double rate_per_s, double burst, Clock::time_point now, double overdraft = 0)
      : rate_(rate_per_s), burst_(std::max(burst, 1.0)), floor_(-overdraft), tokens_(burst_), last_(now) {}

  // Spends a token: true when one was there. A refusal costs a token too in an overdraft bucket
  // (never below -overdraft).
  bool take(Clock::time_point now) {
    if (rate_ <= 0) return true;
    refill(now);
    if (tokens_ >= 1 - 1e-9) {  // 1e-9: a refill of exactly one token may sum to 0.99999...
      tokens_ -= 1;
      return true;
    }
    if (floor_ < 0) tokens_ = std::max(floor_, tokens_ - 1);  // only an overdraft bucket charges refusals
    return false;
  }

  // An overdraft bucket spent down to its floor: the client kept going after `overdraft` refusals.
  bool exhausted() const { return rate_ > 0 && floor_ < 0 && tokens_ <= floor_; }

  // Whether the bucket is full at now (an idle client: nothing to remember about it).
  bool full(Clock::time_point now) const {
    if (rate_ <= 0) return true;
    return tokens_ + elapsed_s(now) * rate_ >= burst_;
  }

  bool limited() const { return rate_ > 0; }
  double tokens() const { return tokens_; }

 private:
  double elapsed_s(Clock::time_point now) const {
    return now > last_ ? std::chrono::duration<double>(now - last_).count() : 0.0;
  }
  void refill(Clock::time_point now) {
    tokens_ = std::min(burst_, tokens_ + elapsed_s(now) * rate_);
    if (now > last_) last_ = now;
  }

  double rate_ = 0;    // tokens per second; 0 = no limit
  double burst_ = 1;   // the most tokens held
  double floor_ = 0;   // -overdraft
  double tokens_ = 1;
  Clock::time_point last_{};
};

}  // namespace cohort::net
