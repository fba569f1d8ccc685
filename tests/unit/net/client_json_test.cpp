// client_json_test.cpp — src/net/client_json.hpp: client JSON parsed within a depth and a size,
// numbers finite, every refusal counted and explained; the defaults are Config's.
#include "net/client_json.hpp"
#include "net/net_metrics.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "channels/serializer.hpp"

namespace cohort::net {
namespace {

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

std::uint64_t count(const std::atomic<std::uint64_t>& c) { return c.load(); }

TEST(ClientJson, DefaultsAreTheConfigDefaults) {
  ParserLimits from_config = parser_limits(Config{});
  ParserLimits defaults;
  EXPECT_EQ(from_config.json_max_depth, defaults.json_max_depth);
  EXPECT_EQ(from_config.json_max_bytes, defaults.json_max_bytes);
  EXPECT_EQ(from_config.form_max_depth, defaults.form_max_depth);
  EXPECT_EQ(defaults.json_max_depth, 64u);
  EXPECT_EQ(defaults.json_max_bytes, 1u << 20);
  EXPECT_EQ(defaults.form_max_depth, 32u);
}

TEST(ClientJson, DepthUpToTheLimitParsesOneMoreIsRefusedAndCounted) {
  ParserLimits limits;
  limits.json_max_depth = 10;
  auto ok = parse_client_json(nested_arrays(10), limits);
  ASSERT_TRUE(ok) << ok.reason;
  EXPECT_TRUE(ok.value.is_array());
  const auto before = count(parser_refusals().json_too_deep);
  auto deep = parse_client_json(nested_arrays(11), limits);
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.refusal, JsonRefusal::too_deep);
  EXPECT_EQ(deep.reason, "JSON nests deeper than json_max_depth (10)");
  EXPECT_TRUE(deep.value.is_null());
  EXPECT_EQ(count(parser_refusals().json_too_deep), before + 1);
  // Objects count like arrays.
  EXPECT_FALSE(parse_client_json(R"({"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":{"k":1}}}}}}}}}}})", limits));
}

TEST(ClientJson, AHundredThousandLevelsAreRefusedWithoutRecursion) {
  auto r = parse_client_json(nested_arrays(100'000), ParserLimits{});
  EXPECT_EQ(r.refusal, JsonRefusal::too_deep);
}

TEST(ClientJson, SizeUpToTheLimitParsesOneByteMoreIsRefused) {
  ParserLimits limits;
  limits.json_max_bytes = 16;
  std::string fits = "\"" + std::string(14, 'x') + "\"";  // 16 bytes
  EXPECT_TRUE(parse_client_json(fits, limits));
  const auto before = count(parser_refusals().json_too_big);
  auto big = parse_client_json(fits + " ", limits);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.refusal, JsonRefusal::too_big);
  EXPECT_EQ(big.reason, "JSON text of 17 bytes is over json_max_bytes (16)");
  EXPECT_EQ(count(parser_refusals().json_too_big), before + 1);
}

TEST(ClientJson, MalformedTextIsRefusedWithTheParsersReason) {
  const auto before = count(parser_refusals().json_malformed);
  auto r = parse_client_json("[1,", ParserLimits{});
  EXPECT_EQ(r.refusal, JsonRefusal::malformed);
  EXPECT_TRUE(r.reason.starts_with("malformed JSON: ")) << r.reason;
  EXPECT_EQ(count(parser_refusals().json_malformed), before + 1);
}

TEST(ClientJson, NumbersOutOfRangeAreRefusedNotTurnedIntoInfinity) {
  // Boost.JSON reads these as +-infinity and would write `Infinity` back: not JSON.
  for (const std::string& text : std::vector<std::string>{"[1e400]", "{\"a\":[-1e999]}", "1" + std::string(400, '0'), "[2e308]"}) {
    auto r = parse_client_json(text, ParserLimits{});
    EXPECT_EQ(r.refusal, JsonRefusal::malformed) << text.substr(0, 20);
    EXPECT_NE(r.reason.find("finite"), std::string::npos) << r.reason;
  }
  EXPECT_TRUE(parse_client_json("[1.7976931348623157e308, -1e308, 1e-400, 0]", ParserLimits{}));
  EXPECT_TRUE(numbers_finite(Json{1.5}));
  EXPECT_FALSE(numbers_finite(Json(json::array{1, json::array{JsonObject{{"x", 1e308 * 10}}}})));
}

TEST(ClientJson, NumbersAreCheckedInValuesWiderAndDeeperThanTheWalksInlineStack) {
  // The walk keeps 32 containers on the stack and the rest on the heap: both must be seen.
  json::array wide;
  for (int i = 0; i < 100; ++i) wide.push_back(json::array{i, JsonObject{{"k", 0.5}}});
  EXPECT_TRUE(numbers_finite(Json(wide)));
  for (std::size_t at : {std::size_t{0}, std::size_t{31}, std::size_t{32}, std::size_t{99}}) {
    json::array bad = wide;
    bad[at].get_array()[1].get_object()["k"] = 1e308 * 10;
    EXPECT_FALSE(numbers_finite(Json(bad))) << at;
  }
  Json deep = 1e308 * 10;
  for (int i = 0; i < 50; ++i) deep = json::array{1, JsonObject{{"a", 2}}, std::move(deep)};
  EXPECT_FALSE(numbers_finite(deep));
}

TEST(ClientJson, RefusalsAreInTheMetrics) {
  Metrics m;
  metrics::Scrape scrape;
  collect(m, scrape);
  parse_client_json("[", ParserLimits{});
  metrics::Scrape after;
  collect(m, after);
  for (const char* kind : {"json_malformed", "json_too_deep", "json_too_big", "form_too_deep"})
    EXPECT_TRUE(scrape.value("cohort_parser_refusals_total", {{"kind", kind}})) << kind;
  EXPECT_EQ(*after.value("cohort_parser_refusals_total", {{"kind", "json_malformed"}}),
            *scrape.value("cohort_parser_refusals_total", {{"kind", "json_malformed"}}) + 1);
}

TEST(ClientJson, APhoenixMessageIsDecodedWithinTheLimits) {
  ParserLimits limits;
  limits.json_max_depth = 4;  // the message array, its payload and two more levels
  channels::InMessage m;
  EXPECT_FALSE(channels::decode_text(R"(["1","2","t","e",{"a":[{}]}])", m, limits));
  auto deep = channels::decode_text(R"(["1","2","t","e",{"a":[{"b":[]}]}])", m, limits);
  ASSERT_TRUE(deep);
  EXPECT_FALSE(deep->too_big);
  EXPECT_EQ(deep->reason, "JSON nests deeper than json_max_depth (4)");
  limits.json_max_bytes = 20;
  auto big = channels::decode_text(R"(["1","2","t","e",{"a":1}])", m, limits);
  ASSERT_TRUE(big);
  EXPECT_TRUE(big->too_big);
}

}  // namespace
}  // namespace cohort::net
