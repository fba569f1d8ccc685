// cohort/http.hpp — what an HTTP route sees and answers (Node::route, Node::route_async).
//
// A request arrives decoded once: its path segments and the route's ":name" / "*name" values
// are percent-decoded, the query string and cookies are read on demand. A response is a status,
// a content type, a body and extra headers; the node adds the security headers (docs/security.md)
// unless the handler set its own. Plain data; handlers run on the reactor thread of the request.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cohort/json.hpp"

namespace cohort {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // the path as sent (percent-encoded), no query
  std::string query;   // raw query string, no '?'
  std::string body;
  std::string content_type;
  std::string cookie;  // the Cookie header, raw
  std::string host;    // the Host header
  std::string authorization;  // the Authorization header, raw ("Bearer <token>" for the API)
  // The Origin header, raw ("" when absent): a browser names the page a POST came from, so a
  // form handler can refuse another site's (the node checks it only for WebSockets).
  std::string origin;
  // The path's non-empty segments, each percent-decoded once ("%2F" stays inside its segment).
  std::vector<std::string> segments;
  // The route pattern's ":name" and "*name" values, decoded.
  std::map<std::string, std::string, std::less<>> params;
  // params[name], or "" when the pattern has no such name.
  std::string param(std::string_view name) const;
  // The value of cookie `name`, or "" when absent.
  std::string cookie_value(std::string_view name) const;
  // The decoded value of query parameter `name` (the last one when repeated), or nullopt.
  std::optional<std::string> query_param(std::string_view name) const;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra: Set-Cookie, Location, ...
  static HttpResponse json(unsigned status, const Json& body);
};

// Runs on the reactor thread that read the request.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
// For answers that need asynchronous work (a store's state): call respond exactly once, on the
// same reactor thread, now or later.
using HttpResponder = std::function<void(HttpResponse)>;
using AsyncHttpHandler = std::function<void(const HttpRequest&, HttpResponder respond)>;

}  // namespace cohort
