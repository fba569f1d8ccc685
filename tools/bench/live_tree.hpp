// live_tree.hpp — one bench view's rendered tree: the join's full render with every diff merged
// in by the project's client-side merger (src/testing/client_tree.hpp, the rules of the official
// phoenix_live_view client), and a value read out of it.
//
// A diff the merger cannot apply (a move from an entry the view does not hold, a node where the
// tree has none, JSON that does not parse) is an error for the caller to count: a wrong diff is
// found here rather than shown. Owner-thread-only (one per view).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cohort/json.hpp"
#include "testing/client_tree.hpp"

namespace cohort::bench {

class LiveTree {
 public:
  // The join reply's payload {"status":"ok","response":{"rendered":{…}}}. Returns an error or nullopt.
  std::optional<std::string> mount_reply(std::string_view reply_payload);
  // The payload of a "diff" push.
  std::optional<std::string> merge_diff(std::string_view diff);
  // The payload of an event's phx_reply; had_diff says whether its response carried a diff.
  std::optional<std::string> merge_reply(std::string_view reply_payload, bool& had_diff);

  const testing::ClientTree& tree() const { return tree_; }

 private:
  testing::ClientTree tree_;
};

// The text of the first dynamic slot whose preceding static ends with marker, searched through
// the tree's nodes (not comprehension entries), then the components'; nullopt when none (or the
// slot is not text). E.g. marker `<span id="count" class="count">` reads the counter page's count.
std::optional<std::string> value_after(const testing::ClientTree& tree, std::string_view marker);

// The same read on one node and what it nests.
std::optional<std::string> value_after(const JsonObject& node, std::string_view marker);

}  // namespace cohort::bench
