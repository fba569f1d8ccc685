// query.hpp — URL-encoded name=value lists (query strings, form values), decoded.
//
// Owns: the one place Cohort parses them. Boost.URL 1.81's compiled parse_query reads its
// argument up to a NUL (strlen) whatever the view's length, so a view into a larger buffer (an
// HTTP request's target, a JSON string) is over-read (AddressSanitizer: heap-buffer-overflow)
// and parsed with whatever follows it. parse_query() here parses a NUL-terminated copy.
// Keys and values are percent-decoded with '+' as a space (application/x-www-form-urlencoded).
// Pure function, any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cohort::net {

struct QueryParam {
  std::string key;
  std::string value;
  bool has_value = false;  // "a" has none, "a=" has an empty one
};

struct ParsedQuery {
  std::vector<QueryParam> params;  // in order; empty when text is empty
  std::optional<std::string> error;  // set when text is not URL-encoded
};
ParsedQuery parse_query(std::string_view text);

}  // namespace cohort::net
