// ws_frame_test.cpp — src/net/ws_frame.hpp against RFC 6455's edge cases: lengths, masking,
// fragmentation, control frames, close bodies, UTF-8 of text, size limits, chunked feeding.
#include "net/ws_frame.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace cohort::net::ws {
namespace {

constexpr std::uint32_t kMask = 0x37fa213d;  // the RFC 6455 5.7 example key (bytes 3d 21 fa 37)

// One thing the reader told its sink.
struct Event {
  enum Kind { message, control } kind;
  Opcode op;
  std::string payload;
  bool operator==(const Event&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Event& e) {
  return os << (e.kind == Event::message ? "message(" : "control(") << static_cast<int>(e.op)
            << ", " << e.payload.size() << " bytes)";
}

class RecordingSink : public FrameSink {
 public:
  void on_message(Opcode op, std::string_view payload) override {
    events.push_back({Event::message, op, std::string(payload)});
  }
  void on_control(Opcode op, std::string_view payload) override {
    events.push_back({Event::control, op, std::string(payload)});
  }
  std::vector<Event> events;
};

// Feeds a copy of bytes (the reader unmasks in place).
bool feed(FrameReader& reader, std::string_view bytes, FrameSink& sink) {
  std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
  return reader.feed(copy.data(), copy.size(), sink);
}

// Feeds bytes in pieces of the given sizes (the last piece takes the rest).
bool feed_chunked(FrameReader& reader, std::string_view bytes, const std::vector<std::size_t>& sizes,
                  FrameSink& sink) {
  std::size_t pos = 0;
  for (std::size_t i = 0; pos < bytes.size(); ++i) {
    std::size_t n = i < sizes.size() ? std::min(sizes[i], bytes.size() - pos) : bytes.size() - pos;
    if (!feed(reader, bytes.substr(pos, n), sink)) return false;
    pos += n;
  }
  return true;
}

std::string masked(Opcode op, std::string_view payload, bool fin = true) {
  return encode_masked_frame(op, payload, kMask, fin);
}

std::string close_body(std::uint16_t code, std::string_view reason = {}) {
  std::string body;
  body.push_back(static_cast<char>(code >> 8));
  body.push_back(static_cast<char>(code & 0xFF));
  body.append(reason);
  return body;
}

// A raw frame header with whatever length encoding the test wants (masked, key kMask).
std::string raw_header(std::uint8_t byte0, std::uint8_t len7, std::vector<std::uint8_t> ext, bool mask = true) {
  std::string h;
  h.push_back(static_cast<char>(byte0));
  h.push_back(static_cast<char>((mask ? 0x80 : 0) | len7));
  for (auto b : ext) h.push_back(static_cast<char>(b));
  if (mask) h.append("\x3d\x21\xfa\x37", 4);
  return h;
}

// Expects feeding bytes (to a fresh masked reader) to fail with code.
void expect_rejected(std::string_view bytes, CloseCode code, std::size_t max = 1 << 20,
                     bool expect_masked = true) {
  FrameReader reader(max, expect_masked);
  RecordingSink sink;
  EXPECT_FALSE(feed(reader, bytes, sink));
  EXPECT_TRUE(reader.failed());
  EXPECT_EQ(reader.error().code, code) << "reason: " << reader.error().reason;
  EXPECT_FALSE(reader.error().reason.empty());
  EXPECT_EQ(reader.buffered(), 0u);
}

// ---- lengths and masking ----

class LengthRoundTrip : public ::testing::TestWithParam<std::size_t> {};

TEST_P(LengthRoundTrip, MaskedFrameDecodesToTheSamePayload) {
  std::size_t n = GetParam();
  std::string payload(n, '\0');
  for (std::size_t i = 0; i < n; ++i) payload[i] = static_cast<char>('a' + i % 26);
  std::string frame = masked(Opcode::text, payload);

  std::size_t expected_header = n < 126 ? 6 : n <= 0xFFFF ? 8 : 14;
  ASSERT_EQ(frame.size(), expected_header + n);
  auto len7 = static_cast<std::uint8_t>(frame[1]) & 0x7F;
  EXPECT_EQ(static_cast<std::uint8_t>(frame[0]), 0x81);
  EXPECT_TRUE(static_cast<std::uint8_t>(frame[1]) & 0x80);
  EXPECT_EQ(static_cast<std::size_t>(len7), n < 126 ? n : n <= 0xFFFF ? std::size_t{126} : std::size_t{127});

  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  ASSERT_TRUE(feed(reader, frame, sink));
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0], (Event{Event::message, Opcode::text, payload}));
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST_P(LengthRoundTrip, UnmaskedFrameDecodesOnAClientReader) {
  std::size_t n = GetParam();
  std::string payload(n, '\x7f');
  std::string frame = encode_frame(Opcode::binary, payload);
  EXPECT_EQ(frame.size(), (n < 126 ? 2 : n <= 0xFFFF ? 4 : 10) + n);
  FrameReader reader(1 << 20, false);
  RecordingSink sink;
  ASSERT_TRUE(feed(reader, frame, sink));
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0], (Event{Event::message, Opcode::binary, payload}));
}

