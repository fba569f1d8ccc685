// live_page.cpp — a live page's tokens and the join they make: see live_page.hpp.
#include "live_page.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <cctype>

#include "ws_url.hpp"

namespace cohort::bench {

namespace {

// The entities a server writes into attribute values (the tokens never need them; a page may).
std::string html_unescape(std::string_view s) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&quot;", '"'}, {"&#39;", '\''}, {"&#x27;", '\''}, {"&lt;", '<'}, {"&gt;", '>'}};
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    bool replaced = false;
    if (s[i] == '&')
      for (const auto& [entity, c] : kEntities)
        if (s.substr(i, entity.size()) == entity) {
          out += c;
          i += entity.size();
          replaced = true;
          break;
        }
    if (!replaced) out += s[i++];
  }
  return out;
}

// The start tag around position at ("<div … data-phx-main …>"), or empty.
std::string_view tag_around(std::string_view html, std::size_t at) {
  auto open = html.rfind('<', at);
  auto close = html.find('>', at);
  if (open == std::string_view::npos || close == std::string_view::npos) return {};
  return html.substr(open, close + 1 - open);
}

// The value of attribute name (name="value") in a start tag; nullopt when absent.
std::optional<std::string> attribute(std::string_view tag, std::string_view name) {
  for (std::size_t at = tag.find(name); at != std::string_view::npos; at = tag.find(name, at + 1)) {
    bool starts = at > 0 && (tag[at - 1] == ' ' || tag[at - 1] == '\t' || tag[at - 1] == '\n');
    std::size_t eq = at + name.size();
    if (!starts || tag.substr(eq, 2) != "=\"") continue;
    auto end = tag.find('"', eq + 2);
    if (end == std::string_view::npos) return std::nullopt;
    return html_unescape(tag.substr(eq + 2, end - eq - 2));
  }
  return std::nullopt;
}

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += static_cast<char>(c);
    else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> parse_page_url(std::string_view url, PageUrl& out) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return "the page URL must start with http:// (got '" + std::string(url) + "')";
  std::string_view rest = url.substr(kScheme.size());
  auto end = rest.find_first_of("/?#");
  std::string_view path = end == std::string_view::npos ? std::string_view("/") : rest.substr(end);
  if (auto hash = path.find('#'); hash != std::string_view::npos) path = path.substr(0, hash);
  WsTarget target;  // the same authority and loopback rule as a ws:// URL
  if (auto err = parse_ws_url("ws://" + std::string(rest.substr(0, end)) + "/", target)) return err;
  out.url = std::string(url);
  out.address = target.address;
  out.port = target.port;
  out.host_header = target.host_header;
  out.path = path.front() == '?' ? "/" + std::string(path) : std::string(path);
  return std::nullopt;
}

std::optional<std::string> extract_live_page(std::string_view html, LivePage& out) {
  auto main = html.find(" data-phx-main");
  if (main == std::string_view::npos) return "no live root (data-phx-main) in the page";
  std::string_view root = tag_around(html, main);
  auto id = attribute(root, "id");
  auto session = attribute(root, "data-phx-session");
  if (!id || id->empty()) return "the live root has no id";
  if (!session || session->empty()) return "the live root has no data-phx-session";
  std::optional<std::string> csrf;
  for (auto at = html.find("<meta"); at != std::string_view::npos && !csrf; at = html.find("<meta", at + 1)) {
    std::string_view tag = tag_around(html, at + 1);
    if (attribute(tag, "name") == "csrf-token") csrf = attribute(tag, "content");
  }
  if (!csrf || csrf->empty()) return "no <meta name=\"csrf-token\"> in the page";
  out.id = std::move(*id);
  out.session = std::move(*session);
  out.static_token = attribute(root, "data-phx-static").value_or("");
  out.csrf = std::move(*csrf);
  return std::nullopt;
}

std::string cookie_pair(std::string_view set_cookie) {
  std::string_view pair = set_cookie.substr(0, set_cookie.find(';'));
  while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
  while (!pair.empty() && pair.back() == ' ') pair.remove_suffix(1);
  return pair.find('=') == std::string_view::npos ? std::string() : std::string(pair);
}

std::string live_socket_target(std::string_view csrf) {
  return "/live/websocket?_csrf_token=" + percent_encode(csrf) +
         "&_mounts=0&_mount_attempts=0&_live_referer=undefined&vsn=2.0.0";
}

std::string live_join_payload(std::string_view page_url, const LivePage& page) {
  namespace json = boost::json;
  json::object params{{"_csrf_token", page.csrf}, {"_mounts", 0}, {"_mount_attempts", 0}};
  json::object join{{"url", page_url},
                    {"params", std::move(params)},
                    {"session", page.session},
                    {"static", page.static_token.empty() ? json::value(nullptr) : json::value(page.static_token)},
                    {"sticky", false}};
  return json::serialize(join);
}

}  // namespace cohort::bench
