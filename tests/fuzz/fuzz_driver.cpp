// fuzz_driver.cpp — runs the ws_frame fuzz target without libFuzzer, so CI (gcc) exercises it.
//
// Runs LLVMFuzzerTestOneInput over: the files named on the command line (to replay a crash
// found by libFuzzer), a hand-made corpus of RFC 6455 edge-case streams, and kRandomInputs
// streams from a fixed seed (deterministic, a few seconds). Streams are built from mostly
// well-formed frames and then damaged, so they reach deep into the reader instead of failing
// on the first header byte. An invariant failure aborts, which fails the CTest test.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "net/ws_frame.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using namespace cohort::net::ws;

constexpr int kRandomInputs = 20000;
constexpr std::uint32_t kSeed = 0x5eed6455;

// Limit selectors for byte 0 (see kLimits in ws_frame_fuzz.cpp): index << 1 | masked.
constexpr std::uint8_t kLimit16 = 2 << 1, kLimit125 = 3 << 1, kLimit200 = 5 << 1, kLimit1000 = 6 << 1,
                       kLimit1M = 9 << 1;

void run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

std::string config(std::uint8_t limit, bool masked, std::uint8_t seed) {
  return std::string{static_cast<char>(limit | (masked ? 1 : 0)), static_cast<char>(seed)};
}

std::string frame(bool masked, Opcode op, std::string_view payload, bool fin = true) {
  return masked ? encode_masked_frame(op, payload, 0xa5c3e10f, fin) : encode_frame(op, payload, fin);
}

std::string raw(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

// Hand-made edge cases, each run for both modes and several chunkings.
std::vector<std::string> corpus() {
  std::vector<std::string> streams;
  for (bool m : {true, false}) {
    auto f = [m](Opcode op, std::string_view p, bool fin = true) { return frame(m, op, p, fin); };
    std::string mask = m ? raw({1, 2, 3, 4}) : "";
    int mbit = m ? 0x80 : 0;
    streams.push_back(f(Opcode::text, "hello"));
    streams.push_back(f(Opcode::text, std::string(125, 'a')) + f(Opcode::binary, std::string(126, 'b')));
    streams.push_back(f(Opcode::binary, std::string(65535, 'c')) + f(Opcode::binary, std::string(65536, 'd')));
    streams.push_back(f(Opcode::text, "Hel", false) + f(Opcode::ping, "p") +
                      f(Opcode::continuation, "lo", false) + f(Opcode::continuation, "!"));
    streams.push_back(f(Opcode::continuation, "orphan"));
    streams.push_back(f(Opcode::text, "a", false) + f(Opcode::text, "b"));
    streams.push_back(f(Opcode::ping, std::string(126, 'p')));
    streams.push_back(f(Opcode::ping, "x", false));
    streams.push_back(raw({0xC1, mbit | 1}) + mask + "x");  // rsv1
    streams.push_back(raw({0x83, mbit}) + mask);            // opcode 3
    streams.push_back(raw({0x82, mbit | 126, 0, 125}) + mask + std::string(125, 'x'));  // non-minimal 16
    streams.push_back(raw({0x82, mbit | 127, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}) + mask);   // non-minimal 64
    streams.push_back(raw({0x82, mbit | 127, 0x80, 0, 0, 0, 0, 0, 0, 0}) + mask);      // high bit
    streams.push_back(raw({0x82, mbit | 127, 0, 0, 0, 1, 0, 0, 0, 0}) + mask);         // 4 GiB
    for (const char* bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "\xFF"})
      streams.push_back(f(Opcode::text, bad));
    streams.push_back(f(Opcode::text, "a\xE2", false) + f(Opcode::continuation, "\x82", false) +
                      f(Opcode::continuation, "\xAC"));
    streams.push_back(f(Opcode::text, "\xED", false) + f(Opcode::continuation, "\xA0\x80"));
    streams.push_back(f(Opcode::binary, "\xFF\xFE"));
    streams.push_back(f(Opcode::close, ""));
    streams.push_back(f(Opcode::close, "\x03"));
    streams.push_back(f(Opcode::close, raw({0x03, 0xED})));  // 1005
    streams.push_back(f(Opcode::close, raw({0x03, 0xE8}) + "\xC0\xAF"));
    streams.push_back(f(Opcode::close, raw({0x03, 0xE8}) + "bye") + f(Opcode::text, "after") + "\xFF\xFF");
    streams.push_back(f(Opcode::text, std::string(1000, 'L'), false) + f(Opcode::ping, std::string(125, 'p')) +
                      f(Opcode::continuation, ""));
    streams.push_back(f(Opcode::text, std::string(600, 'L'), false) + f(Opcode::continuation, std::string(401, 'M')));
    streams.push_back(frame(!m, Opcode::text, "wrong masking"));
  }
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < streams.size(); ++i) {
    bool masked = i < streams.size() / 2;
    for (std::uint8_t limit : {kLimit16, kLimit125, kLimit1000, kLimit1M})
      for (std::uint8_t seed : {0, 1, 7, 63, 200}) inputs.push_back(config(limit, masked, seed) + streams[i]);
  }
  return inputs;
}