INSTANTIATE_TEST_SUITE_P(Rfc6455Lengths, LengthRoundTrip,
                         ::testing::Values(0, 1, 125, 126, 127, 65535, 65536, 100000));

TEST(WsFrameHeader, WritesBigEndianExtendedLengths) {
  std::uint8_t out[kMaxHeaderSize];
  ASSERT_EQ(write_header(out, Opcode::text, 0x1234, true), 4u);
  EXPECT_EQ(out[0], 0x81);
  EXPECT_EQ(out[1], 126);
  EXPECT_EQ(out[2], 0x12);
  EXPECT_EQ(out[3], 0x34);

  const std::uint8_t mask[4] = {1, 2, 3, 4};
  ASSERT_EQ(write_header(out, Opcode::binary, 0x0102030405ULL, false, mask), 14u);
  EXPECT_EQ(out[0], 0x02);  // fin clear
  EXPECT_EQ(out[1], 0x80 | 127);
  const std::uint8_t len[8] = {0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0x05};
  EXPECT_EQ(std::memcmp(out + 2, len, 8), 0);
  EXPECT_EQ(std::memcmp(out + 10, mask, 4), 0);
}

TEST(WsFrameHeader, Rfc6455MaskedHelloExample) {
  // RFC 6455 5.7: a single-frame masked text message "Hello".
  const std::string rfc("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  EXPECT_EQ(encode_masked_frame(Opcode::text, "Hello", 0x3d21fa37), rfc);
  FrameReader reader(1024, true);
  RecordingSink sink;
  ASSERT_TRUE(feed(reader, rfc, sink));
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].payload, "Hello");
}

TEST(WsFrameLength, NonMinimal16BitLengthIsRejected) {
  std::string frame = raw_header(0x82, 126, {0x00, 125}) + std::string(125, 'x');
  expect_rejected(frame, CloseCode::protocol_error);
  expect_rejected(raw_header(0x82, 126, {0x00, 0x00}), CloseCode::protocol_error);
}

TEST(WsFrameLength, NonMinimal64BitLengthIsRejected) {
  expect_rejected(raw_header(0x82, 127, {0, 0, 0, 0, 0, 0, 0xFF, 0xFF}), CloseCode::protocol_error);
  expect_rejected(raw_header(0x82, 127, {0, 0, 0, 0, 0, 0, 0, 5}), CloseCode::protocol_error);
}

TEST(WsFrameLength, SixtyFourBitLengthWithHighBitSetIsRejected) {
  expect_rejected(raw_header(0x82, 127, {0x80, 0, 0, 0, 0, 0, 0, 0}), CloseCode::protocol_error);
  expect_rejected(raw_header(0x82, 127, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}),
                  CloseCode::protocol_error);
}

// ---- fragmentation and control frames ----

TEST(WsFrameFragments, TextInThreeFramesIsDeliveredOnceJoined) {
  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  ASSERT_TRUE(feed(reader, masked(Opcode::text, "Hel", false), sink));
  EXPECT_TRUE(sink.events.empty());
  EXPECT_EQ(reader.buffered(), 3u);
  ASSERT_TRUE(feed(reader, masked(Opcode::continuation, "lo, ", false), sink));
  EXPECT_TRUE(sink.events.empty());
  EXPECT_EQ(reader.buffered(), 7u);
  ASSERT_TRUE(feed(reader, masked(Opcode::continuation, "world"), sink));
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0], (Event{Event::message, Opcode::text, "Hello, world"}));
  EXPECT_EQ(reader.buffered(), 0u);

  // The reader is ready for the next message.
  ASSERT_TRUE(feed(reader, masked(Opcode::binary, "x"), sink));
  ASSERT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(sink.events[1], (Event{Event::message, Opcode::binary, "x"}));
}

