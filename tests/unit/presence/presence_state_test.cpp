// presence_state_test.cpp — the merge rule of src/presence/presence_state.hpp, checked against
// the example of docs/protocol.md, How a client merges a diff, verified with phoenix.js Presence.
#include "presence/presence_state.hpp"

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

namespace cohort::presence {
namespace {

JsonObject obj(const char* text) { return json::parse(text).as_object(); }

std::vector<std::string> refs(const JsonObject& state, const char* key) {
  std::vector<std::string> out;
  for (const auto& m : state.at(key).at("metas").as_array()) out.emplace_back(ref_of(m));
  return out;
}

TEST(PresenceState, ProtocolExampleUpdateJoinAndLeave) {
  JsonObject state = obj(R"({"alice":{"metas":[{"phx_ref":"F1"}]},"bob":{"metas":[{"phx_ref":"F2"},{"phx_ref":"F3"}]}})");
  apply_diff(state, obj(R"({"joins":{"carol":{"metas":[{"phx_ref":"F4"}]},"alice":{"metas":[{"phx_ref":"F5","phx_ref_prev":"F1"}]}},
                            "leaves":{"bob":{"metas":[{"phx_ref":"F3"}]},"alice":{"metas":[{"phx_ref":"F1"}]}}})"));
  EXPECT_EQ(refs(state, "alice"), std::vector<std::string>{"F5"});
  EXPECT_EQ(refs(state, "bob"), std::vector<std::string>{"F2"});
  EXPECT_EQ(refs(state, "carol"), std::vector<std::string>{"F4"});
  apply_diff(state, obj(R"({"joins":{},"leaves":{"bob":{"metas":[{"phx_ref":"F2"}]}}})"));
  EXPECT_FALSE(state.contains("bob"));
  EXPECT_EQ(state.size(), 2u);
}

TEST(PresenceState, JoinsAreIdempotentByRefAndKeepOtherMetasFirst) {
  JsonObject state = obj(R"({"u":{"metas":[{"phx_ref":"A"},{"phx_ref":"B"}]}})");
  apply_diff(state, obj(R"({"joins":{"u":{"metas":[{"phx_ref":"A","x":1}]}},"leaves":{}})"));
  EXPECT_EQ(refs(state, "u"), (std::vector<std::string>{"B", "A"}));
  EXPECT_EQ(state.at("u").at("metas").as_array()[1].at("x").as_int64(), 1);
}

TEST(PresenceState, LeaveOfUnknownKeyOrRefIsIgnored) {
  JsonObject state = obj(R"({"u":{"metas":[{"phx_ref":"A"}]}})");
  apply_diff(state, obj(R"({"joins":{},"leaves":{"nobody":{"metas":[{"phx_ref":"Z"}]},"u":{"metas":[{"phx_ref":"Z"}]}}})"));
  EXPECT_EQ(refs(state, "u"), std::vector<std::string>{"A"});
}

TEST(PresenceState, KeyLeavesOnlyWithItsLastMeta) {
  JsonObject state = obj(R"({"u":{"metas":[{"phx_ref":"A"},{"phx_ref":"B"}]}})");
  apply_diff(state, obj(R"({"leaves":{"u":{"metas":[{"phx_ref":"A"}]}}})"));
  ASSERT_TRUE(state.contains("u"));
  apply_diff(state, obj(R"({"leaves":{"u":{"metas":[{"phx_ref":"B"}]}}})"));
  EXPECT_FALSE(state.contains("u"));
}

}  // namespace
}  // namespace cohort::presence
