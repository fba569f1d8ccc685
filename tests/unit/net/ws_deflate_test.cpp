// ws_deflate_test.cpp — permessage-deflate: src/net/ws_deflate.hpp (compress, inflate, pieces),
// the RSV1 rules of the FrameReader (ws_frame.hpp) and the offer negotiation (ws_extensions.hpp).
#include "net/ws_deflate.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "net/ws_extensions.hpp"
#include "net/ws_frame.hpp"

namespace cohort::net::ws {
namespace {

constexpr std::uint32_t kMask = 0x37fa213d;

struct Message {
  Opcode op;
  std::string payload;
};

class RecordingSink : public FrameSink {
 public:
  void on_message(Opcode op, std::string_view payload) override { messages.push_back({op, std::string(payload)}); }
  void on_control(Opcode op, std::string_view) override { controls.push_back(op); }
  std::vector<Message> messages;
  std::vector<Opcode> controls;
};

bool feed(FrameReader& reader, std::string_view bytes, FrameSink& sink) {
  std::vector<std::uint8_t> copy(bytes.begin(), bytes.end());
  return reader.feed(copy.data(), copy.size(), sink);
}

std::string deflate(std::string_view in) {
  std::string out;
  thread_deflater().compress(in, out);
  return out;
}

// A masked client frame; rsv1 sets the compressed bit.
std::string client_frame(Opcode op, std::string_view payload, bool fin = true, bool rsv1 = false) {
  std::string f = encode_masked_frame(op, payload, kMask, fin);
  if (rsv1) f[0] = static_cast<char>(f[0] | kRsv1);
  return f;
}

// Presence-like JSON: what the server compresses most.
std::string presence_text(int n) {
  std::string s = "{";
  for (int i = 0; i < n; ++i)
    s += (i ? "," : "") + std::string("\"u") + std::to_string(i) + "\":{\"metas\":[{\"phx_ref\":\"AAAAAQAAAAAAAA" +
         std::to_string(1000 + i) + "\"}]}";
  return s + "}";
}

TEST(Deflate, RoundTripsEmptySmallAndLargeMessages) {
  std::mt19937 rng(7);
  std::string noise(300'000, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  for (const std::string& text : {std::string(), std::string("x"), presence_text(2000), noise}) {
    std::string out;
    ASSERT_EQ(thread_inflater().inflate(deflate(text), 1 << 20, out), InflateResult::ok);
    EXPECT_EQ(out, text);
  }
}

TEST(Deflate, CompressesPresenceTextAboutTenfold) {
  std::string text = presence_text(5000);
  EXPECT_LT(deflate(text).size() * 5, text.size());
}

TEST(Deflate, TailIsRemovedUnlessKept) {
  std::string kept;
  thread_deflater().compress("hello", kept, /*keep_tail=*/true);
  ASSERT_GE(kept.size(), 4u);
  EXPECT_EQ(kept.substr(kept.size() - 4), std::string("\x00\x00\xff\xff", 4));
  EXPECT_EQ(deflate("hello"), kept.substr(0, kept.size() - 4));
}

TEST(Deflate, IndependentPiecesConcatenateIntoOneMessage) {
  // What a presence_state frame is: stored head + shared compressed state + compressed "]".
  std::string head = "[\"1\",null,\"room:x\",\"presence_state\",", state = presence_text(300);
  std::string message;
  append_stored_block(message, head);
  thread_deflater().compress(state, message, /*keep_tail=*/true);
  thread_deflater().compress("]", message);
  std::string out;
  ASSERT_EQ(thread_inflater().inflate(message, 1 << 20, out), InflateResult::ok);
  EXPECT_EQ(out, head + state + "]");
}

// A spliced frame's pieces, joined: what the client receives.
std::string joined(const std::vector<std::shared_ptr<const std::string>>& pieces) {
  std::string frame;
  for (const auto& p : pieces) frame += *p;
  return frame;
}

TEST(Deflate, SplicedFrameBelowTheThresholdIsPlainAndSharesThePayload) {
  SharedPayload state(std::make_shared<const std::string>(presence_text(3)));
  auto pieces = spliced_text_frame("[\"1\",null,\"room:x\",\"presence_state\",", state, "]", 1 << 20);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[1], state.text()) << "the shared bytes are referenced, not copied";
  std::string frame = joined(pieces);
  FrameView v = view_frame(frame);
  ASSERT_TRUE(v.ok);
  EXPECT_FALSE(v.rsv1);
  EXPECT_EQ(v.payload, "[\"1\",null,\"room:x\",\"presence_state\"," + *state.text() + "]");
}

TEST(Deflate, SplicedFrameAboveTheThresholdInflatesToTheWholeMessage) {
  SharedPayload state(std::make_shared<const std::string>(presence_text(300)));
  std::string head = "[\"7\",null,\"room:x\",\"presence_state\",";
  auto first = spliced_text_frame(head, state, "]", 512);
  auto again = spliced_text_frame("[\"8\",null,\"room:x\",\"presence_state\",", state, "]", 512);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[1], again[1]) << "compressed once, shared by every frame";
  std::string frame = joined(first);
  FrameView v = view_frame(frame);
  ASSERT_TRUE(v.ok);
  EXPECT_TRUE(v.rsv1);
  EXPECT_LT(v.payload.size() * 4, state.text()->size());
  std::string out;
  ASSERT_EQ(thread_inflater().inflate(v.payload, 1 << 20, out), InflateResult::ok);
  EXPECT_EQ(out, head + *state.text() + "]");

