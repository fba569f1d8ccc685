// ws_frame_fuzz.cpp — fuzz target for src/net/ws_frame.hpp (FrameReader, valid_utf8).
//
// Input layout: byte 0 picks the reader (bit 0: expect masked frames; bits 1..7: the message
// size limit from kLimits), byte 1 seeds the chunking, the rest is the byte stream.
// Each input is fed to a reader of both masking modes, one-shot, in chunks derived from the
// seed, and (for short inputs) byte by byte. Invariants, checked with abort() so libFuzzer and
// the plain driver both stop on them:
//  - no crash, no sanitizer report;
//  - delivered text is UTF-8, messages fit the limit, control payloads fit 125 bytes, a close
//    body is never 1 byte, nothing is delivered after a close;
//  - buffered() never exceeds the limit + one frame header + one control payload (a
//    fragmented message may be complete up to the limit while a ping is half received);
//  - after feed() returns false: failed(), the error code is 1002, 1007 or 1009 with a reason,
//    nothing is buffered, and later feeds return false and deliver nothing;
//  - after a close: nothing is buffered and later bytes are ignored;
//  - every way of chunking the stream gives exactly the same events and outcome;
//  - valid_utf8 agrees with a by-the-book RFC 3629 decoder.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "net/ws_frame.hpp"

namespace {

using namespace cohort::net::ws;

#define FUZZ_CHECK(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "ws_frame_fuzz: invariant failed: %s (%s:%d)\n", #cond, \
                   __FILE__, __LINE__);                                           \
      std::abort();                                                               \
    }                                                                             \
  } while (0)

constexpr std::size_t kLimits[] = {0, 1, 16, 125, 126, 200, 1000, 65535, 65536, 1 << 20};

struct Event {
  bool message;
  Opcode op;
  std::string payload;
  bool operator==(const Event&) const = default;
};

struct Outcome {
  std::vector<Event> events;
  bool ok = true;
  bool closed = false;
  CloseCode code = CloseCode::normal;
  std::size_t buffered = 0;
  bool operator==(const Outcome&) const = default;
};

bool reference_utf8(std::string_view s);

class CheckingSink : public FrameSink {
 public:
  explicit CheckingSink(std::size_t max) : max_(max) {}
  void on_message(Opcode op, std::string_view payload) override {
    FUZZ_CHECK(!saw_close_);
    FUZZ_CHECK(op == Opcode::text || op == Opcode::binary);
    FUZZ_CHECK(payload.size() <= max_);
    if (op == Opcode::text) FUZZ_CHECK(reference_utf8(payload));
    events.push_back({true, op, std::string(payload)});
  }
  void on_control(Opcode op, std::string_view payload) override {
    FUZZ_CHECK(!saw_close_);
    FUZZ_CHECK(op == Opcode::ping || op == Opcode::pong || op == Opcode::close);
    FUZZ_CHECK(payload.size() <= 125);
    if (op == Opcode::close) {
      FUZZ_CHECK(payload.size() != 1);
      if (payload.size() >= 2) FUZZ_CHECK(reference_utf8(payload.substr(2)));
      saw_close_ = true;
    }
    events.push_back({false, op, std::string(payload)});
  }
  std::vector<Event> events;

 private:
  std::size_t max_;
  bool saw_close_ = false;
};

// Feeds stream in pieces of the given sizes (cycled), checking the invariants after each.
Outcome run(const std::uint8_t* data, std::size_t size, std::size_t max, bool expect_masked,
            const std::vector<std::size_t>& pieces) {
  FrameReader reader(max, expect_masked);
  CheckingSink sink(max);
  std::vector<std::uint8_t> copy(data, data + size);  // feed() unmasks in place
  Outcome out;
  std::size_t pos = 0;
  for (std::size_t i = 0; pos < size; ++i) {
    std::size_t n = pieces.empty() ? size : pieces[i % pieces.size()];
    if (n == 0 || n > size - pos) n = size - pos;
    bool ok = reader.feed(copy.data() + pos, n, sink);
    pos += n;
    if (!ok) {
      FUZZ_CHECK(reader.failed());
      auto code = reader.error().code;
      FUZZ_CHECK(code == CloseCode::protocol_error || code == CloseCode::invalid_payload ||
                 code == CloseCode::too_big);
      FUZZ_CHECK(!reader.error().reason.empty());
      FUZZ_CHECK(reader.buffered() == 0);
      std::size_t before = sink.events.size();
      std::uint8_t more[2] = {0x81, 0x00};
      FUZZ_CHECK(!reader.feed(more, sizeof more, sink));
      FUZZ_CHECK(sink.events.size() == before);
      out.ok = false;
      out.code = code;
      break;
    }
    FUZZ_CHECK(!reader.failed());
    FUZZ_CHECK(reader.buffered() <= max + kMaxHeaderSize + 125);
    if (reader.closed()) FUZZ_CHECK(reader.buffered() == 0);
  }
  if (out.ok && reader.closed()) {
    std::size_t before = sink.events.size();
    std::uint8_t more[3] = {0x81, 0x81, 0xFF};
    FUZZ_CHECK(reader.feed(more, sizeof more, sink));
    FUZZ_CHECK(sink.events.size() == before);
    FUZZ_CHECK(reader.buffered() == 0);
  }
  out.events = std::move(sink.events);
  out.closed = reader.closed();
  out.buffered = reader.buffered();
  return out;
}

// RFC 3629 by the book, one code point at a time: the reference valid_utf8 must agree with.
bool reference_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned c = static_cast<std::uint8_t>(s[i]);
    std::size_t extra;
    std::uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      unsigned b = static_cast<std::uint8_t>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    std::uint32_t min = extra == 1 ? 0x80 : extra == 2 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

// Chunk sizes from a one-byte seed: a small linear congruential walk, mixing 1-byte pieces
// (header splits) with larger ones.
std::vector<std::size_t> chunking(std::uint8_t seed, std::size_t size) {
  std::vector<std::size_t> pieces;
  std::uint32_t x = seed * 2654435761u + 1;
  std::size_t total = 0;
  while (total < size && pieces.size() < 4096) {
    x = x * 1103515245u + 12345u;
    std::size_t n = (x >> 16) % 4 == 0 ? 1 + (x >> 8) % 3 : 1 + (x >> 8) % (seed % 64 + 2);
    pieces.push_back(n);
    total += n;
  }
  return pieces;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  bool expect_masked = data[0] & 1;
  std::size_t max = kLimits[(data[0] >> 1) % (sizeof kLimits / sizeof kLimits[0])];
  std::uint8_t seed = data[1];
  const std::uint8_t* stream = data + 2;
  std::size_t n = size - 2;

  for (bool masked : {expect_masked, !expect_masked}) {
    Outcome whole = run(stream, n, max, masked, {});
    Outcome chunked = run(stream, n, max, masked, chunking(seed, n));
    FUZZ_CHECK(whole == chunked);
    if (n <= 4096) {
      Outcome bytes = run(stream, n, max, masked, {1});
      FUZZ_CHECK(whole == bytes);
    }
  }
  // The UTF-8 checker agrees with the by-the-book decoder on the raw stream.
  std::string_view raw(reinterpret_cast<const char*>(stream), n);
  FUZZ_CHECK(valid_utf8(raw) == reference_utf8(raw));
  return 0;
}