TEST(WsFrameFragments, ControlFramesBetweenFragmentsArriveInOrder) {
  std::string stream = masked(Opcode::text, "one ", false) + masked(Opcode::ping, "p1") +
                       masked(Opcode::continuation, "two ", false) + masked(Opcode::pong, "") +
                       masked(Opcode::ping, "p2") + masked(Opcode::continuation, "three");
  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  ASSERT_TRUE(feed(reader, stream, sink));
  std::vector<Event> expected = {
      {Event::control, Opcode::ping, "p1"},
      {Event::control, Opcode::pong, ""},
      {Event::control, Opcode::ping, "p2"},
      {Event::message, Opcode::text, "one two three"},
  };
  EXPECT_EQ(sink.events, expected);
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(WsFrameFragments, BinaryFragmentsAreJoined) {
  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  ASSERT_TRUE(feed(reader, masked(Opcode::binary, std::string("\x00\xff", 2), false) +
                               masked(Opcode::continuation, "", false) +
                               masked(Opcode::continuation, "\x80"), sink));
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0], (Event{Event::message, Opcode::binary, std::string("\x00\xff\x80", 3)}));
}

TEST(WsFrameFragments, ContinuationWithoutAStartIsAProtocolError) {
  expect_rejected(masked(Opcode::continuation, "x"), CloseCode::protocol_error);
  expect_rejected(masked(Opcode::continuation, "x", false), CloseCode::protocol_error);
  // Also after a complete message.
  expect_rejected(masked(Opcode::text, "a") + masked(Opcode::continuation, "b"), CloseCode::protocol_error);
}

TEST(WsFrameFragments, NewDataFrameInsideAFragmentedMessageIsAProtocolError) {
  expect_rejected(masked(Opcode::text, "a", false) + masked(Opcode::text, "b"), CloseCode::protocol_error);
  expect_rejected(masked(Opcode::text, "a", false) + masked(Opcode::binary, "b", false),
                  CloseCode::protocol_error);
  expect_rejected(masked(Opcode::binary, "a", false) + masked(Opcode::text, "b"), CloseCode::protocol_error);
}

TEST(WsFrameFragments, MessagesBeforeTheViolationAreStillDelivered) {
  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  EXPECT_FALSE(feed(reader, masked(Opcode::text, "ok") + masked(Opcode::continuation, "bad"), sink));
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].payload, "ok");
}

TEST(WsFrameControl, ControlFrameOver125BytesIsAProtocolError) {
  expect_rejected(masked(Opcode::ping, std::string(126, 'p')), CloseCode::protocol_error);
  expect_rejected(masked(Opcode::pong, std::string(126, 'p')), CloseCode::protocol_error);
  expect_rejected(masked(Opcode::close, close_body(1000, std::string(124, 'r'))), CloseCode::protocol_error);
  // 125 is the largest allowed.
  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  ASSERT_TRUE(feed(reader, masked(Opcode::ping, std::string(125, 'p')), sink));
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0], (Event{Event::control, Opcode::ping, std::string(125, 'p')}));
}

TEST(WsFrameControl, FragmentedControlFrameIsAProtocolError) {
  expect_rejected(masked(Opcode::ping, "p", false), CloseCode::protocol_error);
  expect_rejected(masked(Opcode::pong, "p", false), CloseCode::protocol_error);
  expect_rejected(masked(Opcode::close, "", false), CloseCode::protocol_error);
}

TEST(WsFrameControl, ControlFrameSizeIsCheckedBeforeItsPayloadArrives) {
  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  EXPECT_FALSE(feed(reader, raw_header(0x89, 126, {0x01, 0x00}), sink));  // ping of 256 bytes
  EXPECT_EQ(reader.error().code, CloseCode::protocol_error);
}

TEST(WsFrameHeaderBits, ReservedBitsAreAProtocolError) {
  for (std::uint8_t rsv : {0x40, 0x20, 0x10, 0x70}) {
    SCOPED_TRACE(static_cast<int>(rsv));
    expect_rejected(raw_header(0x81 | rsv, 1, {}) + "x", CloseCode::protocol_error);
    expect_rejected(raw_header(0x89 | rsv, 0, {}), CloseCode::protocol_error);
  }
}

