// cluster_seal_bench.cpp — what the seal on a message between nodes costs (src/cluster/cluster_seal).
//
// Per broadcast a cluster makes one seal (on the publishing node) and one check per other node
// subscribed to the topic; per forged message one check. Sizes: a small shout (the common
// case), 1 KB and 64 KB payloads (the per-byte cost of HMAC-SHA256).
#include <benchmark/benchmark.h>

#include "cluster/cluster_seal.hpp"

namespace {

using namespace cohort::cluster;

const ClusterKey kKey = derive_cluster_key("cluster-seal-bench-secret-of-32-bytes-or-more");
constexpr std::string_view kChannel = "cohort:t:room:bench";

std::string body(std::size_t bytes) { return "C1 00000001 j 5\nshout{\"p\":\"" + std::string(bytes, 'x') + "\"}"; }

void BM_Seal(benchmark::State& state) {
  Sealer sealer(kKey, 1);
  std::string b = body(static_cast<std::size_t>(state.range(0)));
  std::uint64_t now = unix_ms();
  for (auto _ : state) {
    std::string m = unsealed_message(b.size());
    m.append(b);
    sealer.seal(kChannel, m, now);
    benchmark::DoNotOptimize(m);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * b.size()));
}
BENCHMARK(BM_Seal)->Arg(20)->Arg(1024)->Arg(65536);

void BM_Open(benchmark::State& state) {
  Sealer sealer(kKey, 1);
  SealCheck check(kKey, 2);
  std::string b = body(static_cast<std::size_t>(state.range(0)));
  std::uint64_t now = unix_ms();
  // Fresh messages (rising stamps), sealed beforehand: the loop measures the check alone.
  std::vector<std::string> messages(4096);
  for (auto& m : messages) {
    m = unsealed_message(b.size());
    m.append(b);
    sealer.seal(kChannel, m, now);
  }
  std::size_t i = 0;
  for (auto _ : state) {
    if (i == messages.size()) {  // re-seal the batch with newer stamps, off the clock
      state.PauseTiming();
      for (auto& m : messages) sealer.seal(kChannel, m, now);
      i = 0;
      state.ResumeTiming();
    }
    Opened o = check.open(kChannel, messages[i++], now);
    if (o.verdict != SealVerdict::accepted) state.SkipWithError("not accepted");
    benchmark::DoNotOptimize(o);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * b.size()));
}
BENCHMARK(BM_Open)->Arg(20)->Arg(1024)->Arg(65536);

// A forgery with a made-up tag: what a flood of them costs a receiving node per message.
void BM_RefuseForgery(benchmark::State& state) {
  SealCheck check(kKey, 2);
  std::string m = "S1 " + std::string(43, 'A') + " 00000001 " + std::string(16, '0') + "\n" + body(20);
  std::uint64_t now = unix_ms();
  for (auto _ : state) {
    Opened o = check.open(kChannel, m, now);
    benchmark::DoNotOptimize(o);
  }
}
BENCHMARK(BM_RefuseForgery);

}  // namespace

BENCHMARK_MAIN();
