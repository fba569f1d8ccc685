// route_pattern.cpp — path decoding and route patterns: see route_pattern.hpp.
#include "net/route_pattern.hpp"

#include <boost/url/decode_view.hpp>
#include <boost/url/pct_string_view.hpp>
#include <cctype>

namespace cohort::net {

namespace {

// The non-empty pieces of path between slashes, undecoded.
std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    auto slash = path.find('/');
    if (slash != 0) out.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
  }
  return out;
}

// One segment percent-decoded, or nothing when an escape is malformed. Boost.URL validates on a
// NUL-terminated copy: its 1.81 parsers may read a view up to a NUL (see net/query.hpp).
std::optional<std::string> decode_segment(std::string_view raw) {
  if (raw.find('%') == std::string_view::npos) return std::string(raw);
  const std::string copy(raw);
  auto pct = boost::urls::make_pct_string_view(copy);
  if (!pct) return std::nullopt;
  auto decoded = **pct;
  return std::string(decoded.begin(), decoded.end());
}

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  return true;
}

}  // namespace

DecodedPath decode_path(std::string_view raw) {
  DecodedPath out;
  if (raw.empty() || raw.front() != '/') {
    out.error = "the path must start with '/'";
    return out;
  }
  for (auto piece : split(raw)) {
    auto segment = decode_segment(piece);
    if (!segment) {
      out.error = "malformed percent-encoding in the path";
      out.segments.clear();
      return out;
    }
    out.segments.push_back(std::move(*segment));
  }
  return out;
}

std::optional<RoutePattern> RoutePattern::parse(std::string_view pattern, std::string& error) {
  auto fail = [&](std::string_view why) -> std::optional<RoutePattern> {
    error = "route pattern '" + std::string(pattern) + "' " + std::string(why);
    return std::nullopt;
  };
  if (pattern.empty() || pattern.front() != '/') return fail("must start with '/'");
  RoutePattern p;
  p.text_ = std::string(pattern);
  for (auto piece : split(pattern)) {
    if (!p.segments_.empty() && p.segments_.back().kind == Kind::rest) return fail("has segments after its '*' segment");
    if (piece.front() == ':' || piece.front() == '*') {
      std::string name(piece.substr(1));
      if (!valid_name(name)) return fail("needs a name of letters, digits or '_' after ':' or '*'");
      for (const auto& s : p.segments_)
        if (s.kind != Kind::literal && s.text == name) return fail("names '" + name + "' twice");
      p.segments_.push_back({piece.front() == ':' ? Kind::param : Kind::rest, std::move(name)});
    } else {
      p.segments_.push_back({Kind::literal, std::string(piece)});
    }
  }
  return p;
}

bool RoutePattern::match(const std::vector<std::string>& segments, PathParams& params) const {
  PathParams found;
  std::size_t i = 0;
  for (const auto& want : segments_) {
    if (want.kind == Kind::rest) {
      std::string rest;
      for (; i < segments.size(); ++i) {
        if (segments[i].find('/') != std::string::npos) return false;
        rest.append(rest.empty() ? "" : "/").append(segments[i]);
      }
      found.emplace_back(want.text, std::move(rest));
      break;
    }
    if (i == segments.size()) return false;
    if (want.kind == Kind::literal && want.text != segments[i]) return false;
    if (want.kind == Kind::param) found.emplace_back(want.text, segments[i]);
    ++i;
  }
  if (i != segments.size()) return false;
  for (auto& f : found) params.push_back(std::move(f));
  return true;
}

}  // namespace cohort::net
