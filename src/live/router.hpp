// router.hpp — which live view a URL path names, and the params its ":name" segments carry.
//
// Owns: matching a request path against the view paths of the live layer ("/counter",
// "/poll/:id"), in the order they were added. Read-only after install, so any thread may match.
// Paths and patterns follow the node's one syntax (net/route_pattern.hpp): the path is decoded
// once into whole segments, a ":name" segment matches one of them as params[name]; a path with
// a malformed escape matches nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/json.hpp"
#include "net/route_pattern.hpp"

namespace cohort::live {

class Router {
 public:
  // Returns an error when the pattern is malformed (not starting with '/', an empty ":").
  std::optional<std::string> add(std::string pattern, std::size_t route_index);

  struct Match {
    std::size_t route_index;
    JsonObject params;  // path params, then query params (a path param wins on a name clash)
  };
  // path: raw (percent-encoded), without query. query: raw, without '?', may be empty.
  std::optional<Match> match(std::string_view path, std::string_view query = {}) const;

 private:
  struct Pattern {
    net::RoutePattern pattern;
    std::size_t route_index;
  };
  std::vector<Pattern> patterns_;
};

// Splits a URL ("http://host/path?query", or "/path?query") into its path and raw query.
void split_url(std::string_view url, std::string_view& path, std::string_view& query);

}  // namespace cohort::live
