// reactor.cpp — reactor threads: see reactor.hpp.
#include "net/reactor.hpp"

namespace cohort::net {

namespace {
thread_local Reactor* t_current = nullptr;
}

Reactor* Reactor::current() { return t_current; }

void Reactor::run() {
  t_current = this;
  context_.run();
  t_current = nullptr;
}

namespace {
// Makes the calling thread the reactor's while it runs some of its handlers.
template <class Fn>
std::size_t as_reactor(Reactor* reactor, Fn fn) {
  Reactor* before = t_current;
  t_current = reactor;
  struct Restore {
    Reactor* before;
    ~Restore() { t_current = before; }
  } restore{before};
  return fn();
}
}  // namespace

std::size_t Reactor::poll() {
  return as_reactor(this, [this] { return context_.poll(); });
}

std::size_t Reactor::run_one_for(std::chrono::milliseconds wait) {
  return as_reactor(this, [this, wait] { return context_.run_one_for(wait); });
}

ReactorSet::ReactorSet(unsigned count) {
  for (unsigned i = 0; i < count; ++i) reactors_.push_back(std::make_unique<Reactor>(i));
}

ReactorSet::~ReactorSet() {
  stop();
  join();
}

void ReactorSet::start() {
  for (auto& r : reactors_) guards_.emplace_back(asio::make_work_guard(r->context()));
  for (auto& r : reactors_) threads_.emplace_back([reactor = r.get()] { reactor->run(); });
}

void ReactorSet::release() {
  for (auto& g : guards_) g.reset();
  guards_.clear();
}

void ReactorSet::stop() {
  for (auto& r : reactors_) r->stop();
}

void ReactorSet::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace cohort::net
