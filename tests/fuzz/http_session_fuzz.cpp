// http_session_fuzz.cpp — fuzz target for the HTTP request path of src/net/http_session.cpp:
// Beast's request parser with the node's limits, then, in HttpSession::on_read's order, the
// Host check and the Origin check (src/net/origin_policy.hpp), the path decoded once and
// matched against route patterns (src/net/route_pattern.hpp), the query string
// (src/net/query.hpp, HttpRequest::query_param, cookie_value) and the body as a form
// (src/live/form.hpp) or as client JSON (src/net/client_json.hpp).
//
// Input layout: byte 0 picks the limits (bits 0-1: body limit from kBodyLimits; bit 2: a small
// header limit) and byte 1 the chunk size the bytes arrive in; the rest is what a client
// writes on the connection.
// Invariants:
//  - no crash, no sanitizer report, whatever the bytes;
//  - a parsed request's body fits the body limit;
//  - decoded segments are never empty; ":name" parameters are never empty; "/*rest" matches
//    exactly the paths none of whose segments holds a '/', giving back the segments joined;
//  - the same bytes in other chunk sizes parse to the same request (or fail only for the
//    header limit, which Beast applies to the request line only when it arrives with the fields).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "cohort/node.hpp"
#include "fuzz_check.hpp"
#include "live/form.hpp"
#include "net/client_json.hpp"
#include "net/origin_policy.hpp"
#include "net/query.hpp"
#include "net/route_pattern.hpp"

namespace {

namespace http = boost::beast::http;
using namespace cohort;
using net::OriginPolicy;

constexpr std::size_t kBodyLimits[] = {0, 64, 4096, 1 << 20};

using Request = http::request<http::string_body>;

// Feeds the bytes to a parser in pieces of `chunk` bytes, as reads from a socket would. The
// request when it is complete and well-formed; else why not in `why` (empty: not complete).
std::optional<Request> parse(std::string_view bytes, std::size_t chunk, std::uint32_t header_limit,
                             std::size_t body_limit, boost::beast::error_code& why) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(header_limit);
  parser.body_limit(body_limit);
  parser.eager(true);
  std::string pending;
  boost::beast::error_code ec;
  // As Beast's read loop: put() what has arrived and is not consumed yet, read more when it
  // needs more, put_eof() when the peer has closed (never put() an empty buffer).
  while (!parser.is_done()) {
    std::size_t take = std::min(chunk, bytes.size());
    pending.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (take == 0 && (ec == http::error::need_more || pending.empty())) {  // the peer closed
      if (!parser.got_some()) return std::nullopt;  // before a request
      parser.put_eof(ec);
      why = ec;
      if (ec || !parser.is_done()) return std::nullopt;
      break;
    }
    ec = {};
    std::size_t used = parser.put(boost::asio::buffer(pending), ec);
    pending.erase(0, used);
    if (!ec && used == 0 && take == 0) ec = http::error::need_more;  // no progress: wait for EOF
    if (ec && ec != http::error::need_more) {
      why = ec;
      return std::nullopt;
    }
  }
  return parser.release();
}

const OriginPolicy& policy() {
  static const OriginPolicy p = [] {
    Config c;
    c.public_url = "https://cohort.example.com";
    c.allowed_hosts = "*.example.org,app:8080";
    c.allowed_origins = "https://*.example.net";
    OriginPolicy out;
    FUZZ_CHECK(!OriginPolicy::build(c, false, out));
    return out;
  }();
  return p;
}

const std::vector<net::RoutePattern>& routes() {
  static const std::vector<net::RoutePattern> list = [] {
    std::vector<net::RoutePattern> out;
    for (const char* text : {"/api/broadcast/:topic", "/signin", "/metrics", "/live/*path", "/polls/:id/results",
                             "/socket/websocket", "/", "/*rest"}) {
      std::string error;
      auto p = net::RoutePattern::parse(text, error);
      FUZZ_CHECK(p);
      out.push_back(std::move(*p));
    }
    return out;
  }();
  return list;
}

void check_routes(const std::vector<std::string>& segments) {
  bool any_slash = false;
  std::string joined;
  for (const auto& s : segments) {
    FUZZ_CHECK(!s.empty());
    any_slash = any_slash || s.find('/') != std::string::npos;
    joined += (joined.empty() ? "" : "/") + s;
  }
  for (const auto& route : routes()) {
    net::PathParams params;
    bool matched = route.match(segments, params);
    if (route.text() == "/*rest") {
      FUZZ_CHECK(matched == !any_slash);
      if (matched) FUZZ_CHECK(params.size() == 1 && params[0].second == joined);
    }
    if (!matched) continue;
    for (const auto& [name, value] : params)
      if (name != "path" && name != "rest") FUZZ_CHECK(!value.empty());
  }
}

// What a route handler would read from the request.
void check_request(const Request& req) {
  std::string_view target = req.target();
  HttpRequest r;
  auto q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
  r.cookie = std::string(req[http::field::cookie]);
  r.body = req.body();
  (void)r.query_param("event");
  (void)r.cookie_value("cohort_user");
  (void)net::parse_query(r.query);
  std::string_view type = req[http::field::content_type];
  if (type.find("urlencoded") != std::string_view::npos) {
    (void)net::parse_query(r.body);
    (void)live::decode_form(r.body, 16);
  } else {
    net::ParserLimits limits;
    limits.json_max_depth = 16;
    (void)net::parse_client_json(r.body, limits);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t body_limit = kBodyLimits[data[0] & 3];
  const std::uint32_t header_limit = data[0] & 4 ? 256 : 16 * 1024;
  const std::size_t chunk = 1 + data[1] % 64;
  std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);

  boost::beast::error_code why, chunked_why;
  auto req = parse(bytes, bytes.size() + 1, header_limit, body_limit, why);
  auto chunked = parse(bytes, chunk, header_limit, body_limit, chunked_why);
  if (req.has_value() != chunked.has_value()) {
    // Beast counts the request line against header_limit only when it arrives with the fields
    // in one read, so a head just over the limit may pass one way and not the other (the node's
    // limit is approximate by at most the request line's length). Nothing else may depend on
    // how the bytes were split.
    FUZZ_CHECK((req ? chunked_why : why) == http::error::header_limit);
    return 0;
  }
  if (!req) return 0;
  FUZZ_CHECK(req->target() == chunked->target() && req->body() == chunked->body());
  FUZZ_CHECK(req->body().size() <= body_limit);

  if (policy().check_host((*req)[http::field::host]) != OriginPolicy::HostVerdict::ok) return 0;
  std::string_view target = req->target();
  auto decoded = net::decode_path(target.substr(0, target.find('?')));
  if (decoded.error) return 0;
  if (boost::beast::websocket::is_upgrade(*req))
    (void)policy().origin_allowed((*req)[http::field::origin], (*req)[http::field::host]);
  check_routes(decoded.segments);
  check_request(*req);
  return 0;
}