  std::string other = joined(spliced_text_frame(head, state, "]}", 512));  // another tail, then "]" again
  ASSERT_EQ(thread_inflater().inflate(view_frame(other).payload, 1 << 20, out), InflateResult::ok);
  EXPECT_EQ(out, head + *state.text() + "]}");
  std::string back = joined(spliced_text_frame(head, state, "]", 512));
  ASSERT_EQ(thread_inflater().inflate(view_frame(back).payload, 1 << 20, out), InflateResult::ok);
  EXPECT_EQ(out, head + *state.text() + "]");
}

TEST(Deflate, SplicedFrameWithAHeadTooBigForAStoredBlockGoesPlain) {
  SharedPayload state(std::make_shared<const std::string>(presence_text(300)));
  std::string head(70000, 'h');
  std::string frame = joined(spliced_text_frame(head, state, "]", 0));
  FrameView v = view_frame(frame);
  ASSERT_TRUE(v.ok);
  EXPECT_FALSE(v.rsv1);
  EXPECT_TRUE(v.payload == head + *state.text() + "]");  // (not printed: 90 KB)
}

TEST(Deflate, InflateStopsAtTheLimit) {
  std::string bomb = deflate(std::string(10 << 20, 'a'));  // 10 MiB of 'a' in a few KiB
  ASSERT_LT(bomb.size(), 64u * 1024);
  std::string out;
  EXPECT_EQ(thread_inflater().inflate(bomb, 1 << 20, out), InflateResult::too_big);
  EXPECT_LE(out.size(), (1u << 20) + 1);
  EXPECT_EQ(thread_inflater().inflate(deflate("fine"), 1 << 20, out), InflateResult::ok);  // usable after
  EXPECT_EQ(out, "fine");
}

TEST(Deflate, GarbageIsBadData) {
  std::string out;
  EXPECT_EQ(thread_inflater().inflate(std::string("\xff\xff\xff\xff\xff", 5), 1 << 20, out), InflateResult::bad_data);
}

TEST(Deflate, ViewFrameReadsEncodedFrames) {
  std::string text = presence_text(100);
  std::string frame = encode_deflated_frame(Opcode::text, text);
  FrameView v = view_frame(frame);
  ASSERT_TRUE(v.ok);
  EXPECT_TRUE(v.rsv1);
  EXPECT_TRUE(v.fin);
  std::string out;
  ASSERT_EQ(thread_inflater().inflate(v.payload, 1 << 20, out), InflateResult::ok);
  EXPECT_EQ(out, text);
  EXPECT_FALSE(view_frame(encode_frame(Opcode::text, "abc").substr(0, 4)).ok);
  EXPECT_FALSE(view_frame(encode_masked_frame(Opcode::text, "abc", kMask)).ok);
}

// ---- FrameReader: RSV1 ------------------------------------------------------------------------

TEST(DeflateReader, Rsv1WithoutNegotiationIsAProtocolError) {
  FrameReader reader(1 << 20, true);
  RecordingSink sink;
  EXPECT_FALSE(feed(reader, client_frame(Opcode::text, deflate("hi"), true, true), sink));
  EXPECT_EQ(reader.error().code, CloseCode::protocol_error);
}

TEST(DeflateReader, InflatesCompressedMessagesAndPassesPlainOnes) {
  FrameReader reader(1 << 20, true);
  reader.enable_deflate();
  RecordingSink sink;
  std::string big = presence_text(1000);
  ASSERT_TRUE(feed(reader, client_frame(Opcode::text, deflate(big), true, true), sink));
  ASSERT_TRUE(feed(reader, client_frame(Opcode::text, "plain"), sink));
  ASSERT_TRUE(feed(reader, client_frame(Opcode::binary, deflate(std::string("\x00\xff", 2)), true, true), sink));
  ASSERT_EQ(sink.messages.size(), 3u);
  EXPECT_EQ(sink.messages[0].payload, big);
  EXPECT_EQ(sink.messages[1].payload, "plain");
  EXPECT_EQ(sink.messages[2].op, Opcode::binary);
  EXPECT_EQ(sink.messages[2].payload, std::string("\x00\xff", 2));
}

TEST(DeflateReader, FragmentedCompressedMessageHasRsv1OnTheFirstFrameOnly) {
  FrameReader reader(1 << 20, true);
  reader.enable_deflate();
  RecordingSink sink;
  std::string text = presence_text(200), d = deflate(text);
  std::string bytes = client_frame(Opcode::text, d.substr(0, 10), false, true) +
                      client_frame(Opcode::ping, "p") +  // a control frame in between: plain
                      client_frame(Opcode::continuation, d.substr(10), true);
  ASSERT_TRUE(feed(reader, bytes, sink));
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0].payload, text);
  EXPECT_EQ(sink.controls, std::vector<Opcode>{Opcode::ping});
}

