// store_op_bench.cpp — what one store operation costs, by document size (src/store/key_authority).
//
// An "append" op on a doc whose items array holds N elements, and an "incr" of one counter
// among N: the cost should follow the change, not N. Storage is off (commit cost is SQLite's,
// measured by its own group commit); broadcasts go to a PubSub that counts them.
#include <benchmark/benchmark.h>

#include "store/key_authority.hpp"

namespace {

using namespace cohort;

class CountingPubSub final : public PubSub {
 public:
  void subscribe(std::string_view, Subscriber*) override {}
  void unsubscribe(std::string_view, Subscriber*) override {}
  void when_subscribed(std::string_view, std::function<void()> ready) override { ready(); }
  void broadcast(std::string_view, std::string_view, Json) override { ++sent; }
  void broadcast_from(const void*, std::string_view, std::string_view, Json) override { ++sent; }
  void broadcast_binary(const void*, std::string_view, std::string_view, std::string) override { ++sent; }
  std::size_t sent = 0;
};

StoreKind bench_kind(std::size_t n) {
  StoreKind kind;
  kind.name = "bench";
  json::array items;
  JsonObject counters;
  for (std::size_t i = 0; i < n; ++i) {
    items.push_back(JsonObject{{"id", i}, {"text", "item"}});
    counters["c" + std::to_string(i)] = 0;
  }
  kind.initial = JsonObject{{"items", std::move(items)}, {"counters", std::move(counters)}};
  kind.max_state_bytes = std::size_t{1} << 31;
  kind.history = 100;
  kind.ops["append"] = OpSpec{{}, [](const OpRequest&) {
    return OpResult::change({JsonObject{{"op", "add"}, {"path", "/items/-"}, {"value", JsonObject{{"id", 1}}}}});
  }};
  kind.ops["incr"] = OpSpec{{}, [](const OpRequest& r) {
    auto v = r.state.at("counters").at("c0").as_int64();
    return OpResult::change({JsonObject{{"op", "replace"}, {"path", "/counters/c0"}, {"value", v + 1}}});
  }};
  return kind;
}

void run(benchmark::State& state, const char* op) {
  std::size_t n = static_cast<std::size_t>(state.range(0));
  StoreKind kind = bench_kind(n);
  net::Reactor reactor(0);
  CountingPubSub pubsub;
  StoreLimits limits;
  store::StoreClock clock;
  store::KeyAuthority key("bench:1", {kind, nullptr, pubsub, reactor, limits, clock});
  std::size_t acked = 0;
  for (auto _ : state) {
    OpCall call;
    call.key = "bench:1";
    call.name = op;
    call.actor.id = "bench";  // ops refuse anonymous actors unless their spec allows them
    key.apply(std::move(call), [&](OpOutcome r) { acked += r.ok; });
    reactor.context().poll();  // runs the commit step
    reactor.context().restart();
  }
  if (acked != static_cast<std::size_t>(state.iterations())) state.SkipWithError("an op was rejected");
  state.counters["doc_elements"] = static_cast<double>(n);
}

void BM_AppendOp(benchmark::State& state) { run(state, "append"); }
void BM_IncrOp(benchmark::State& state) { run(state, "incr"); }

BENCHMARK(BM_AppendOp)->Arg(10)->Arg(100'000);
BENCHMARK(BM_IncrOp)->Arg(10)->Arg(100'000);

}  // namespace

BENCHMARK_MAIN();
