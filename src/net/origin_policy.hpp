// origin_policy.hpp — which Host names a node answers, and which browser Origins may open its
// WebSockets (Phoenix's check_origin).
//
// Owns: the two checks that stop another site from using a visitor's browser against a node.
// Host (every HTTP request and upgrade, against DNS rebinding: evil.example resolving to the
// node's address gives requests with "Host: evil.example"): a request is answered only when its
// Host names the node: an IP literal or "localhost" (names DNS cannot rebind), the host of
// public_url, or an allowed_hosts entry ("name" at any port, "name:port", "*.example.com" for
// any subdomain, "*" for any host). Ports are not compared for the node's own names: rebinding
// changes the name, never the port. A missing or malformed Host header is refused too.
// Origin (WebSocket upgrades; browsers always send it there): allowed when absent (non-browser
// clients, as in Phoenix), when check_origin is false, when it is the request's own origin
// (the node's scheme + the Host the request came with, which passed the Host check), the
// origin of public_url, or matches an allowed_origins entry (scheme://host[:port], "*."
// wildcards any subdomain). Anything else, "null" included, is refused.
// Built once from the Config at start, immutable afterwards: any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/config.hpp"

namespace cohort::net {

// A host and port as a Host header or an origin names them: host lower-cased, an IPv6 address
// in brackets; port empty when not given.
struct HostPort {
  std::string host;
  std::optional<std::uint16_t> port;
};
// "name", "name:port", "[v6]", "[v6]:port"; nothing when malformed.
std::optional<HostPort> parse_host_port(std::string_view text);

struct Origin {
  std::string scheme;  // "http" or "https"
  std::string host;    // lower-cased; may start with "*." in an allowed_origins entry
  std::uint16_t port;  // the scheme's default when not given
};
// "scheme://host[:port]" (a trailing '/' is tolerated); nothing when malformed.
std::optional<Origin> parse_origin(std::string_view text);

class OriginPolicy {
 public:
  OriginPolicy() = default;  // answers any host, allows any origin (for nodes under test)
  // An error message when public_url, allowed_hosts or allowed_origins is malformed.
  static std::optional<std::string> build(const Config& config, bool tls, OriginPolicy& out);

  enum class HostVerdict { ok, missing, malformed, unknown };
  HostVerdict check_host(std::string_view host_header) const;
  // origin_header may be empty (absent). host_header already passed check_host.
  bool origin_allowed(std::string_view origin_header, std::string_view host_header) const;
  // Whether origin_header (present) is the node's own origin: the request's (the node's scheme
  // + host_header) or public_url's. allowed_origins and check_origin do not count: for routes
  // that hand a visitor a credential (Node::same_origin).
  bool same_origin(std::string_view origin_header, std::string_view host_header) const;

  // The WebSocket origins of the node as a page served under host_header connects to them,
  // for Content-Security-Policy connect-src: "ws://host" (wss:// with TLS), plus public_url's.
  std::string websocket_sources(std::string_view host_header) const;
  // Where the TLS redirect listener sends a request that named host_header: public_url's origin
  // when it is https://, else https://<host>[:tls_port].
  std::string tls_origin(std::string_view host_header, std::uint16_t tls_port) const;
  const std::string& scheme() const { return scheme_; }

 private:
  struct HostRule {
    std::string host;  // exact, or a suffix ".example.com" when wildcard
    bool wildcard = false;
    std::optional<std::uint16_t> port;
  };
  bool host_matches(const HostPort& h) const;

  std::string scheme_ = "http";
  bool any_host_ = true;
  bool check_origin_ = false;
  std::optional<Origin> public_origin_;
  std::vector<HostRule> hosts_;
  std::vector<Origin> origins_;  // host "*.x" = any subdomain of x
};

}  // namespace cohort::net