TEST(WsFrameHeaderBits, UnknownOpcodesAreAProtocolError) {
  for (std::uint8_t op : {0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    SCOPED_TRACE(static_cast<int>(op));
    expect_rejected(raw_header(0x80 | op, 0, {}), CloseCode::protocol_error);
  }
}

TEST(WsFrameMasking, UnmaskedFrameOnAServerReaderIsAProtocolError) {
  expect_rejected(encode_frame(Opcode::text, "hi"), CloseCode::protocol_error, 1 << 20, true);
  expect_rejected(encode_frame(Opcode::ping, ""), CloseCode::protocol_error, 1 << 20, true);
}

TEST(WsFrameMasking, MaskedFrameOnAClientReaderIsAProtocolError) {
  expect_rejected(masked(Opcode::text, "hi"), CloseCode::protocol_error, 1 << 20, false);
}

TEST(WsFrameMasking, ApplyMaskMatchesTheRfcDefinitionAtEveryOffset) {
  const std::uint8_t mask[4] = {0xa1, 0x3c, 0x07, 0xfe};
  std::mt19937 rng(42);
  for (std::size_t len = 0; len <= 41; ++len) {
    for (std::size_t offset = 0; offset < 9; ++offset) {
      std::vector<std::uint8_t> data(len);
      for (auto& b : data) b = static_cast<std::uint8_t>(rng());
      std::vector<std::uint8_t> expected = data;
      for (std::size_t i = 0; i < len; ++i) expected[i] ^= mask[(offset + i) % 4];
      apply_mask(data.data(), len, mask, offset);
      ASSERT_EQ(data, expected) << "len " << len << " offset " << offset;
    }
  }
}

TEST(WsFrameMasking, ApplyMaskInPiecesEqualsOneShot) {
  const std::uint8_t mask[4] = {1, 2, 3, 4};
  std::vector<std::uint8_t> whole(100), pieces(100);
  for (std::size_t i = 0; i < whole.size(); ++i) whole[i] = pieces[i] = static_cast<std::uint8_t>(i * 7);
  apply_mask(whole.data(), whole.size(), mask, 0);
  std::size_t pos = 0;
  for (std::size_t n : {3, 1, 9, 17, 2, 40, 28}) {
    apply_mask(pieces.data() + pos, n, mask, pos);
    pos += n;
  }
  ASSERT_EQ(pos, 100u);
  EXPECT_EQ(whole, pieces);
  // Masking is its own inverse.
  apply_mask(whole.data(), whole.size(), mask, 0);
  for (std::size_t i = 0; i < whole.size(); ++i) ASSERT_EQ(whole[i], static_cast<std::uint8_t>(i * 7));
}

// ---- UTF-8 ----

struct Utf8Case {
  const char* name;
  std::string bytes;
};

std::ostream& operator<<(std::ostream& os, const Utf8Case& c) { return os << c.name; }

class InvalidUtf8 : public ::testing::TestWithParam<Utf8Case> {};

TEST_P(InvalidUtf8, TextFrameIsRejectedWith1007) {
  const auto& c = GetParam();
  EXPECT_FALSE(valid_utf8(c.bytes));
  expect_rejected(masked(Opcode::text, c.bytes), CloseCode::invalid_payload);
  // Behind 9 ASCII bytes, so the 8-byte fast path runs first.
  expect_rejected(masked(Opcode::text, "abcdefghi" + c.bytes), CloseCode::invalid_payload);
  // Followed by ASCII: the check must not stop early.
  expect_rejected(masked(Opcode::text, c.bytes + "abcdefghijklmnop"), CloseCode::invalid_payload);
}

TEST_P(InvalidUtf8, FragmentedTextIsRejectedWith1007) {
  const auto& c = GetParam();
  std::string stream = masked(Opcode::text, "ab", false) + masked(Opcode::continuation, c.bytes, false) +
                       masked(Opcode::continuation, "cd");
  expect_rejected(stream, CloseCode::invalid_payload);
}

TEST_P(InvalidUtf8, BinaryIsNeverUtf8Checked) {
  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  ASSERT_TRUE(feed(reader, masked(Opcode::binary, GetParam().bytes), sink));
  ASSERT_TRUE(feed(reader, masked(Opcode::binary, GetParam().bytes, false) +
                               masked(Opcode::continuation, GetParam().bytes), sink));
  ASSERT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(sink.events[0].payload, GetParam().bytes);
  EXPECT_EQ(sink.events[1].payload, GetParam().bytes + GetParam().bytes);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc3629, InvalidUtf8,
    ::testing::Values(Utf8Case{"overlong_slash_2byte", "\xC0\xAF"}, Utf8Case{"overlong_C1", "\xC1\xBF"},
                      Utf8Case{"overlong_slash_3byte", "\xE0\x80\xAF"},
                      Utf8Case{"overlong_3byte_max", "\xE0\x9F\xBF"},
                      Utf8Case{"overlong_slash_4byte", "\xF0\x80\x80\xAF"},
                      Utf8Case{"overlong_4byte_max", "\xF0\x8F\xBF\xBF"},
                      Utf8Case{"surrogate_D800", "\xED\xA0\x80"}, Utf8Case{"surrogate_DFFF", "\xED\xBF\xBF"},
                      Utf8Case{"above_10FFFF", "\xF4\x90\x80\x80"}, Utf8Case{"lead_F5", "\xF5\x80\x80\x80"},
                      Utf8Case{"lead_FF", "\xFF"}, Utf8Case{"lone_continuation", "\x80"},
                      Utf8Case{"truncated_2byte", "\xC3"}, Utf8Case{"truncated_3byte", "\xE2\x82"},
                      Utf8Case{"truncated_4byte", "\xF0\x9F\x98"},
                      Utf8Case{"bad_second_continuation", "\xE2\x82\x41"},
                      Utf8Case{"bad_third_continuation", "\xF0\x9F\x98\x41"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(WsFrameUtf8, ValidTextIncludingFourByteCharactersIsAccepted) {
  const std::string samples[] = {
      "",
      "plain ascii",
      "h\xC3\xA9llo",                        // é
      "\xE2\x82\xAC",                        // €
      "\xF0\x9D\x84\x9E \xF0\x9F\x98\x80",  // 𝄞 😀
      "\xED\x9F\xBF",                        // U+D7FF, just below the surrogates
      "\xEE\x80\x80",                        // U+E000, just above them
      "\xEF\xBF\xBF",                        // U+FFFF
      "\xF4\x8F\xBF\xBF",                    // U+10FFFF, the last code point
      std::string("nul\0inside", 10),
  };
  for (const auto& s : samples) {
    SCOPED_TRACE(s);
    EXPECT_TRUE(valid_utf8(s));
    FrameReader reader(1 << 20, true);
    RecordingSink sink;
    ASSERT_TRUE(feed(reader, masked(Opcode::text, s), sink));
    ASSERT_EQ(sink.events.size(), 1u);
    EXPECT_EQ(sink.events[0].payload, s);
  }
}

TEST(WsFrameUtf8, CharacterStraddlingFragmentBoundariesIsValid) {
  // € (E2 82 AC) split 1 | 1 | 1, and 😀 (F0 9F 98 80) split 2 | 2.
  std::string stream = masked(Opcode::text, "a\xE2", false) + masked(Opcode::continuation, "\x82", false) +
                       masked(Opcode::continuation, "\xAC b \xF0\x9F", false) +
                       masked(Opcode::continuation, "\x98\x80");
  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  ASSERT_TRUE(feed(reader, stream, sink)) << reader.error().reason;
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0], (Event{Event::message, Opcode::text, "a\xE2\x82\xAC b \xF0\x9F\x98\x80"}));
}

TEST(WsFrameUtf8, SurrogateSplitAcrossFragmentsIsRejected) {
  expect_rejected(masked(Opcode::text, "\xED", false) + masked(Opcode::continuation, "\xA0\x80"),
                  CloseCode::invalid_payload);
}

TEST(WsFrameUtf8, CharacterCutByTheLastFragmentIsRejected) {
  expect_rejected(masked(Opcode::text, "ok", false) + masked(Opcode::continuation, "\xF0\x9F\x98"),
                  CloseCode::invalid_payload);
}

// ---- size limit ----

TEST(WsFrameLimit, SingleFrameOverTheLimitIs1009) {
  expect_rejected(masked(Opcode::text, std::string(101, 'x')), CloseCode::too_big, 100);
  expect_rejected(masked(Opcode::binary, std::string(70000, 'x')), CloseCode::too_big, 65536);
  FrameReader reader(100, true);
  RecordingSink sink;
  ASSERT_TRUE(feed(reader, masked(Opcode::text, std::string(100, 'x')), sink));
  EXPECT_EQ(sink.events.size(), 1u);
}

TEST(WsFrameLimit, SumOfFragmentsOverTheLimitIs1009) {
  expect_rejected(masked(Opcode::text, std::string(60, 'x'), false) +
                      masked(Opcode::continuation, std::string(41, 'y')),
                  CloseCode::too_big, 100);
  expect_rejected(masked(Opcode::binary, std::string(50, 'x'), false) +
                      masked(Opcode::continuation, std::string(50, 'y'), false) +
                      masked(Opcode::continuation, "z"),
                  CloseCode::too_big, 100);
  FrameReader reader(100, true);
  RecordingSink sink;
  ASSERT_TRUE(feed(reader, masked(Opcode::text, std::string(60, 'x'), false) +
                               masked(Opcode::continuation, std::string(40, 'y')), sink));
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].payload.size(), 100u);
}

