// phx_frame_test.cpp — scanning V2 frames and picking integers out of payloads without a parse.
#include "phx_frame.hpp"

#include <gtest/gtest.h>

namespace cohort::bench {
namespace {

TEST(ScanFrame, BroadcastAndReply) {
  PhxFrame f;
  ASSERT_TRUE(scan_frame(R"([null,null,"room:bench","shout",{"seq":7,"t":123}])", f));
  EXPECT_TRUE(f.join_ref_null);
  EXPECT_TRUE(f.ref_null);
  EXPECT_EQ(f.topic, "room:bench");
  EXPECT_EQ(f.event, "shout");
  EXPECT_EQ(f.payload, R"({"seq":7,"t":123})");
  ASSERT_TRUE(scan_frame(R"( ["3", "4" ,"room:1","phx_reply", {"status":"ok","response":{}} ] )", f));
  EXPECT_EQ(f.join_ref, "3");
  EXPECT_EQ(f.ref, "4");
  EXPECT_EQ(f.payload, R"({"status":"ok","response":{}})");
}

TEST(ScanFrame, EscapedQuotesInStrings) {
  PhxFrame f;
  ASSERT_TRUE(scan_frame(R"(["1","2","room:a\"b\\","ev",{}])", f));
  EXPECT_EQ(f.topic, R"(room:a\"b\\)");
  EXPECT_EQ(f.event, "ev");
}

TEST(ScanFrame, RefusesWhatIsNotAFrame) {
  PhxFrame f;
  EXPECT_FALSE(scan_frame("", f));
  EXPECT_FALSE(scan_frame("{}", f));
  EXPECT_FALSE(scan_frame(R"([1,null,"t","e",{}])", f));
  EXPECT_FALSE(scan_frame(R"([null,null,null,"e",{}])", f));
  EXPECT_FALSE(scan_frame(R"([null,null,"t","e",{})", f));
  EXPECT_FALSE(scan_frame(R"([null,null,"t"])", f));
}

TEST(FindIntMember, AnyKeyOrderAndPadding) {
  std::string padded = R"({"pad":"xxxxxxxxxxxxxxxxxxxxxxxx","seq":42,"t": 99})";
  EXPECT_EQ(find_int_member(padded, "\"seq\""), 42);
  EXPECT_EQ(find_int_member(padded, "\"t\""), 99);
  EXPECT_EQ(find_int_member(R"({"seq" : -5})", "\"seq\""), -5);
  EXPECT_FALSE(find_int_member(R"({"seq":"x"})", "\"seq\""));
  EXPECT_FALSE(find_int_member(R"({"sequence":1})", "\"seq\""));
}

TEST(Replies, StatusByParseAndByScan) {
  std::string why;
  EXPECT_TRUE(reply_is_ok(R"({"response":{},"status":"ok"})", why));
  EXPECT_FALSE(reply_is_ok(R"({"status":"error","response":{"reason":"unauthorized"}})", why));
  EXPECT_NE(why.find("unauthorized"), std::string::npos);
  EXPECT_EQ(scan_reply_status(R"({"response":{"n":1},"status":"ok"})"), "ok");
  EXPECT_EQ(scan_reply_status(R"({"status": "error"})"), "error");
  EXPECT_EQ(ref_number("17"), 17u);
  EXPECT_FALSE(ref_number("17a"));
}

TEST(AppendFrame, NullRefsAndEscapes) {
  std::string out;
  append_frame(out, "", "5", "phoenix", "heartbeat", "{}");
  EXPECT_EQ(out, R"([null,"5","phoenix","heartbeat",{}])");
  out.clear();
  append_frame(out, "3", "3", "room:\"q\"", "phx_join", "{}");
  EXPECT_EQ(out, R"(["3","3","room:\"q\"","phx_join",{}])");
}

}  // namespace
}  // namespace cohort::bench
