// serializer_test.cpp — src/channels/serializer.hpp: the Phoenix Channels V2 text and binary
// formats (docs/protocol.md, Text frames and Binary frames), exact bytes in and out.
#include "channels/serializer.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace cohort::channels {
namespace {

std::string bin(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

std::string json_quoted(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

// ---- decode_text ----

TEST(SerializerDecodeText, StringRefsTopicEventAndPayload) {
  InMessage m;
  auto err = decode_text(R"(["3","4","room:lobby","new_msg",{"body":"hi","n":[1,2]}])", m);
  ASSERT_FALSE(err) << err->reason;
  EXPECT_EQ(m.join_ref, "3");
  EXPECT_EQ(m.ref, "4");
  EXPECT_EQ(m.join_ref_json, "\"3\"");
  EXPECT_EQ(m.ref_json, "\"4\"");
  EXPECT_EQ(m.topic, "room:lobby");
  EXPECT_EQ(m.event, "new_msg");
  EXPECT_EQ(m.payload, json::parse(R"({"body":"hi","n":[1,2]})"));
  EXPECT_FALSE(m.is_binary);
  EXPECT_TRUE(m.bad_request.empty());
}

TEST(SerializerDecodeText, NullRefs) {
  InMessage m;
  ASSERT_FALSE(decode_text(R"([null,"5","phoenix","heartbeat",{}])", m));
  EXPECT_FALSE(m.join_ref.has_value());
  EXPECT_EQ(m.join_ref_json, "null");
  EXPECT_EQ(m.ref, "5");
  EXPECT_EQ(m.topic, "phoenix");
  EXPECT_EQ(m.event, "heartbeat");
  EXPECT_TRUE(m.payload.is_object());
  EXPECT_TRUE(m.payload.as_object().empty());

  InMessage both;
  ASSERT_FALSE(decode_text(R"([null,null,"t","e",{}])", both));
  EXPECT_FALSE(both.join_ref);
  EXPECT_FALSE(both.ref);
  EXPECT_EQ(both.ref_json, "null");
  EXPECT_TRUE(both.bad_request.empty());
}

TEST(SerializerDecodeText, ExtraTrailingElementsAreTolerated) {
  InMessage m;
  auto err = decode_text(R"(["1","2","t","e",{"a":1},"extra",7,null])", m);
  ASSERT_FALSE(err) << err->reason;
  EXPECT_EQ(m.topic, "t");
  EXPECT_EQ(m.payload, json::parse(R"({"a":1})"));
}

TEST(SerializerDecodeText, RefStringsAreEchoedAsJsonStrings) {
  InMessage m;
  ASSERT_FALSE(decode_text(R"(["a\"b","c\\d","t","e",{}])", m));
  EXPECT_EQ(m.join_ref, "a\"b");
  EXPECT_EQ(m.join_ref_json, R"("a\"b")");
  EXPECT_EQ(m.ref_json, R"("c\\d")");
}

TEST(SerializerDecodeText, NonJsonIsAnError) {
  InMessage m;
  auto err = decode_text("not json", m);
  ASSERT_TRUE(err);
  EXPECT_TRUE(err->reason.starts_with("malformed JSON")) << err->reason;
  EXPECT_TRUE(decode_text("", m));
  EXPECT_TRUE(decode_text(R"(["1","2","t","e",{})", m));  // truncated
}

TEST(SerializerDecodeText, NonArrayIsAnError) {
  InMessage m;
  for (const char* text : {R"({"topic":"t"})", "42", R"("s")", "null"}) {
    auto err = decode_text(text, m);
    ASSERT_TRUE(err) << text;
    EXPECT_NE(err->reason.find("JSON array"), std::string::npos) << err->reason;
  }
}

TEST(SerializerDecodeText, FourElementsIsAnError) {
  InMessage m;
  auto err = decode_text(R"(["1","2","t","e"])", m);
  ASSERT_TRUE(err);
  EXPECT_NE(err->reason.find("5 elements"), std::string::npos) << err->reason;
  EXPECT_NE(err->reason.find("got 4"), std::string::npos) << err->reason;
  err = decode_text("[]", m);
  ASSERT_TRUE(err);
  EXPECT_NE(err->reason.find("got 0"), std::string::npos) << err->reason;
}

TEST(SerializerDecodeText, NonStringTopicOrEventIsAnError) {
  InMessage m;
  auto err = decode_text(R"(["1","2",7,"e",{}])", m);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->reason, "topic must be a string");
  err = decode_text(R"(["1","2",null,"e",{}])", m);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->reason, "topic must be a string");
  err = decode_text(R"(["1","2","t",{},{}])", m);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->reason, "event must be a string");
}