TEST(WsFrameLimit, OversizedFrameIsRejectedFromItsHeaderWithoutBufferingThePayload) {
  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  // Announces 2^40 bytes: must fail at once, not wait for (or allocate) the payload.
  EXPECT_FALSE(feed(reader, raw_header(0x82, 127, {0, 0, 0, 0x01, 0, 0, 0, 0}), sink));
  EXPECT_EQ(reader.error().code, CloseCode::too_big);
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(WsFrameLimit, ControlFramesDoNotCountTowardsTheMessage) {
  FrameReader reader(100, true);
  RecordingSink sink;
  ASSERT_TRUE(feed(reader, masked(Opcode::text, std::string(100, 'x'), false) +
                               masked(Opcode::ping, std::string(125, 'p')) + masked(Opcode::continuation, ""),
                   sink));
  ASSERT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(sink.events[1].payload.size(), 100u);
}

TEST(WsFrameLimit, BufferedStaysWithinTheMessageLimitPlusOneControlFrame) {
  // A full fragmented message is held while a ping is half received: the most a reader holds
  // is max message + one control frame (header + 125 bytes), never more.
  FrameReader reader(100, true);
  RecordingSink sink;
  ASSERT_TRUE(feed(reader, masked(Opcode::text, std::string(100, 'x'), false), sink));
  std::string ping = masked(Opcode::ping, std::string(125, 'p'));
  ASSERT_TRUE(feed(reader, std::string_view(ping).substr(0, ping.size() - 1), sink));
  EXPECT_EQ(reader.buffered(), 100 + ping.size() - 1);
  EXPECT_LE(reader.buffered(), 100 + kMaxHeaderSize + 125);
  ASSERT_TRUE(feed(reader, std::string_view(ping).substr(ping.size() - 1), sink));
  EXPECT_EQ(reader.buffered(), 100u);
  // A data frame that would pass the limit is refused before its payload is held.
  EXPECT_FALSE(feed(reader, raw_header(0x00, 1, {}), sink));
  EXPECT_EQ(reader.error().code, CloseCode::too_big);
}

// ---- chunked feeding ----

std::string mixed_stream() {
  return masked(Opcode::text, "first") + masked(Opcode::ping, "are you there") +
         masked(Opcode::text, "fr\xC3", false) + masked(Opcode::pong, "") +
         masked(Opcode::continuation, "\xA9", false) + masked(Opcode::continuation, "d\xC3\xA9ric") +
         masked(Opcode::binary, std::string(300, '\x01')) + masked(Opcode::text, std::string(70000, 'L')) +
         masked(Opcode::binary, "", false) + masked(Opcode::continuation, std::string(200, '\xfe')) +
         masked(Opcode::close, close_body(1000, "bye"));
}

TEST(WsFrameChunking, ByteByByteEqualsOneShot) {
  std::string stream = mixed_stream();
  FrameReader one(1 << 20, true), bytes(1 << 20, true);
  RecordingSink one_sink, byte_sink;
  ASSERT_TRUE(feed(one, stream, one_sink));
  ASSERT_TRUE(feed_chunked(bytes, stream, std::vector<std::size_t>(stream.size(), 1), byte_sink));
  ASSERT_EQ(one_sink.events.size(), 8u);
  EXPECT_EQ(one_sink.events, byte_sink.events);
  EXPECT_EQ(one_sink.events[3], (Event{Event::message, Opcode::text, "fr\xC3\xA9" "d\xC3\xA9ric"}));
  EXPECT_EQ(one_sink.events[2], (Event{Event::control, Opcode::pong, ""}));
  EXPECT_EQ(one_sink.events[7], (Event{Event::control, Opcode::close, close_body(1000, "bye")}));
  EXPECT_TRUE(bytes.closed());
  EXPECT_EQ(bytes.buffered(), 0u);
}

TEST(WsFrameChunking, RandomChunkingEqualsOneShot) {
  std::string stream = mixed_stream();
  FrameReader one(1 << 20, true);
  RecordingSink one_sink;
  ASSERT_TRUE(feed(one, stream, one_sink));
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    std::vector<std::size_t> sizes;
    for (std::size_t total = 0; total < stream.size();) {
      std::size_t n = 1 + rng() % (round % 2 ? 16 : 5000);
      sizes.push_back(n);
      total += n;
    }
    FrameReader chunked(1 << 20, true);
    RecordingSink sink;
    ASSERT_TRUE(feed_chunked(chunked, stream, sizes, sink));
    ASSERT_EQ(sink.events, one_sink.events) << "round " << round;
  }
}

