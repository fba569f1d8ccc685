// long_poll_wire_test.cpp — src/net/long_poll_wire.*: POST bodies (ndjson, base64 lines, the
// line bound), the JSON bodies the client reads, and taking messages out of server frames,
// whole, batched, split into pieces anywhere, spliced (as a presence_state is sent) and skipped.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "net/long_poll_wire.hpp"
#include "net/ws_deflate.hpp"
#include "net/ws_frame.hpp"

namespace cohort::net {
namespace {

using ws::Opcode;

struct Seen {
  Opcode op;
  std::string payload;
  bool operator==(const Seen&) const = default;
};

std::vector<Seen> unwrap_all(FrameUnwrapper& u, const std::vector<std::string>& pieces) {
  std::vector<Seen> seen;
  for (const auto& p : pieces) u.feed(p, [&](Opcode op, std::string_view payload) { seen.push_back({op, std::string(payload)}); });
  return seen;
}

TEST(ParsePostBody, TextLinesAsTheyCameBinaryLinesDecoded) {
  auto batch = parse_post_body("[\"1\",\"1\",\"room:a\",\"phx_join\",{}]\nAQID/w==\r\n\n[null,\"2\",\"phoenix\",\"heartbeat\",{}]");
  ASSERT_EQ(batch.error, "");
  ASSERT_EQ(batch.messages.size(), 3u);
  EXPECT_EQ(batch.messages[0].op, Opcode::text);
  EXPECT_EQ(batch.messages[0].bytes, "[\"1\",\"1\",\"room:a\",\"phx_join\",{}]");
  EXPECT_EQ(batch.messages[1].op, Opcode::binary);
  EXPECT_EQ(batch.messages[1].bytes, std::string("\x01\x02\x03\xff", 4));
  EXPECT_EQ(batch.messages[2].bytes, "[null,\"2\",\"phoenix\",\"heartbeat\",{}]");
}

TEST(ParsePostBody, AnEmptyBodyHasNoMessages) {
  auto batch = parse_post_body("");
  EXPECT_EQ(batch.error, "");
  EXPECT_TRUE(batch.messages.empty());
}

TEST(ParsePostBody, MoreThanTheBoundIsRefusedWhole) {
  std::string body;
  for (int i = 0; i < 101; ++i) body += "[]\n";
  auto batch = parse_post_body(body);
  EXPECT_EQ(batch.error, "more than 100 messages in one POST");
  EXPECT_TRUE(batch.messages.empty());
  body.resize(body.size() - 3);  // exactly 100
  EXPECT_EQ(parse_post_body(body).messages.size(), 100u);
}

TEST(ParsePostBody, ALineNeitherJsonNorBase64IsRefusedWithItsNumber) {
  auto batch = parse_post_body("[]\n{\"not\":\"an array\"}");
  EXPECT_EQ(batch.error, "line 2 is neither a JSON array nor base64");
  EXPECT_TRUE(batch.messages.empty());
}

TEST(DecodeBase64, PaddedUnpaddedAndRefused) {
  EXPECT_EQ(decode_base64("aGk="), "hi");
  EXPECT_EQ(decode_base64("aGk"), "hi");
  EXPECT_EQ(decode_base64("aGVsbG8="), "hello");
  EXPECT_EQ(decode_base64(""), "");
  EXPECT_EQ(decode_base64("AA=="), std::string(1, '\0'));
  EXPECT_FALSE(decode_base64("a"));        // a lone character is no byte
  EXPECT_FALSE(decode_base64("aG-k"));     // url-safe alphabet: not what btoa writes
  EXPECT_FALSE(decode_base64("aGk=\n"));
}

TEST(Bodies, StatusAndPollBodiesAreTheJsonTheClientReads) {
  EXPECT_EQ(status_body(200), "{\"status\":200}");
  EXPECT_EQ(poll_body(410, "T1", {}), "{\"status\":410,\"token\":\"T1\",\"messages\":[]}");
  EXPECT_EQ(poll_body(204, "", {}), "{\"status\":204,\"token\":null,\"messages\":[]}");
  std::string frame = "[\"4\",\"4\",\"room:lp\",\"phx_reply\",{\"s\":\"\\\"q\\\" ünï\\n\"}]";
  auto body = boost::json::parse(poll_body(200, "T1", {frame, "[1]"})).as_object();
  EXPECT_EQ(body.at("status").as_int64(), 200);
  EXPECT_EQ(body.at("token").as_string(), "T1");
  ASSERT_EQ(body.at("messages").as_array().size(), 2u);
  EXPECT_EQ(body.at("messages").as_array()[0].as_string(), frame) << "each message is the frame's text, as a string";
}

TEST(FrameUnwrapper, WholeFramesInOnePieceOrBatched) {
  FrameUnwrapper u;
  std::string big(70000, 'x');  // a 64-bit length header
  auto seen = unwrap_all(u, {ws::encode_frame(Opcode::text, "[1]"),
                             ws::encode_frame(Opcode::text, std::string(300, 'a')) + ws::encode_frame(Opcode::binary, "\x01"),
                             ws::encode_frame(Opcode::text, big)});
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0], (Seen{Opcode::text, "[1]"}));
  EXPECT_EQ(seen[1].payload.size(), 300u);
  EXPECT_EQ(seen[2], (Seen{Opcode::binary, "\x01"}));
  EXPECT_EQ(seen[3].payload, big);
  EXPECT_FALSE(u.pending());
}

TEST(FrameUnwrapper, AFrameSplitAnywhereComesOutOnceWhole) {
  std::string frame = ws::encode_frame(Opcode::text, std::string(200, 'b'));
  for (std::size_t cut = 1; cut < frame.size(); cut += 7) {
    FrameUnwrapper u;
    auto seen = unwrap_all(u, {frame.substr(0, cut), frame.substr(cut)});
    ASSERT_EQ(seen.size(), 1u) << "cut at " << cut;
    EXPECT_EQ(seen[0].payload, std::string(200, 'b'));
    EXPECT_FALSE(u.pending());
  }
}

TEST(FrameUnwrapper, ASplicedFrameAsAPresenceStateIsSent) {
  ws::SharedPayload shared(std::make_shared<const std::string>("{\"alice\":{\"metas\":[]}}"));
  auto pieces = ws::spliced_text_frame("[\"1\",null,\"room:a\",\"presence_state\",", shared, "]",
                                       std::numeric_limits<std::size_t>::max());
  FrameUnwrapper u;
  std::vector<std::string> parts;
  for (auto& p : pieces) parts.push_back(*p);
  auto seen = unwrap_all(u, parts);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].payload, "[\"1\",null,\"room:a\",\"presence_state\",{\"alice\":{\"metas\":[]}}]");
}

TEST(FrameUnwrapper, CompressedMaskedFragmentedAndControlFramesAreSkipped) {
  FrameUnwrapper u;
  auto seen = unwrap_all(u, {ws::encode_deflated_frame(Opcode::text, std::string(600, 'z')),
                             ws::encode_masked_frame(Opcode::text, "m", 0x01020304),
                             ws::encode_frame(Opcode::text, "part", /*fin=*/false),
                             ws::encode_frame(Opcode::continuation, "rest"),
                             ws::encode_close(ws::CloseCode::going_away, "bye"),
                             ws::encode_frame(Opcode::text, "[\"kept\"]")});
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].payload, "[\"kept\"]");
  EXPECT_EQ(u.skipped(), 4u);
}

}  // namespace
}  // namespace cohort::net
