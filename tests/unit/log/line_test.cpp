// line_test.cpp — src/log/line.cpp: a JSON line is one parseable object with time, level, node,
// category and event first; a text line keeps a hostile value on its own line, quoted.
#include "log/line.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace cohort::log {
namespace {

using std::chrono::system_clock;

const system_clock::time_point kWhen = system_clock::time_point(std::chrono::milliseconds(1'700'000'000'123));

TEST(LogLine, Rfc3339WithMilliseconds) { EXPECT_EQ(rfc3339_ms(kWhen), "2023-11-14T22:13:20.123Z"); }

TEST(LogLine, JsonHasTheFiveKeysFirstThenFields) {
  std::string line = format_line(Options::Format::json, kWhen, Level::warn, "node-a", Category::cluster, "redis_link_down",
                                 {{"redis", "redis at 127.0.0.1:6379"}, {"count", 3}, {"up", false}});
  EXPECT_EQ(line,
            R"({"time":"2023-11-14T22:13:20.123Z","level":"warn","node":"node-a","category":"cluster",)"
            R"("event":"redis_link_down","redis":"redis at 127.0.0.1:6379","count":3,"up":false})");
}

TEST(LogLine, JsonEscapesAndAFieldCannotReplaceAKey) {
  std::string hostile = "x\"}\n{\"level\":\"error\"";
  std::string line = format_line(Options::Format::json, kWhen, Level::info, "n", Category::channels, "channel_crashed",
                                 {{"topic", hostile}, {"level", "forged"}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  auto v = boost::json::parse(line).as_object();
  EXPECT_EQ(v.at("topic").as_string(), hostile);
  EXPECT_EQ(v.at("level").as_string(), "info");
  EXPECT_EQ(v.size(), 6u);
}

TEST(LogLine, JsonNestsAnObject) {
  boost::json::value settings = boost::json::object{{"port", 4000}, {"secret", "(set)"}};
  std::string line = format_line(Options::Format::json, kWhen, Level::info, "n", Category::node, "started",
                                 {{"settings", settings}});
  EXPECT_EQ(boost::json::parse(line).at("settings").at("port").as_int64(), 4000);
}

TEST(LogLine, TextQuotesWhatNeedsIt) {
  std::string line = format_line(Options::Format::text, kWhen, Level::error, "n", Category::storage, "commit_failed",
                                 {{"db", "/d/cohort.db"}, {"writes", 2u}, {"error", "disk full\nnext"}, {"empty", ""}});
  EXPECT_EQ(line, R"(2023-11-14T22:13:20.123Z ERROR storage commit_failed db=/d/cohort.db writes=2 error="disk full\nnext" empty="")");
}

TEST(LogLine, TextValueWithEqualsOrQuoteIsQuoted) {
  std::string line = format_line(Options::Format::text, kWhen, Level::info, "n", Category::net, "limit_refused",
                                 {{"v", "a=b"}, {"w", "say \"hi\""}});
  EXPECT_NE(line.find(R"(v="a=b")"), std::string::npos) << line;
  EXPECT_NE(line.find(R"(w="say \"hi\"")"), std::string::npos) << line;
}

}  // namespace
}  // namespace cohort::log