TEST(WsFrameChunking, ErrorsAreFoundTheSameWayByteByByte) {
  std::string stream = masked(Opcode::text, "good") + masked(Opcode::text, "\xED\xA0\x80");
  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  EXPECT_FALSE(feed_chunked(reader, stream, std::vector<std::size_t>(stream.size(), 1), sink));
  EXPECT_EQ(reader.error().code, CloseCode::invalid_payload);
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].payload, "good");
}

TEST(WsFrameChunking, PartialFrameIsHeldUntilComplete) {
  std::string frame = masked(Opcode::text, "hello");
  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  for (std::size_t i = 0; i + 1 < frame.size(); ++i) {
    ASSERT_TRUE(feed(reader, frame.substr(i, 1), sink));
    EXPECT_EQ(reader.buffered(), i + 1);
    EXPECT_TRUE(sink.events.empty());
  }
  ASSERT_TRUE(feed(reader, frame.substr(frame.size() - 1), sink));
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(WsFrameChunking, FailureIsFinal) {
  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  EXPECT_FALSE(feed(reader, masked(Opcode::continuation, "x"), sink));
  EXPECT_FALSE(feed(reader, masked(Opcode::text, "later"), sink));
  EXPECT_TRUE(sink.events.empty());
  EXPECT_TRUE(reader.failed());
  EXPECT_EQ(reader.error().code, CloseCode::protocol_error);
}

TEST(WsFrameChunking, IdleReaderHoldsNothingAfterCompleteMessages) {
  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  ASSERT_TRUE(feed(reader, masked(Opcode::text, std::string(5000, 'a')), sink));
  EXPECT_EQ(reader.buffered(), 0u);
  ASSERT_TRUE(feed(reader, masked(Opcode::text, std::string(3000, 'a'), false) +
                               masked(Opcode::continuation, std::string(3000, 'b')), sink));
  EXPECT_EQ(reader.buffered(), 0u);
  std::string frame = masked(Opcode::binary, std::string(4000, 'c'));
  ASSERT_TRUE(feed(reader, frame.substr(0, 1000), sink));
  EXPECT_EQ(reader.buffered(), 1000u);
  ASSERT_TRUE(feed(reader, frame.substr(1000), sink));
  EXPECT_EQ(reader.buffered(), 0u);
  EXPECT_EQ(sink.events.size(), 3u);
}

// ---- close frames ----

TEST(WsFrameClose, EmptyBodyIsAccepted) {
  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  ASSERT_TRUE(feed(reader, masked(Opcode::close, ""), sink));
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0], (Event{Event::control, Opcode::close, ""}));
  EXPECT_TRUE(reader.closed());
}