// A random stream of mostly well-formed frames, then damaged a little.
std::string random_input(std::mt19937& rng) {
  auto pick = [&](unsigned n) { return static_cast<unsigned>(rng() % n); };
  bool masked = pick(2);
  static constexpr std::uint8_t limits[] = {kLimit16, kLimit125, kLimit200, kLimit1000, kLimit1M};
  std::string out = config(limits[pick(5)], masked, static_cast<std::uint8_t>(rng()));

  static const char* const pieces[] = {"a", "ab", "hello ", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
                                       "\xED\x9F\xBF", "\xF4\x8F\xBF\xBF", "\xC3", "\xE2\x82", "\x80",
                                       "\xED\xA0\x80", "\xC0\xAF", "\xF4\x90\x80\x80", "\xFF"};
  auto payload = [&](std::size_t len) {
    std::string p;
    if (pick(3) == 0) {
      for (std::size_t i = 0; i < len; ++i) p.push_back(static_cast<char>(rng()));
    } else {
      while (p.size() < len) p += pieces[pick(pick(4) == 0 ? 15 : 8)];  // mostly valid UTF-8
    }
    return p;
  };
  static constexpr Opcode data_ops[] = {Opcode::text, Opcode::binary, Opcode::continuation};
  static constexpr Opcode control_ops[] = {Opcode::ping, Opcode::pong, Opcode::close};

  unsigned frames = 1 + pick(8);
  bool in_message = false;
  for (unsigned i = 0; i < frames; ++i) {
    std::string f;
    if (pick(4) == 0) {
      Opcode op = control_ops[pick(3)];
      std::string p = payload(pick(10) == 0 ? 126 : pick(40));
      if (op == Opcode::close && pick(2)) {
        static constexpr std::uint16_t codes[] = {1000, 1001, 1005, 999, 3000, 4999, 5000, 1011};
        std::uint16_t code = codes[pick(8)];
        p = raw({code >> 8, code & 0xFF}) + p.substr(0, 20);
      }
      f = frame(masked ^ (pick(30) == 0), op, p, pick(20) != 0);
    } else {
      // Usually a sensible fragment sequence; sometimes a wrong one.
      Opcode op = in_message ? Opcode::continuation : (pick(2) ? Opcode::text : Opcode::binary);
      if (pick(10) == 0) op = data_ops[pick(3)];
      std::size_t len = pick(50) == 0 ? 65536 + pick(3) : pick(8) == 0 ? 126 + pick(300) : pick(126);
      bool fin = pick(3) != 0;
      f = frame(masked ^ (pick(30) == 0), op, payload(len), fin);
      in_message = !fin;
    }
    if (pick(25) == 0) f[0] = static_cast<char>(f[0] | (0x10 << pick(3)));  // a reserved bit
    if (pick(25) == 0) f[0] = static_cast<char>((f[0] & 0xF0) | (3 + pick(13)));  // another opcode
    out += f;
  }
  // Damage: flip bytes, truncate, or append garbage.
  for (unsigned flips = pick(3) == 0 ? 1 + pick(3) : 0; flips > 0 && out.size() > 2; --flips)
    out[2 + pick(static_cast<unsigned>(out.size() - 2))] ^= static_cast<char>(1 << pick(8));
  if (pick(6) == 0 && out.size() > 3) out.resize(2 + pick(static_cast<unsigned>(out.size() - 2)));
  if (pick(10) == 0)
    for (unsigned k = pick(20); k > 0; --k) out.push_back(static_cast<char>(rng()));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", argv[i]);
      return 1;
    }
    run(std::string(std::istreambuf_iterator<char>(in), {}));
  }
  std::size_t count = 0;
  for (const auto& input : corpus()) {
    run(input);
    ++count;
  }
  std::mt19937 rng(kSeed);
  for (int i = 0; i < kRandomInputs; ++i) {
    run(random_input(rng));
    ++count;
  }
  // Pure noise too: short inputs of random bytes.
  for (int i = 0; i < 2000; ++i) {
    std::string noise(2 + rng() % 64, '\0');
    for (auto& c : noise) c = static_cast<char>(rng());
    run(noise);
    ++count;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  std::printf("ws_frame_fuzz: %zu inputs, every invariant held (%lld ms)\n", count, static_cast<long long>(ms));
  return 0;
}
