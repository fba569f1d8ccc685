// router.cpp — live view paths: see router.hpp.
#include "live/router.hpp"

#include <boost/url/decode_view.hpp>
#include "net/query.hpp"

namespace cohort::live {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    auto slash = path.find('/');
    out.push_back(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash);
  }
  return out;
}

std::optional<std::string> decode(std::string_view text) {
  auto pct = boost::urls::make_pct_string_view(text);
  if (!pct) return std::nullopt;
  std::string out;
  for (char c : pct->decode()) out.push_back(c);
  return out;
}

// Query params join the path params; a path param wins on a clash.
void add_query(JsonObject& params, std::string_view query) {
  for (auto& param : net::parse_query(query).params)
    if (!params.contains(param.key)) params[param.key] = std::move(param.value);
}

}  // namespace

std::optional<std::string> Router::add(std::string pattern, std::size_t route_index) {
  if (pattern.empty() || pattern.front() != '/') return "live path '" + pattern + "' must start with '/'";
  Pattern p{{}, route_index};
  for (auto segment : split_path(pattern)) {
    if (segment == ":") return "live path '" + pattern + "' has an unnamed ':' segment";
    p.segments.emplace_back(segment);
  }
  patterns_.push_back(std::move(p));
  return std::nullopt;
}

std::optional<Router::Match> Router::match(std::string_view path, std::string_view query) const {
  auto segments = split_path(path);
  for (const auto& p : patterns_) {
    if (p.segments.size() != segments.size()) continue;
    JsonObject params;
    bool ok = true;
    for (std::size_t i = 0; ok && i < segments.size(); ++i) {
      const auto& want = p.segments[i];
      if (want.front() == ':') {
        auto value = decode(segments[i]);
        if (!value || value->empty()) ok = false;
        else params[want.substr(1)] = *value;
      } else {
        ok = want == segments[i];
      }
    }
    if (!ok) continue;
    add_query(params, query);
    return Match{p.route_index, std::move(params)};
  }
  return std::nullopt;
}

void split_url(std::string_view url, std::string_view& path, std::string_view& query) {
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) {
    url.remove_prefix(scheme + 3);
    auto slash = url.find('/');
    url = slash == std::string_view::npos ? std::string_view("/") : url.substr(slash);
  }
  if (auto hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
  auto q = url.find('?');
  path = url.substr(0, q);
  query = q == std::string_view::npos ? std::string_view{} : url.substr(q + 1);
}

}  // namespace cohort::live
