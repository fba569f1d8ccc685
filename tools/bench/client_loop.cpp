// client_loop.cpp — client threads: see client_loop.hpp.
#include "client_loop.hpp"

#include <boost/asio/post.hpp>
#include <future>

#include "bench_clock.hpp"
#include "ws_client.hpp"

namespace cohort::bench {

ClientLoop::ClientLoop(unsigned i)
    : index(i), read_buffer(kReadBufferSize), rng_(0x9E3779B97F4A7C15ull ^ (steady_ns() + i * 0x632BE59BD9B4E019ull)) {
  if (rng_ == 0) rng_ = 1;
}

ClientLoop::~ClientLoop() = default;

Connection& ClientLoop::add_connection(std::uint32_t conn_index, ConnectionEvents& events, std::size_t wake_size) {
  auto slot = static_cast<std::uint32_t>(conns.size());
  conns.push_back(std::make_unique<Connection>(*this, conn_index, slot, events, wake_size));
  return *conns.back();
}

std::uint64_t ClientLoop::random64() {
  rng_ ^= rng_ << 13;
  rng_ ^= rng_ >> 7;
  rng_ ^= rng_ << 17;
  return rng_;
}

ClientPool::ClientPool(unsigned threads) {
  for (unsigned i = 0; i < threads; ++i) {
    loops_.push_back(std::make_unique<ClientLoop>(i));
    guards_.emplace_back(loops_.back()->io.get_executor());
  }
  for (auto& loop : loops_) threads_.emplace_back([l = loop.get()] { l->io.run(); });
}

ClientPool::~ClientPool() { stop(); }

void ClientPool::run_on(unsigned i, const std::function<void(ClientLoop&)>& fn) {
  std::promise<void> done;
  boost::asio::post(loops_[i]->io, [&] {
    fn(*loops_[i]);
    done.set_value();
  });
  done.get_future().wait();
}

void ClientPool::run_on_all(const std::function<void(ClientLoop&)>& fn) {
  std::vector<std::promise<void>> done(loops_.size());
  for (std::size_t i = 0; i < loops_.size(); ++i)
    boost::asio::post(loops_[i]->io, [&, i] {
      fn(*loops_[i]);
      done[i].set_value();
    });
  for (auto& d : done) d.get_future().wait();
}

namespace {

void arm_heartbeat(ClientLoop& loop, std::chrono::seconds every) {
  loop.heartbeat->expires_after(every);
  loop.heartbeat->async_wait([&loop, every](const boost::system::error_code& ec) {
    if (ec) return;
    for (auto& conn : loop.conns) conn->send_heartbeat();
    arm_heartbeat(loop, every);
  });
}

}  // namespace

void ClientPool::start_heartbeats(std::chrono::seconds every) {
  run_on_all([every](ClientLoop& loop) {
    loop.heartbeat.emplace(loop.io);
    arm_heartbeat(loop, every);
  });
}

void ClientPool::stop() {
  if (stopped_) return;
  stopped_ = true;
  run_on_all([](ClientLoop& loop) {
    if (loop.heartbeat) loop.heartbeat->cancel();
    for (auto& conn : loop.conns) conn->close();
  });
  for (auto& g : guards_) g.reset();
  for (auto& loop : loops_) loop->io.stop();
  for (auto& t : threads_) t.join();
  for (auto& loop : loops_) loop->conns.clear();
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace cohort::bench
