// log_clip_test.cpp — src/net/log_clip.hpp: client strings in log lines are bounded, cut on a
// UTF-8 boundary, say how long they were, and cannot start a line of their own.
#include "net/log_clip.hpp"

#include <gtest/gtest.h>

namespace cohort::net {
namespace {

TEST(LogClip, ShortTextIsKept) { EXPECT_EQ(log_clip("room:lobby"), "room:lobby"); }

TEST(LogClip, LongTextIsCutAndSaysItsLength) {
  std::string topic = "room:" + std::string(100 * 1024, 't');
  std::string out = log_clip(topic);
  EXPECT_EQ(out, topic.substr(0, kLogClipBytes) + "...(102405 bytes)");
  EXPECT_LT(out.size(), kLogClipBytes + 32);
}

TEST(LogClip, ControlCharactersAreEscaped) {
  EXPECT_EQ(log_clip("room:x\ncohort: forged\r\t\x7f"), "room:x\\x0Acohort: forged\\x0D\\x09\\x7F");
}

TEST(LogClip, NeverEndsInsideAUtf8Sequence) {
  // 199 ASCII bytes, then "é" (2 bytes) straddling the 200-byte cut: it goes whole or not at all.
  std::string text = std::string(199, 'a') + "\xC3\xA9" + "tail";
  std::string out = log_clip(text);
  EXPECT_EQ(out, std::string(199, 'a') + "...(205 bytes)");
  std::string euro = std::string(198, 'a') + "\xE2\x82\xAC" + "x";  // a 3-byte sequence across the cut
  EXPECT_EQ(log_clip(euro), std::string(198, 'a') + "...(202 bytes)");
}

}  // namespace
}  // namespace cohort::net
