// readiness.cpp — the storage probe loop and the /readyz verdict (readiness.hpp).
#include "readiness.hpp"

#include <boost/asio/post.hpp>

namespace cohort {

void Readiness::start(Storage& storage, boost::asio::io_context& io) {
  storage_ = &storage;
  timer_ = std::make_unique<boost::asio::steady_timer>(io);
  boost::asio::post(io, [this] { probe_now(); });
}

void Readiness::stop() { timer_.reset(); }

void Readiness::probe_later() {
  if (!timer_) return;
  timer_->expires_after(interval_);
  timer_->async_wait([this](boost::system::error_code ec) {
    if (!ec) probe_now();
  });
}

// On the timer's thread. The answer comes on the writer thread and only records; the timer is
// re-armed here, so a probe that never answers leaves in_flight set (and the node unready).
void Readiness::probe_now() {
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->in_flight) {
      state_->in_flight = true;
      state_->sent = Clock::now();
      storage_->probe([state = state_](std::optional<std::string> error) {
        std::lock_guard lock(state->mutex);
        state->in_flight = false;
        state->probed = true;
        state->failure = std::move(error);
        ++state->answers;
        state->answered.notify_all();
      });
    }
  }
  probe_later();
}

void Readiness::set_draining() {
  std::lock_guard lock(state_->mutex);
  state_->draining = true;
}

Readiness::Verdict Readiness::verdict(std::optional<std::string> cluster_problem, Clock::time_point now) const {
  Verdict v;
  std::lock_guard lock(state_->mutex);
  const auto waited = now - state_->sent;
  if (state_->draining) v.reasons.push_back("draining");
  if (state_->in_flight && waited > timeout_) {
    v.reasons.push_back("storage: no answer for " +
                        std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(waited).count()) + " ms");
  } else if (!state_->probed) {
    v.reasons.push_back("storage: not probed yet");
  } else if (state_->failure) {
    v.reasons.push_back("storage: not writable");
    v.detail = *state_->failure;
  }
  if (cluster_problem) v.reasons.push_back("cluster: " + *cluster_problem);
  v.ready = v.reasons.empty();
  return v;
}

bool Readiness::drain_commits(Storage& storage, Clock::time_point deadline) {
  auto done = std::make_shared<bool>(false);
  auto state = state_;
  storage.probe([state, done](std::optional<std::string>) {
    std::lock_guard lock(state->mutex);
    *done = true;
    state->answered.notify_all();
  });
  std::unique_lock lock(state->mutex);
  return state->answered.wait_until(lock, deadline, [&] { return *done; });
}

}  // namespace cohort