TEST(DeflateReader, Rsv1OnAContinuationFrameIsAProtocolError) {
  FrameReader reader(1 << 20, true);
  reader.enable_deflate();
  RecordingSink sink;
  std::string d = deflate("hello there");
  std::string bytes = client_frame(Opcode::text, d.substr(0, 3), false, true) +
                      client_frame(Opcode::continuation, d.substr(3), true, true);
  EXPECT_FALSE(feed(reader, bytes, sink));
  EXPECT_EQ(reader.error().code, CloseCode::protocol_error);
}

TEST(DeflateReader, Rsv1OnAControlFrameIsAProtocolError) {
  FrameReader reader(1 << 20, true);
  reader.enable_deflate();
  RecordingSink sink;
  EXPECT_FALSE(feed(reader, client_frame(Opcode::ping, "", true, true), sink));
  EXPECT_EQ(reader.error().code, CloseCode::protocol_error);
}

TEST(DeflateReader, BombClosesWith1009) {
  FrameReader reader(64 * 1024, true);
  reader.enable_deflate();
  RecordingSink sink;
  EXPECT_FALSE(feed(reader, client_frame(Opcode::text, deflate(std::string(8 << 20, ' ')), true, true), sink));
  EXPECT_EQ(reader.error().code, CloseCode::too_big);
  EXPECT_TRUE(sink.messages.empty());
}

TEST(DeflateReader, BadDeflateDataClosesWith1007) {
  FrameReader reader(1 << 20, true);
  reader.enable_deflate();
  RecordingSink sink;
  EXPECT_FALSE(feed(reader, client_frame(Opcode::text, std::string("\xff\xfe\xfd", 3), true, true), sink));
  EXPECT_EQ(reader.error().code, CloseCode::invalid_payload);
}

TEST(DeflateReader, InflatedTextMustBeUtf8) {
  FrameReader reader(1 << 20, true);
  reader.enable_deflate();
  RecordingSink sink;
  EXPECT_FALSE(feed(reader, client_frame(Opcode::text, deflate("\xc3\x28"), true, true), sink));
  EXPECT_EQ(reader.error().code, CloseCode::invalid_payload);
}

TEST(DeflateReader, ClientReaderInflatesServerFrames) {
  FrameReader reader(1 << 20, false);
  reader.enable_deflate();
  RecordingSink sink;
  std::string text = presence_text(50);
  ASSERT_TRUE(feed(reader, encode_deflated_frame(Opcode::text, text), sink));
  ASSERT_EQ(sink.messages.size(), 1u);
  EXPECT_EQ(sink.messages[0].payload, text);
}

// ---- negotiation --------------------------------------------------------------------------------

TEST(DeflateNegotiation, AcceptsPlainAndBrowserOffers) {
  std::string yes(kDeflateResponse);
  EXPECT_EQ(negotiate_permessage_deflate("permessage-deflate"), yes);
  EXPECT_EQ(negotiate_permessage_deflate("permessage-deflate; client_max_window_bits"), yes);  // Chrome, ws
  EXPECT_EQ(negotiate_permessage_deflate("Permessage-Deflate; Client_Max_Window_Bits=10"), yes);
  EXPECT_EQ(negotiate_permessage_deflate("permessage-deflate; client_max_window_bits=\"12\""), yes);
  EXPECT_EQ(negotiate_permessage_deflate("permessage-deflate; server_no_context_takeover; "
                                         "client_no_context_takeover; server_max_window_bits=15"),
            yes);
}

TEST(DeflateNegotiation, TriesOffersInOrder) {
  std::string yes(kDeflateResponse);
  EXPECT_EQ(negotiate_permessage_deflate("x-webkit-deflate-frame, permessage-deflate"), yes);
  EXPECT_EQ(negotiate_permessage_deflate("permessage-deflate; server_max_window_bits=10, "
                                         "permessage-deflate; client_max_window_bits"),
            yes);
}

TEST(DeflateNegotiation, DeclinesWhatItCannotHonour) {
  EXPECT_EQ(negotiate_permessage_deflate(""), "");
  EXPECT_EQ(negotiate_permessage_deflate("x-webkit-deflate-frame"), "");
  EXPECT_EQ(negotiate_permessage_deflate("permessage-deflate; server_max_window_bits=10"), "");  // shared frames use 15
  EXPECT_EQ(negotiate_permessage_deflate("permessage-deflate; server_max_window_bits"), "");     // needs a value
  EXPECT_EQ(negotiate_permessage_deflate("permessage-deflate; client_max_window_bits=7"), "");
  EXPECT_EQ(negotiate_permessage_deflate("permessage-deflate; client_max_window_bits=016"), "");
  EXPECT_EQ(negotiate_permessage_deflate("permessage-deflate; mystery"), "");
  EXPECT_EQ(negotiate_permessage_deflate("permessage-deflate; server_no_context_takeover; server_no_context_takeover"), "");
  EXPECT_EQ(negotiate_permessage_deflate("permessage-deflate; client_no_context_takeover=1"), "");
}

}  // namespace
}  // namespace cohort::net::ws
