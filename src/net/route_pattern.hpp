// route_pattern.hpp — request paths decoded once into segments, and the one route pattern syntax.
//
// Owns: how every router of a node (HTTP routes, WebSocket upgrade paths, live view paths, static
// files) reads a path. decode_path() splits the raw path (as sent, percent-encoded, no query) at
// '/', drops empty segments ("//a/" is "/a", as Plug does), and percent-decodes each segment
// exactly once with Boost.URL; a malformed escape ("%zz", "%4") is an error, never a literal.
// Because the split comes before the decoding, an encoded slash ("%2F") stays inside its
// segment: it can never make a new segment or climb out of one.
// A RoutePattern is a list of whole segments: a literal ("api"), ":name" (exactly one non-empty
// segment, its decoded value is params[name]) and, last only, "*name" (zero or more remaining
// segments, joined with '/', params[name]; it does not match when one of them holds a decoded
// '/', which joining would make ambiguous). "/api" matches "/api" and "/api/" only, never
// "/apiary" or "/api/x". Pure functions and immutable values: any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cohort::net {

struct DecodedPath {
  std::vector<std::string> segments;  // decoded, non-empty, in order
  std::optional<std::string> error;   // set when the path is not a valid percent-encoded path
};
// raw: the request target's path (must start with '/'), without the query.
DecodedPath decode_path(std::string_view raw);

using PathParams = std::vector<std::pair<std::string, std::string>>;

class RoutePattern {
 public:
  // The pattern, or an error message naming what is wrong with it.
  static std::optional<RoutePattern> parse(std::string_view pattern, std::string& error);

  // True when segments (from decode_path) match; params then gets the named values.
  bool match(const std::vector<std::string>& segments, PathParams& params) const;
  const std::string& text() const { return text_; }

 private:
  enum class Kind { literal, param, rest };
  struct Segment {
    Kind kind;
    std::string text;  // the literal, or the param's name
  };
  std::string text_;
  std::vector<Segment> segments_;
};

}  // namespace cohort::net