TEST(SerializerDecodeText, NumericRefsAreABadRequestEchoedVerbatim) {
  InMessage m;
  auto err = decode_text(R"([1,1,"room:a","new_msg",{}])", m);
  ASSERT_FALSE(err) << err->reason;  // well-formed: answered with an error reply, not a close
  EXPECT_FALSE(m.bad_request.empty());
  EXPECT_EQ(m.ref_json, "1");
  EXPECT_EQ(m.join_ref_json, "1");
  EXPECT_FALSE(m.ref.has_value());
  EXPECT_EQ(m.topic, "room:a");

  InMessage only_ref;
  ASSERT_FALSE(decode_text(R"([null,17,"t","e",{}])", only_ref));
  EXPECT_FALSE(only_ref.bad_request.empty());
  EXPECT_EQ(only_ref.ref_json, "17");
  EXPECT_EQ(only_ref.join_ref_json, "null");

  InMessage object_ref;
  ASSERT_FALSE(decode_text(R"(["1",{"x":true},"t","e",{}])", object_ref));
  EXPECT_FALSE(object_ref.bad_request.empty());
  EXPECT_EQ(object_ref.ref_json, R"({"x":true})");
}

// ---- decode_binary ----

TEST(SerializerDecodeBinary, ClientPushWithFiveByteHeader) {
  std::string frame = bin({0, 2, 1, 4, 3}) + "12" + "7" + "room" + "evt" + bin({0xde, 0xad, 0x00, 0xff});
  InMessage m;
  auto err = decode_binary(frame, m);
  ASSERT_FALSE(err) << err->reason;
  EXPECT_TRUE(m.is_binary);
  EXPECT_EQ(m.join_ref, "12");
  EXPECT_EQ(m.ref, "7");
  EXPECT_EQ(m.join_ref_json, "\"12\"");
  EXPECT_EQ(m.ref_json, "\"7\"");
  EXPECT_EQ(m.topic, "room");
  EXPECT_EQ(m.event, "evt");
  EXPECT_EQ(m.bytes, bin({0xde, 0xad, 0x00, 0xff}));
  EXPECT_EQ(m.bytes.data(), frame.data() + frame.size() - 4);  // points into the frame
}

TEST(SerializerDecodeBinary, EmptyFieldsAndPayload) {
  InMessage m;
  ASSERT_FALSE(decode_binary(bin({0, 0, 0, 0, 0}), m));
  EXPECT_EQ(m.topic, "");
  EXPECT_EQ(m.bytes.size(), 0u);
  EXPECT_EQ(m.ref_json, "\"\"");
}

TEST(SerializerDecodeBinary, TruncatedHeaderIsAnError) {
  InMessage m;
  for (std::size_t n = 0; n < 5; ++n) {
    auto err = decode_binary(bin({0, 0, 0, 0, 0}).substr(0, n), m);
    ASSERT_TRUE(err) << n;
    EXPECT_NE(err->reason.find("5-byte header"), std::string::npos) << err->reason;
  }
}