TEST(WsFrameClose, OneByteBodyIsAProtocolError) {
  expect_rejected(masked(Opcode::close, "\x03"), CloseCode::protocol_error);
}

TEST(WsFrameClose, InvalidCodesAreAProtocolError) {
  for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535}) {
    SCOPED_TRACE(code);
    expect_rejected(masked(Opcode::close, close_body(code)), CloseCode::protocol_error);
  }
}

TEST(WsFrameClose, ValidCodesAreDeliveredWithTheirRawBody) {
  for (std::uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4000, 4999}) {
    SCOPED_TRACE(code);
    FrameReader reader(1 << 20, true);
    RecordingSink sink;
    std::string body = close_body(code, "bye \xE2\x82\xAC");
    ASSERT_TRUE(feed(reader, masked(Opcode::close, body), sink));
    ASSERT_EQ(sink.events.size(), 1u);
    EXPECT_EQ(sink.events[0], (Event{Event::control, Opcode::close, body}));
  }
}

TEST(WsFrameClose, ValidCodeWithInvalidUtf8ReasonIsAProtocolError) {
  expect_rejected(masked(Opcode::close, close_body(1000, "\xC0\xAF")), CloseCode::protocol_error);
  expect_rejected(masked(Opcode::close, close_body(1000, "ok\xED\xA0\x80")), CloseCode::protocol_error);
}

