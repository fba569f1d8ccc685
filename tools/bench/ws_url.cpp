// ws_url.cpp — URL parsing and the loopback rule: see ws_url.hpp.
#include "ws_url.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/string.hpp>
#include <cctype>
#include <charconv>

namespace cohort::bench {

namespace {

// The numeric address to dial for host, or an error when host is not loopback.
std::optional<std::string> loopback_address(std::string_view host, std::string& address) {
  if (boost::beast::iequals(host, "localhost")) {
    address = "127.0.0.1";
    return std::nullopt;
  }
  boost::system::error_code ec;
  auto ip = boost::asio::ip::make_address(std::string(host), ec);
  if (ec) return "host '" + std::string(host) + "' is not an IP address or 'localhost' (no DNS: loopback only)";
  bool loopback = ip.is_v4() ? ip.to_v4().to_bytes()[0] == 127
                             : ip.to_v6().is_loopback() ||
                                   (ip.to_v6().is_v4_mapped() && ip.to_v6().to_bytes()[12] == 127);
  if (!loopback)
    return "host " + std::string(host) + " is not loopback: cohort-bench only loads 127.0.0.0/8, ::1 or localhost";
  address = ip.to_string();
  return std::nullopt;
}

// Appends vsn=2.0.0 when the query has no vsn; refuses a vsn other than 2.x.
std::optional<std::string> ensure_vsn(std::string& target) {
  auto q = target.find('?');
  if (q != std::string::npos) {
    std::string_view query = std::string_view(target).substr(q + 1);
    while (!query.empty()) {
      auto amp = query.find('&');
      std::string_view item = query.substr(0, amp);
      if (item.substr(0, 4) == "vsn=") {
        if (item.substr(4, 2) != "2.") return "the bench speaks serializer V2 only, the URL asks for " + std::string(item);
        return std::nullopt;
      }
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  if (q == std::string::npos) target += '?';
  else if (target.back() != '?' && target.back() != '&') target += '&';
  target += "vsn=2.0.0";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> parse_ws_url(std::string_view url, WsTarget& out) {
  out.tls = url.size() >= 6 && boost::beast::iequals(url.substr(0, 6), "wss://");
  std::string_view scheme = out.tls ? "wss://" : "ws://";
  if (url.size() < scheme.size() || !boost::beast::iequals(url.substr(0, scheme.size()), scheme))
    return "the URL must start with ws:// or wss:// (got '" + std::string(url) + "')";
  std::string_view rest = url.substr(scheme.size());
  auto end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view target = end == std::string_view::npos ? std::string_view("/") : rest.substr(end);
  if (auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
  if (authority.empty()) return "the URL has no host";
  if (authority.find('@') != std::string_view::npos) return "the URL must not carry user info";

  std::string_view host = authority, port_text;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return "unbalanced '[' in the URL host";
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return "garbage after ']' in the URL host";
      port_text = after.substr(1);
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  out.port = out.tls ? 443 : 80;
  if (!port_text.empty()) {
    unsigned port = 0;
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port == 0 || port > 65535)
      return "bad port '" + std::string(port_text) + "' in the URL";
    out.port = static_cast<std::uint16_t>(port);
  }
  if (auto err = loopback_address(host, out.address)) return err;
  out.host_header = std::string(authority);
  out.target = target.front() == '?' ? "/" + std::string(target) : std::string(target);
  return ensure_vsn(out.target);
}

}  // namespace cohort::bench