TEST(SerializerDecodeBinary, LengthsExceedingTheFrameAreAnError) {
  InMessage m;
  std::string full = bin({0, 1, 1, 1, 1}) + "abcd";
  ASSERT_FALSE(decode_binary(full, m));
  for (std::size_t cut = 5; cut < full.size(); ++cut) {
    auto err = decode_binary(full.substr(0, cut), m);
    ASSERT_TRUE(err) << cut;
    EXPECT_NE(err->reason.find("exceed"), std::string::npos) << err->reason;
  }
  auto err = decode_binary(bin({0, 255, 255, 255, 255}) + "x", m);
  ASSERT_TRUE(err);
}

TEST(SerializerDecodeBinary, WrongKindIsAnError) {
  InMessage m;
  for (int kind : {1, 2, 3, 255}) {
    auto err = decode_binary(bin({kind, 0, 0, 0, 0}), m);
    ASSERT_TRUE(err) << kind;
    EXPECT_NE(err->reason.find("kind " + std::to_string(kind)), std::string::npos) << err->reason;
  }
}

// ---- text encoding ----

TEST(SerializerEncode, MessageExactText) {
  EXPECT_EQ(encode_message("null", "null", "room:lobby", "shout", json::parse(R"({"body":"hi"})")),
            R"([null,null,"room:lobby","shout",{"body":"hi"}])");
  EXPECT_EQ(encode_message("\"3\"", "\"3\"", "room:lobby", "phx_close", JsonObject{}),
            R"(["3","3","room:lobby","phx_close",{}])");
  EXPECT_EQ(encode_message("\"1\"", "null", "t\"q", "e\n", json::parse("[1,true,null]")),
            R"(["1",null,"t\"q","e\n",[1,true,null]])");
}

TEST(SerializerEncode, ReplyExactText) {
  EXPECT_EQ(encode_reply("null", "\"1\"", "phoenix", "ok", JsonObject{}),
            R"([null,"1","phoenix","phx_reply",{"status":"ok","response":{}}])");
  EXPECT_EQ(encode_reply("\"3\"", "\"4\"", "room:1", "error", JsonObject{{"reason", "unmatched topic"}}),
            R"(["3","4","room:1","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}])");
  // A numeric ref from a bad request is echoed as the client sent it.
  EXPECT_EQ(encode_reply("1", "1", "t", "error", JsonObject{}),
            R"([1,1,"t","phx_reply",{"status":"error","response":{}}])");
}

TEST(SerializerEncode, EncodedFramesDecodeBack) {
  std::string text = encode_message("\"7\"", "\"8\"", "a\\b", "é\x01", json::parse(R"({"k":"v"})"));
  InMessage m;
  ASSERT_FALSE(decode_text(text, m));
  EXPECT_EQ(m.join_ref, "7");
  EXPECT_EQ(m.ref, "8");
  EXPECT_EQ(m.topic, "a\\b");
  EXPECT_EQ(m.event, "é\x01");
}

TEST(SerializerEncode, RefJson) {
  EXPECT_EQ(ref_json(std::nullopt), "null");
  EXPECT_EQ(ref_json(std::string("3")), "\"3\"");
  EXPECT_EQ(ref_json(std::string("a\"")), R"("a\"")");
}

