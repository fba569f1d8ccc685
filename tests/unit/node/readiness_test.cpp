// readiness_test.cpp — the /readyz verdict (src/readiness.hpp) over a storage whose probes the
// test answers by hand: one probe in flight at a time, a failure or a probe unanswered past the
// timeout makes the node unready (the failure's text kept for the admin listener only), an
// answer makes it ready again; draining and the cluster's problem add their reasons; the drain's
// wait for queued commits ends at its deadline when the storage never answers.
#include "readiness.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace cohort {
namespace {

using namespace std::chrono_literals;

// A Storage whose probes wait in `probes` until the test answers them. probe() may come from
// another thread than answer_next()'s (the drain's wait): the queue is guarded.
class ScriptedStorage final : public Storage {
 public:
  std::deque<Done> probes;
  std::mutex mutex;
  std::condition_variable queued;
  void answer(std::optional<std::string> error = std::nullopt) {
    ASSERT_FALSE(probes.empty());
    auto done = std::move(probes.front());
    probes.pop_front();
    done(std::move(error));
  }
  // Waits for the next probe (from any thread), then answers it with success.
  void answer_next() {
    std::unique_lock lock(mutex);
    queued.wait(lock, [&] { return !probes.empty(); });
    auto done = std::move(probes.front());
    probes.pop_front();
    lock.unlock();
    done(std::nullopt);
  }
  void probe(Done done) override {
    std::lock_guard lock(mutex);
    probes.push_back(std::move(done));
    queued.notify_all();
  }
  void append(std::string, std::uint64_t, Json, Json, Done done) override { done(std::nullopt); }
  std::optional<std::string> load(std::string_view, LoadedKey&) override { return std::nullopt; }
  void snapshot(std::string, std::uint64_t, Json) override {}
  std::optional<std::string> keys(std::vector<std::string>&) override { return std::nullopt; }
  void add_commit_hook(CommitHook) override {}
  void flush() override {}
};

struct ReadinessTest : ::testing::Test {
  boost::asio::io_context io;
  ScriptedStorage storage;
  Readiness readiness{1ms, 100ms};
  void TearDown() override { readiness.stop(); }
  std::vector<std::string> reasons(std::optional<std::string> cluster = std::nullopt,
                                   Readiness::Clock::time_point now = Readiness::Clock::now()) {
    return readiness.verdict(std::move(cluster), now).reasons;
  }
};

TEST_F(ReadinessTest, UnreadyUntilTheFirstProbeAnswers) {
  EXPECT_EQ(reasons(), std::vector<std::string>{"storage: not probed yet"});
  readiness.start(storage, io);
  io.poll();
  ASSERT_EQ(storage.probes.size(), 1u);
  EXPECT_FALSE(readiness.verdict(std::nullopt).ready);
  storage.answer();
  const auto v = readiness.verdict(std::nullopt);
  EXPECT_TRUE(v.ready);
  EXPECT_TRUE(v.reasons.empty());
  EXPECT_TRUE(v.detail.empty());
}

TEST_F(ReadinessTest, OneProbeInFlightHoweverOftenTheTimerFires) {
  readiness.start(storage, io);
  io.poll();
  for (int i = 0; i < 5; ++i) io.run_one();  // the 1 ms timer fires, each time with a probe out
  EXPECT_EQ(storage.probes.size(), 1u);
  storage.answer();
  io.run_one();  // the next firing sends the next probe
  EXPECT_EQ(storage.probes.size(), 1u);
}

TEST_F(ReadinessTest, AFailedProbeIsUnreadyWithItsTextAsDetailUntilOneSucceeds) {
  readiness.start(storage, io);
  io.poll();
  storage.answer("storage: PostgreSQL: connection refused");
  auto v = readiness.verdict(std::nullopt);
  EXPECT_FALSE(v.ready);
  EXPECT_EQ(v.reasons, std::vector<std::string>{"storage: not writable"});
  EXPECT_EQ(v.detail, "storage: PostgreSQL: connection refused");
  while (storage.probes.empty()) io.run_one();
  storage.answer();
  v = readiness.verdict(std::nullopt);
  EXPECT_TRUE(v.ready);
  EXPECT_TRUE(v.detail.empty());
}

TEST_F(ReadinessTest, AProbeUnansweredPastTheTimeoutIsUnready) {
  readiness.start(storage, io);
  io.poll();
  storage.answer();
  while (storage.probes.empty()) io.run_one();
  const auto sent = Readiness::Clock::now();
  EXPECT_TRUE(reasons(std::nullopt, sent + 50ms).empty()) << "within the timeout: still ready";
  const auto late = reasons(std::nullopt, sent + 1s);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_TRUE(late[0].starts_with("storage: no answer for ")) << late[0];
  storage.answer();
  EXPECT_TRUE(reasons(std::nullopt, sent + 1s).empty());
}

TEST_F(ReadinessTest, DrainingAndTheClusterAddTheirReasons) {
  readiness.start(storage, io);
  io.poll();
  storage.answer();
  EXPECT_EQ(reasons("Redis not linked (1 of 2 connections up)"),
            std::vector<std::string>{"cluster: Redis not linked (1 of 2 connections up)"});
  readiness.set_draining();
  EXPECT_EQ(reasons(), std::vector<std::string>{"draining"});
}

TEST_F(ReadinessTest, DrainCommitsWaitsForItsProbeUntilTheDeadline) {
  EXPECT_FALSE(readiness.drain_commits(storage, Readiness::Clock::now() + 20ms)) << "never answered";
  storage.probes.clear();
  std::thread writer([&] { storage.answer_next(); });  // the drain's probe, queued by the waiting thread
  EXPECT_TRUE(readiness.drain_commits(storage, Readiness::Clock::now() + 10s));
  writer.join();
}

}  // namespace
}  // namespace cohort
