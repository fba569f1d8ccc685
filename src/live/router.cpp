// router.cpp — live view paths: see router.hpp.
#include "live/router.hpp"

#include "net/query.hpp"

namespace cohort::live {

namespace {

// Query params join the path params; a path param wins on a clash.
void add_query(JsonObject& params, std::string_view query) {
  for (auto& param : net::parse_query(query).params)
    if (!params.contains(param.key)) params[param.key] = std::move(param.value);
}

}  // namespace

std::optional<std::string> Router::add(std::string pattern, std::size_t route_index) {
  std::string error;
  auto parsed = net::RoutePattern::parse(pattern, error);
  if (!parsed) return "live path: " + error;
  patterns_.push_back({std::move(*parsed), route_index});
  return std::nullopt;
}

std::optional<Router::Match> Router::match(std::string_view path, std::string_view query) const {
  auto decoded = net::decode_path(path);
  if (decoded.error) return std::nullopt;
  for (const auto& p : patterns_) {
    net::PathParams found;
    if (!p.pattern.match(decoded.segments, found)) continue;
    JsonObject params;
    for (auto& [name, value] : found) params[name] = std::move(value);
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