TEST(SerializerJsonString, Escaping) {
  EXPECT_EQ(json_quoted(""), R"("")");
  EXPECT_EQ(json_quoted("plain"), R"("plain")");
  EXPECT_EQ(json_quoted("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(json_quoted("a\\b"), R"("a\\b")");
  EXPECT_EQ(json_quoted("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(json_quoted(std::string("\x00", 1)), R"("\u0000")");
  EXPECT_EQ(json_quoted("\x01\x1f"), R"("\u0001\u001f")");
  EXPECT_EQ(json_quoted("x\x1by"), R"("x\u001by")");
  EXPECT_EQ(json_quoted("\x7f"), "\"\x7f\"");  // DEL needs no escape in JSON
  EXPECT_EQ(json_quoted("/"), R"("/")");
}

TEST(SerializerJsonString, Utf8PassesThrough) {
  EXPECT_EQ(json_quoted("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80"), "\"h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80\"");
}

TEST(SerializerJsonString, AppendsToExistingText) {
  std::string out = "[";
  append_json_string(out, "a\"");
  append_json_string(out, "b");
  EXPECT_EQ(out, R"(["a\"""b")");
}

TEST(SerializerJsonString, EveryControlCharacterRoundTripsThroughAJsonParser) {
  std::string all;
  for (int c = 0; c < 0x20; ++c) all.push_back(static_cast<char>(c));
  all += "\"\\ end";
  std::string text = json_quoted(all);
  for (char c : text) ASSERT_GE(static_cast<unsigned char>(c), 0x20) << "raw control byte in " << text;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(v.as_string(), all);
}

// ---- binary encoding ----

TEST(SerializerBinary, PushHasFourByteHeaderWithoutRef) {
  EXPECT_EQ(encode_binary_push("12", "room", "evt", bin({1, 2, 3})),
            bin({0, 2, 4, 3}) + "12" + "room" + "evt" + bin({1, 2, 3}));
  EXPECT_EQ(encode_binary_push("", "t", "e", ""), bin({0, 0, 1, 1}) + "te");
}

TEST(SerializerBinary, ReplyExactBytes) {
  EXPECT_EQ(encode_binary_reply("1", "22", "room", "ok", bin({0xff, 0x00})),
            bin({1, 1, 2, 4, 2}) + "1" + "22" + "room" + "ok" + bin({0xff, 0x00}));
}

TEST(SerializerBinary, BroadcastExactBytes) {
  EXPECT_EQ(encode_binary_broadcast("room:x", "shout", "payload"),
            bin({2, 6, 5}) + "room:x" + "shout" + "payload");
}

TEST(SerializerBinary, FieldsOf255BytesFitAndLargerAreRefused) {
  std::string max(255, 'm'), over(256, 'o');
  std::string push = encode_binary_push(max, max, max, over);
  ASSERT_EQ(push.size(), 4u + 3 * 255 + 256);
  EXPECT_EQ(static_cast<std::uint8_t>(push[1]), 255);
  EXPECT_EQ(static_cast<std::uint8_t>(push[3]), 255);

  EXPECT_EQ(encode_binary_push(over, "t", "e", "b"), "");
  EXPECT_EQ(encode_binary_push("1", over, "e", "b"), "");
  EXPECT_EQ(encode_binary_push("1", "t", over, "b"), "");

  EXPECT_FALSE(encode_binary_reply(max, max, max, max, over).empty());
  EXPECT_EQ(encode_binary_reply(over, "r", "t", "ok", ""), "");
  EXPECT_EQ(encode_binary_reply("j", over, "t", "ok", ""), "");
  EXPECT_EQ(encode_binary_reply("j", "r", over, "ok", ""), "");
  EXPECT_EQ(encode_binary_reply("j", "r", "t", over, ""), "");

  EXPECT_FALSE(encode_binary_broadcast(max, max, over).empty());
  EXPECT_EQ(encode_binary_broadcast(over, "e", ""), "");
  EXPECT_EQ(encode_binary_broadcast("t", over, ""), "");
}

TEST(SerializerBinary, ServerPushLayoutIsNotReadAsAClientPush) {
  // The client's kind-0 push has a 5-byte header (with ref), the server's a 4-byte one
  // (docs/protocol.md, Binary frames): decode_binary reads the client layout only.
  std::string server_push = encode_binary_push("1", "t", "e", "x");
  InMessage m;
  auto err = decode_binary(server_push, m);
  // 0,1,1,1 + "1te" + "x": read as a client push the lengths are 1,1,1,0x31('1')
  ASSERT_TRUE(err);
}

}  // namespace
}  // namespace cohort::channels
