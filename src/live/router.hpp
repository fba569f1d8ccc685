// router.hpp — which live view a URL path names, and the params its ":name" segments carry.
//
// Owns: matching a request path against the view paths of the live layer ("/counter",
// "/poll/:id"), in the order they were added. Read-only after install, so any thread may match.
// A segment ":name" matches one non-empty path segment, URL-decoded, as params[name].
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/json.hpp"

namespace cohort::live {

class Router {
 public:
  // Returns an error when the pattern is malformed (not starting with '/', an empty ":").
  std::optional<std::string> add(std::string pattern, std::size_t route_index);

  struct Match {
    std::size_t route_index;
    JsonObject params;  // path params, then query params (a path param wins on a name clash)
  };
  // path: without query. query: raw, without '?', may be empty.
  std::optional<Match> match(std::string_view path, std::string_view query = {}) const;

 private:
  struct Pattern {
    std::vector<std::string> segments;  // ":name" or a literal
    std::size_t route_index;
  };
  std::vector<Pattern> patterns_;
};

// Splits a URL ("http://host/path?query", or "/path?query") into its path and raw query.
void split_url(std::string_view url, std::string_view& path, std::string_view& query);

}  // namespace cohort::live
