// live_page.hpp — what a live view's client needs from its page, as phoenix_live_view's client
// takes it: the page URL (loopback only), the live root's view id, signed session and static
// token, the CSRF token of the page's <meta>, the visitor cookie of the response; and, from
// those, the socket URL and the phx_join payload the official client sends (docs/protocol.md,
// LiveView: "The page", "Joining a view").
// Pure functions: no I/O. Any-thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cohort::bench {

// An http:// page on a loopback host.
struct PageUrl {
  std::string url;          // as given
  std::string address;      // numeric loopback address to connect to
  std::uint16_t port = 80;
  std::string host_header;  // the URL's authority
  std::string path;         // path and query ("/counter")
};

// Fills out from url. Errors: not http://, malformed, host not loopback (the ws_url.hpp rule).
std::optional<std::string> parse_page_url(std::string_view url, PageUrl& out);

// The live root of a page: <div id="phx-…" data-phx-main data-phx-session="…" data-phx-static="…">
// and <meta name="csrf-token" content="…">. Attribute values are HTML-unescaped.
struct LivePage {
  std::string id;
  std::string session;
  std::string static_token;  // empty: the client sends null
  std::string csrf;
};

// Reads the live root and the CSRF token out of a page's HTML; an error says what is missing.
std::optional<std::string> extract_live_page(std::string_view html, LivePage& out);

// The "name=value" part of a Set-Cookie header value (what a browser sends back), or empty.
std::string cookie_pair(std::string_view set_cookie);

// The socket's path and query as the official client opens it:
// /live/websocket?_csrf_token=…&_mounts=0&_mount_attempts=0&_live_referer=undefined&vsn=2.0.0
std::string live_socket_target(std::string_view csrf);

// The phx_join payload for lv:<id>: url, params {_csrf_token, _mounts, _mount_attempts},
// session, static (null when empty), sticky false.
std::string live_join_payload(std::string_view page_url, const LivePage& page);

}  // namespace cohort::bench
