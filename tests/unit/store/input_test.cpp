// input_test.cpp — cohort/input.hpp (src/store/input.cpp): every reader given what a browser may
// send instead of what the app expects (absent members, other types, arguments that are not an
// object, numbers beyond int64 or 2^53, fractions, signs and spaces in digit strings), and the
// text checks against malformed UTF-8 (overlong forms, surrogates, truncation, above U+10FFFF).
#include "cohort/input.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace cohort {
namespace {

namespace input = cohort::input;

Json parse(std::string_view text) { return json::parse(text); }

// The example atop cohort/input.hpp, as written there: it must compile and mean what it says.
bool header_example(const Json& args, const Json& form) {
  std::string title = input::trimmed(input::text(args, "title"));  // "" when absent
  auto choice = input::integer(args, "choice");                     // 2 or "2" → 2; "x" → nullopt
  const cohort::Json& card = input::object(form, "card");           // card[title] → card.title
  auto length = input::utf8_length(title);                          // characters, not bytes
  if (!length || *length > 80 || input::has_control(title)) { return false; }
  return choice == 2 && input::text(card, "title") == "x";
}

TEST(InputHeader, ExampleReadsWhatItSays) {
  EXPECT_TRUE(header_example(parse(R"({"title": "  Buy milk ", "choice": "2"})"), parse(R"({"card": {"title": "x"}})")));
  EXPECT_FALSE(header_example(parse(R"({"title": "two\nlines", "choice": 2})"), parse(R"({"card": {"title": "x"}})")));
  EXPECT_FALSE(header_example(parse(R"({"title": "t", "choice": "x"})"), parse(R"({"card": {"title": "x"}})")));
}

// ---- arg, text, object, boolean ----------------------------------------------------------------

TEST(InputArg, AnswersNothingForNonObjectsAndAbsentMembers) {
  for (std::string_view not_object : {"null", "[1,2]", R"("name")", "7", "true"})
    EXPECT_EQ(input::arg(parse(not_object), "name"), nullptr) << not_object;
  Json args = parse(R"({"name": "ada", "n": null})");
  EXPECT_EQ(input::arg(args, "other"), nullptr);
  ASSERT_NE(input::arg(args, "name"), nullptr);
  EXPECT_EQ(*input::arg(args, "name"), "ada");
  ASSERT_NE(input::arg(args, "n"), nullptr);  // present, though null: the app tells the two apart
  EXPECT_TRUE(input::arg(args, "n")->is_null());
}

TEST(InputText, IsTheStringOrEmpty) {
  Json args = parse(R"({"s": "héllo", "n": 5, "b": true, "o": {"s": "x"}, "a": ["x"], "z": null, "e": ""})");
  EXPECT_EQ(input::text(args, "s"), "héllo");
  EXPECT_EQ(input::text(args, "e"), "");
  for (std::string_view other : {"n", "b", "o", "a", "z", "absent"}) EXPECT_EQ(input::text(args, other), "") << other;
  EXPECT_EQ(input::text(parse(R"(["s"])"), "s"), "");
}

TEST(InputObject, IsTheObjectOrOneSharedEmptyObject) {
  Json form = parse(R"({"card": {"title": "t"}, "s": "x", "a": []})");
  const Json& card = input::object(form, "card");
  EXPECT_EQ(&card, input::arg(form, "card"));  // the member itself, not a copy
  for (std::string_view other : {"s", "a", "absent"}) {
    const Json& empty = input::object(form, other);
    ASSERT_TRUE(empty.is_object()) << other;
    EXPECT_TRUE(empty.get_object().empty()) << other;
  }
  EXPECT_TRUE(input::object(parse("42"), "card").get_object().empty());
  EXPECT_EQ(&input::object(form, "s"), &input::object(parse("null"), "x"));
}

TEST(InputBoolean, OnlyJsonBooleans) {
  Json args = parse(R"({"t": true, "f": false, "s": "true", "n": 1, "z": null})");
  EXPECT_EQ(input::boolean(args, "t"), true);
  EXPECT_EQ(input::boolean(args, "f"), false);
  for (std::string_view other : {"s", "n", "z", "absent"}) EXPECT_EQ(input::boolean(args, other), std::nullopt) << other;
}

TEST(InputReaders, ReadAJsonObjectInPlace) {
  // A live view's params and session are JsonObjects: read where they are, not from a copy.
  JsonObject params{{"id", "p1"}, {"step", "5"}, {"form", JsonObject{{"a", 1}}}, {"on", true}};
  EXPECT_EQ(input::arg(params, "id"), params.if_contains("id"));
  EXPECT_EQ(input::text(params, "id"), "p1");
  EXPECT_EQ(&input::object(params, "form"), params.if_contains("form"));
  EXPECT_TRUE(input::object(params, "id").get_object().empty());
  EXPECT_EQ(input::integer(params, "step"), 5);
  EXPECT_EQ(input::boolean(params, "on"), true);
  EXPECT_EQ(input::arg(params, "absent"), nullptr);
  EXPECT_EQ(input::text(params, "step"), "5");
}

// ---- integer ---------------------------------------------------------------------------------

std::optional<std::int64_t> integer_of(std::string_view json_value) {
  return input::integer(parse(std::string(R"({"v": )") + std::string(json_value) + "}"), "v");
}

TEST(InputInteger, ReadsJsonIntegersWithinInt64) {
  EXPECT_EQ(integer_of("0"), 0);
  EXPECT_EQ(integer_of("-12"), -12);
  EXPECT_EQ(integer_of("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(integer_of("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
  // One past int64: Boost.JSON holds it as uint64; refused, not wrapped to a negative number.
  EXPECT_EQ(integer_of("9223372036854775808"), std::nullopt);
  EXPECT_EQ(integer_of("18446744073709551615"), std::nullopt);
  // Past uint64 too: the parser makes a double of it, far above 2^53.
  EXPECT_EQ(integer_of("-9223372036854775809"), std::nullopt);
  EXPECT_EQ(integer_of("99999999999999999999999"), std::nullopt);
}

TEST(InputInteger, ReadsUint64ThatServerCodeBuilt) {
  JsonObject args{{"small", std::uint64_t{5}}, {"big", std::numeric_limits<std::uint64_t>::max()}};
  EXPECT_EQ(input::integer(args, "small"), 5);
  EXPECT_EQ(input::integer(args, "big"), std::nullopt);
}

TEST(InputInteger, ReadsWholeDoublesUpTo2To53) {
  EXPECT_EQ(integer_of("2.0"), 2);
  EXPECT_EQ(integer_of("1e3"), 1000);
  EXPECT_EQ(integer_of("-0.0"), 0);
  EXPECT_EQ(integer_of("9007199254740992.0"), 9007199254740992);
  EXPECT_EQ(integer_of("-9007199254740992.0"), -9007199254740992);
  EXPECT_EQ(integer_of("9007199254740994.0"), std::nullopt);  // beyond 2^53: no longer exact
  EXPECT_EQ(integer_of("1e300"), std::nullopt);
  EXPECT_EQ(integer_of("2.5"), std::nullopt);  // not whole: never rounded
  EXPECT_EQ(integer_of("-0.5"), std::nullopt);
  EXPECT_EQ(integer_of("1e-9"), std::nullopt);
}

TEST(InputInteger, ReadsSignedDigitStringsAsFormsSendThem) {
  EXPECT_EQ(integer_of(R"("42")"), 42);
  EXPECT_EQ(integer_of(R"("-7")"), -7);
  EXPECT_EQ(integer_of(R"("007")"), 7);
  EXPECT_EQ(integer_of(R"("9223372036854775807")"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(integer_of(R"("-9223372036854775808")"), std::numeric_limits<std::int64_t>::min());
  for (std::string_view bad : {R"("")", R"("-")", R"("+1")", R"(" 1")", R"("1 ")", R"("1.0")", R"("1e3")",
                               R"("0x10")", R"("--1")", R"("12abc")", R"("9223372036854775808")",
                               R"("-9223372036854775809")", R"("99999999999999999999999")", R"("٣")"})
    EXPECT_EQ(integer_of(bad), std::nullopt) << bad;
}

TEST(InputInteger, AnswersNothingForOtherTypes) {
  for (std::string_view other : {"true", "false", "null", "[1]", R"({"n": 1})"})
    EXPECT_EQ(integer_of(other), std::nullopt) << other;
  EXPECT_EQ(input::integer(parse(R"({"v": 1})"), "absent"), std::nullopt);
  EXPECT_EQ(input::integer(parse("[1]"), "v"), std::nullopt);
}

// ---- whole_number, trimmed -------------------------------------------------------------------

TEST(InputWholeNumber, OneToNineDigitsAndNothingElse) {
  EXPECT_EQ(input::whole_number("0"), 0);
  EXPECT_EQ(input::whole_number("42"), 42);
  EXPECT_EQ(input::whole_number("000000001"), 1);
  EXPECT_EQ(input::whole_number("999999999"), 999999999);
  for (std::string_view bad : {"", "1000000000", "-1", "+1", " 1", "1 ", "1.5", "12a", "0x1", "١"})
    EXPECT_EQ(input::whole_number(bad), std::nullopt) << bad;
}

TEST(InputTrimmed, RemovesAsciiSpaceAtBothEndsOnly) {
  EXPECT_EQ(input::trimmed("  a  b \t\r\n"), "a  b");
  EXPECT_EQ(input::trimmed("\n\t x"), "x");
  EXPECT_EQ(input::trimmed(" \t\r\n "), "");
  EXPECT_EQ(input::trimmed(""), "");
  EXPECT_EQ(input::trimmed("\xC2\xA0x\xC2\xA0"), "\xC2\xA0x\xC2\xA0");  // a no-break space is content
}

// ---- utf8_length -----------------------------------------------------------------------------

TEST(InputUtf8Length, CountsCodePointsNotBytes) {
  EXPECT_EQ(input::utf8_length(""), 0u);
  EXPECT_EQ(input::utf8_length("abc"), 3u);
  EXPECT_EQ(input::utf8_length("\xC3\xA9"), 1u);                  // é
  EXPECT_EQ(input::utf8_length("\xE6\x97\xA5\xE6\x9C\xAC"), 2u);  // 日本
  EXPECT_EQ(input::utf8_length("\xF0\x9F\x98\x80!"), 2u);         // 😀!
  EXPECT_EQ(input::utf8_length(std::string_view("a\0b", 3)), 3u);  // NUL is valid UTF-8
  EXPECT_EQ(input::utf8_length(std::string(100, 'x') + "\xC3\xA9"), 101u);
}

TEST(InputUtf8Length, AcceptsTheEdgesOfEachRange) {
  EXPECT_EQ(input::utf8_length("\xC2\x80"), 1u);          // U+0080, smallest two-byte
  EXPECT_EQ(input::utf8_length("\xDF\xBF"), 1u);          // U+07FF
  EXPECT_EQ(input::utf8_length("\xE0\xA0\x80"), 1u);      // U+0800, smallest three-byte
  EXPECT_EQ(input::utf8_length("\xED\x9F\xBF"), 1u);      // U+D7FF, just below the surrogates
  EXPECT_EQ(input::utf8_length("\xEE\x80\x80"), 1u);      // U+E000, just above them
  EXPECT_EQ(input::utf8_length("\xEF\xBF\xBF"), 1u);      // U+FFFF
  EXPECT_EQ(input::utf8_length("\xF0\x90\x80\x80"), 1u);  // U+10000, smallest four-byte
  EXPECT_EQ(input::utf8_length("\xF4\x8F\xBF\xBF"), 1u);  // U+10FFFF, the last code point
}

TEST(InputUtf8Length, RefusesMalformedText) {
  for (std::string_view bad : {
           "\x80",                  // a continuation byte with nothing before it
           "a\xBF",                 // the same after ASCII
           "\xC3",                  // truncated two-byte sequence
           "a\xE2\x82",             // truncated three-byte sequence at the end
           "\xF0\x9F\x98",          // truncated four-byte sequence
           "\xC3\x28",              // a lead byte followed by ASCII
           "\xC0\xAF",              // overlong '/'
           "\xC1\xBF",              // overlong U+007F
           "\xE0\x80\xAF",          // overlong '/' in three bytes
           "\xE0\x9F\xBF",          // overlong U+07FF
           "\xF0\x80\x80\xAF",      // overlong '/' in four bytes
           "\xF0\x8F\xBF\xBF",      // overlong U+FFFF
           "\xED\xA0\x80",          // U+D800, a high surrogate
           "\xED\xBF\xBF",          // U+DFFF, a low surrogate
           "\xED\xA0\xBD\xED\xB8\x80",  // a CESU-8 surrogate pair for U+1F600
           "\xF4\x90\x80\x80",      // U+110000, above the last code point
           "\xF5\x80\x80\x80",      // a lead byte that no code point has
           "\xF8\x88\x80\x80\x80",  // a five-byte form
           "\xFE", "\xFF",
       })
    EXPECT_EQ(input::utf8_length(bad), std::nullopt) << testing::PrintToString(std::string(bad));
  // After a run of ASCII long enough for the validator's 8-byte fast path.
  EXPECT_EQ(input::utf8_length(std::string(64, 'a') + "\xED\xA0\x80"), std::nullopt);
  EXPECT_EQ(input::utf8_length(std::string(17, 'a') + "\xC3"), std::nullopt);
}

// ---- has_control, is_hex_color ----------------------------------------------------------------

TEST(InputHasControl, FindsC0DelAndC1) {
  EXPECT_FALSE(input::has_control(""));
  EXPECT_FALSE(input::has_control("plain text, with ~ and é \xE6\x97\xA5"));
  for (std::string_view bad : {"a\tb", "a\nb", "a\rb", "\x1f", "\x7f", "\x01x", "x\xC2\x85", "\xC2\x80", "\xC2\x9F"})
    EXPECT_TRUE(input::has_control(bad)) << testing::PrintToString(std::string(bad));
  EXPECT_TRUE(input::has_control(std::string_view("a\0b", 3)));
  EXPECT_FALSE(input::has_control("\xC2\xA0"));  // U+00A0 follows the C1 block: not a control
  EXPECT_FALSE(input::has_control("\xC3\x85"));  // Å: 0x85 as a continuation of another lead
}

TEST(InputHasControl, AllowsOnlyTheListedAsciiControls) {
  EXPECT_FALSE(input::has_control("line one\nline two\r\n\tindented", "\n\r\t"));
  EXPECT_TRUE(input::has_control("line one\nbell\x07", "\n\r\t"));
  EXPECT_TRUE(input::has_control("a\tb", "\n"));
  EXPECT_TRUE(input::has_control("x\xC2\x85", "\n\r\t"));  // NEL is not in the list
}

TEST(InputIsHexColor, SevenCharactersHashThenHexDigits) {
  EXPECT_TRUE(input::is_hex_color("#a1B2c3"));
  EXPECT_TRUE(input::is_hex_color("#000000"));
  EXPECT_TRUE(input::is_hex_color("#FFFFFF"));
  for (std::string_view bad : {"", "#", "#a1b2c", "#a1b2c3d", "a1b2c3d", "#a1b2cg", "#a1b2c3 ", " #a1b2c",
                               "#12\"456", "red", "#a1b2c;", "#ffffff;x"})
    EXPECT_FALSE(input::is_hex_color(bad)) << bad;
}

}  // namespace
}  // namespace cohort
