// ws_url.hpp — the server the bench may load: a ws:// or wss:// URL whose host is a loopback
// address.
//
// The bench generates heavy load, so it refuses any host outside 127.0.0.0/8, ::1 and
// "localhost" (which is taken as 127.0.0.1 without asking a resolver). wss:// connects with TLS
// and does not verify the server's certificate: it measures a node on this machine, typically
// with a throwaway self-signed certificate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cohort::bench {

struct WsTarget {
  std::string host_header;  // the URL's authority, sent as the Host header ("127.0.0.1:4000")
  std::string address;      // numeric loopback address to connect to
  std::uint16_t port = 80;
  std::string target;       // path and query; "vsn=2.0.0" is appended when the URL has no vsn
  bool offer_deflate = true;  // offer permessage-deflate at the upgrade, as browsers do (--deflate)
  bool tls = false;           // wss://
  std::string cookie;         // sent as the Cookie header when not empty (a live view's visitor)

  std::string url() const { return (tls ? "wss://" : "ws://") + host_header + target; }
};

// Fills out from url. Returns an error message when the URL is not ws:// or wss://, is malformed, names a
// host that is not loopback, or asks for a serializer other than V2.
std::optional<std::string> parse_ws_url(std::string_view url, WsTarget& out);

}  // namespace cohort::bench
