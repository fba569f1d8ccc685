// origin_policy.cpp — Host and Origin checks: see origin_policy.hpp.
#include "net/origin_policy.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>

namespace cohort::net {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::uint16_t default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

bool parse_port(std::string_view text, std::optional<std::uint16_t>& port) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v == 0 || v > 65535) return false;
  port = static_cast<std::uint16_t>(v);
  return true;
}

bool name_chars(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) return false;
  return true;
}

bool ip_literal(std::string_view host) {
  unsigned char buf[16];
  if (host.size() > 2 && host.front() == '[')
    return inet_pton(AF_INET6, std::string(host.substr(1, host.size() - 2)).c_str(), buf) == 1;
  return inet_pton(AF_INET, std::string(host).c_str(), buf) == 1;
}

// "*.example.com" → ".example.com" (wildcard), or the name itself.
bool wildcard_suffix(std::string& host) {
  if (!host.starts_with("*.")) return false;
  host.erase(0, 1);
  return true;
}

bool suffix_match(std::string_view host, std::string_view suffix) {
  return host.size() > suffix.size() && host.ends_with(suffix);
}

std::vector<std::string_view> split_list(std::string_view list) {
  std::vector<std::string_view> out;
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = list.substr(0, comma);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) item.remove_prefix(1);
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) item.remove_suffix(1);
    if (!item.empty()) out.push_back(item);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return out;
}

std::optional<Origin> parse_origin_allowing(std::string_view text, bool wildcard) {
  auto sep = text.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  Origin o;
  o.scheme = lower(text.substr(0, sep));
  if (o.scheme != "http" && o.scheme != "https") return std::nullopt;
  std::string_view rest = text.substr(sep + 3);
  if (rest.ends_with('/')) rest.remove_suffix(1);
  std::string_view host = rest;
  if (wildcard && host.starts_with("*.")) host.remove_prefix(2);
  auto hp = parse_host_port(host);
  if (!hp) return std::nullopt;
  o.host = (host.size() == rest.size() ? "" : "*.") + hp->host;
  o.port = hp->port.value_or(default_port(o.scheme));
  return o;
}

}  // namespace

std::optional<HostPort> parse_host_port(std::string_view text) {
  HostPort out;
  std::string_view host = text;
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(0, close + 1);
    std::string_view after = text.substr(close + 1);
    if (!after.empty() && (after.front() != ':' || !parse_port(after.substr(1), out.port))) return std::nullopt;
    for (char c : host.substr(1, host.size() - 2))
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) return std::nullopt;
    if (!ip_literal(host)) return std::nullopt;
  } else {
    auto colon = text.rfind(':');
    if (colon != std::string_view::npos) {
      host = text.substr(0, colon);
      if (!parse_port(text.substr(colon + 1), out.port)) return std::nullopt;
    }
    if (!name_chars(host)) return std::nullopt;
  }
  out.host = lower(host);
  return out;
}

std::optional<Origin> parse_origin(std::string_view text) { return parse_origin_allowing(text, false); }

std::optional<std::string> OriginPolicy::build(const Config& config, bool tls, OriginPolicy& out) {
  OriginPolicy p;
  p.scheme_ = tls ? "https" : "http";
  p.any_host_ = false;
  p.check_origin_ = config.check_origin;
  if (!config.public_url.empty()) {
    std::string_view url = config.public_url;
    auto sep = url.find("://");
    auto path = sep == std::string_view::npos ? sep : url.find('/', sep + 3);
    p.public_origin_ = parse_origin(url.substr(0, path));
    if (!p.public_origin_) return "public_url '" + config.public_url + "' must be http(s)://host[:port][/path]";
    p.hosts_.push_back({p.public_origin_->host, false, std::nullopt});
  }
  for (auto item : split_list(config.allowed_hosts)) {
    if (item == "*") {
      p.any_host_ = true;
      continue;
    }
    std::string text(item);
    bool wildcard = wildcard_suffix(text);
    auto hp = parse_host_port(wildcard ? text.substr(1) : text);
    if (!hp) return "allowed_hosts entry '" + std::string(item) + "' is not a host[:port] or *.domain";
    p.hosts_.push_back({wildcard ? "." + hp->host : hp->host, wildcard, hp->port});
  }
  for (auto item : split_list(config.allowed_origins)) {
    auto o = parse_origin_allowing(item, true);
    if (!o) return "allowed_origins entry '" + std::string(item) + "' is not scheme://host[:port] (http or https)";
    p.origins_.push_back(std::move(*o));
  }
  out = std::move(p);
  return std::nullopt;
}

bool OriginPolicy::host_matches(const HostPort& h) const {
  for (const auto& rule : hosts_) {
    if (rule.port && rule.port != h.port) continue;
    if (rule.wildcard ? suffix_match(h.host, rule.host) : rule.host == h.host) return true;
  }
  return false;
}

OriginPolicy::HostVerdict OriginPolicy::check_host(std::string_view host_header) const {
  if (host_header.empty()) return HostVerdict::missing;
  auto h = parse_host_port(host_header);
  if (!h) return HostVerdict::malformed;
  if (any_host_ || ip_literal(h->host) || h->host == "localhost" || host_matches(*h)) return HostVerdict::ok;
  return HostVerdict::unknown;
}

bool OriginPolicy::origin_allowed(std::string_view origin_header, std::string_view host_header) const {
  if (!check_origin_ || origin_header.empty()) return true;
  if (same_origin(origin_header, host_header)) return true;
  auto o = parse_origin(origin_header);
  if (!o) return false;
  for (const auto& allowed : origins_) {
    if (allowed.scheme != o->scheme || allowed.port != o->port) continue;
    if (allowed.host.starts_with("*.") ? suffix_match(o->host, std::string_view(allowed.host).substr(1))
                                       : allowed.host == o->host)
      return true;
  }
  return false;
}

bool OriginPolicy::same_origin(std::string_view origin_header, std::string_view host_header) const {
  auto o = parse_origin(origin_header);
  if (!o) return false;
  auto same = [&](const Origin& want) { return want.scheme == o->scheme && want.host == o->host && want.port == o->port; };
  if (auto h = parse_host_port(host_header))
    if (same(Origin{scheme_, h->host, h->port.value_or(default_port(scheme_))})) return true;
  return public_origin_ && same(*public_origin_);
}

std::string OriginPolicy::websocket_sources(std::string_view host_header) const {
  std::string ws = scheme_ == "https" ? "wss://" : "ws://";
  std::string out = ws + std::string(host_header);
  if (public_origin_) {
    const auto& p = *public_origin_;
    std::string pub = (p.scheme == "https" ? "wss://" : "ws://") + p.host;
    if (p.port != default_port(p.scheme)) pub += ":" + std::to_string(p.port);
    if (pub != out) out += " " + pub;
  }
  return out;
}

std::string OriginPolicy::tls_origin(std::string_view host_header, std::uint16_t tls_port) const {
  if (public_origin_ && public_origin_->scheme == "https") {
    std::string out = "https://" + public_origin_->host;
    if (public_origin_->port != 443) out += ":" + std::to_string(public_origin_->port);
    return out;
  }
  auto h = parse_host_port(host_header);
  std::string out = "https://" + (h ? h->host : std::string("localhost"));
  if (tls_port != 443) out += ":" + std::to_string(tls_port);
  return out;
}

}  // namespace cohort::net
