// runtime.cpp — a node's pieces run a step at a time: see runtime.hpp.
#include "testing/runtime.hpp"

#include <stdlib.h>

namespace cohort::testing {

namespace {

constexpr auto kStorageWait = std::chrono::seconds(10);  // a load or commit of a temporary SQLite file
constexpr std::size_t kMaxRounds = 100'000;              // settle() rounds before it calls a loop a loop
// The harness's tokens are valid in the harness only; a fixed secret keeps its runs alike.
constexpr const char* kSecret = "cohort-testing-harness-secret-0123456789abcdef";

std::filesystem::path temporary_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "cohort-testing-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw Failure("cannot make a temporary directory for the harness's SQLite file");
  return pattern;
}

}  // namespace

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

Runtime::Runtime(bool sqlite, StoreLimits store_limits)
    : guard(boost::asio::make_work_guard(reactors.at(0).context())), limits(store_limits), signer(kSecret) {
  if (sqlite) {
    dir = temporary_dir();
    std::string error;
    storage = open_sqlite_storage(dir.string(), error);
    if (!storage) throw Failure("the harness's SQLite storage: " + error);
  }
  make_stores();
}

Runtime::~Runtime() {
  try {
    settle();
  } catch (...) {  // a test that failed already: what is left is torn down as it is
  }
  if (stores) stores->stop_loading();
  stores.reset();
  if (storage) storage->flush();
  storage.reset();
  guard.reset();
  reactor().poll();  // what tearing down posted
  if (!dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
}

void Runtime::make_stores() {
  auto held = stores ? std::optional(stores->clock().now()) : std::nullopt;
  stores = std::make_unique<store::LocalStores>(reactors, pubsub, storage.get());
  stores->set_storage(storage.get());
  stores->set_limits(limits);
  stores->clock().hold();
  if (held && *held > stores->clock().now()) stores->clock().advance(*held - stores->clock().now());
  for (const auto& k : kinds) stores->define(k);
}

void Runtime::define(StoreKind kind) {
  if (stores_used) throw Failure("define(" + in_quotes(kind.name) + ") after the stores were used: define every kind first");
  stores->define(kind);
  kinds.push_back(std::move(kind));
}

void Runtime::restart_stores() {
  if (!storage) throw Failure("restart() without storage: nothing would load again (StoreHarness::Options::sqlite)");
  settle();
  stores->stop_loading();
  storage->flush();
  reactor().poll();
  make_stores();
}

void Runtime::run(std::function<void()> fn) {
  reactor().post(std::move(fn));
  settle();
}

std::size_t Runtime::fire_due() {
  std::size_t fired = 0;
  while (!timers_.empty() && timers_.begin()->first.first <= now()) {
    auto fn = std::move(timers_.begin()->second);
    timers_.erase(timers_.begin());
    reactor().post(std::move(fn));  // on the reactor, as a node's timer handler runs
    ++fired;
  }
  return fired;
}

void Runtime::settle() {
  until([] { return true; }, "");
}

void Runtime::until(const std::function<bool()>& done, const std::string& what) {
  auto deadline = store::Clock::now() + kStorageWait;
  for (std::size_t round = 0;; ++round) {
    if (round > kMaxRounds) throw Failure("the harness never settles: something reschedules itself at once, forever");
    std::size_t ran = 0;
    try {
      ran = reactor().poll() + fire_due();
    } catch (const Failure&) {
      throw;
    } catch (const std::exception& e) {
      throw Failure(std::string("a handler threw: ") + e.what());
    }
    if (ran) continue;
    if (done()) return;
    // Nothing is ready and what we wait for has not come: only a storage thread can still bring it.
    if (!storage) throw Failure(what + " never came: it waits for something that does not happen by itself");
    if (store::Clock::now() > deadline) throw Failure(what + " did not come within 10 s");
    reactor().run_one_for(std::chrono::milliseconds(50));
  }
}

void Runtime::after(std::chrono::milliseconds delay, std::function<void()> fn) {
  timers_.emplace(std::pair(now() + delay, ++timer_seq_), std::move(fn));
}

void Runtime::advance(std::chrono::milliseconds d) {
  if (d.count() < 0) throw Failure("advance() by a negative time");
  settle();
  auto end_at = now() + d;
  while (!timers_.empty() && timers_.begin()->first.first <= end_at) {
    auto due = timers_.begin()->first.first;
    if (due > now()) stores->clock().advance(due - now());
    stores->tick();
    settle();
  }
  if (end_at > now()) stores->clock().advance(end_at - now());
  stores->tick();
  settle();
}

}  // namespace cohort::testing