TEST(WsFrameClose, BytesAfterCloseAreIgnored) {
  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  std::string stream = masked(Opcode::text, "before") + masked(Opcode::close, close_body(1000)) +
                       masked(Opcode::text, "after") + "\xff\xff garbage";
  ASSERT_TRUE(feed(reader, stream, sink));
  ASSERT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(sink.events[0].payload, "before");
  EXPECT_EQ(sink.events[1].op, Opcode::close);
  EXPECT_EQ(reader.buffered(), 0u);
  // Later feeds are ignored too, garbage included.
  EXPECT_TRUE(feed(reader, masked(Opcode::text, "later") + "\x0f\x0f", sink));
  EXPECT_EQ(sink.events.size(), 2u);
  EXPECT_EQ(reader.buffered(), 0u);
  EXPECT_FALSE(reader.failed());
}

TEST(WsFrameClose, CloseInsideAFragmentedMessageDropsThePartialMessage) {
  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  ASSERT_TRUE(feed(reader, masked(Opcode::text, "partial", false) + masked(Opcode::close, close_body(1001)) +
                               masked(Opcode::continuation, "end"), sink));
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0].op, Opcode::close);
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(WsFrameClose, EncodeCloseCarriesCodeAndReason) {
  std::string frame = encode_close(CloseCode::going_away, "server shutting down");
  FrameReader client(1 << 20, false);
  RecordingSink sink;
  ASSERT_TRUE(feed(client, frame, sink));
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events[0], (Event{Event::control, Opcode::close, close_body(1001, "server shutting down")}));

  FrameReader server(1 << 20, true);
  RecordingSink server_sink;
  ASSERT_TRUE(feed(server, encode_close(CloseCode::normal, "", true), server_sink));
  ASSERT_EQ(server_sink.events.size(), 1u);
  EXPECT_EQ(server_sink.events[0].payload, close_body(1000));
}

TEST(WsFrameClose, EncodeCloseTruncatesTheBodyTo125Bytes) {
  std::string frame = encode_close(CloseCode::policy_violation, std::string(300, 'r'));
  ASSERT_EQ(frame.size(), 2u + 125u);
  EXPECT_EQ(static_cast<std::uint8_t>(frame[1]), 125);
  EXPECT_EQ(frame.substr(2), close_body(1008, std::string(123, 'r')));
  FrameReader client(1 << 20, false);
  RecordingSink sink;
  EXPECT_TRUE(feed(client, frame, sink));
  EXPECT_TRUE(client.closed());
}

TEST(WsFrameClose, EncodeCloseTruncationKeepsTheReasonValidUtf8) {
  // 62 two-byte characters (124 bytes) must be cut to fit 123 bytes: cutting inside the last
  // character would make a close frame that every reader (this one included) rejects as 1002.
  std::string reason;
  for (int i = 0; i < 62; ++i) reason += "\xC3\xA9";
  std::string frame = encode_close(CloseCode::normal, reason);
  EXPECT_LE(frame.size(), 2u + 125u);
  FrameReader client(1 << 20, false);
  RecordingSink sink;
  EXPECT_TRUE(feed(client, frame, sink)) << client.error().reason;
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_TRUE(valid_utf8(sink.events[0].payload.substr(2)));
  EXPECT_EQ(sink.events[0].payload.substr(0, 2), close_body(1000));
}

}  // namespace
}  // namespace cohort::net::ws
