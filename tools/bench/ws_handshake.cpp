// ws_handshake.cpp — the opening handshake: see ws_handshake.hpp.
#include "ws_handshake.hpp"

#include <openssl/evp.h>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>

#include <cctype>
#include <cstring>

namespace cohort::bench {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

std::string base64(const unsigned char* data, std::size_t len) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < len; i += 3) {
    std::uint32_t n = std::uint32_t{data[i]} << 16;
    if (i + 1 < len) n |= std::uint32_t{data[i + 1]} << 8;
    if (i + 2 < len) n |= data[i + 2];
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < len ? kAlphabet[(n >> 6) & 63] : '=';
    out += i + 2 < len ? kAlphabet[n & 63] : '=';
  }
  return out;
}

std::string expected_accept(std::string_view key) {
  std::string input = std::string(key) + std::string(kGuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  EVP_Digest(input.data(), input.size(), digest, &digest_len, EVP_sha1(), nullptr);
  return base64(digest, digest_len);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The value of header `name` in head (case-insensitive name), or empty.
std::string_view header_value(std::string_view head, std::string_view name) {
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    std::size_t start = pos + 2;
    std::size_t end = head.find("\r\n", start);
    std::string_view line = head.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    auto colon = line.find(':');
    if (colon != std::string_view::npos && boost::beast::iequals(trim(line.substr(0, colon)), name))
      return trim(line.substr(colon + 1));
    pos = end;
  }
  return {};
}

// A permessage-deflate response this client honours: it inflates any window (15 bits) and
// never compresses what it sends, so every RFC 7692 parameter is acceptable except a
// server_max_window_bits it did not ask for; anything but a single permessage-deflate is not.
bool deflate_response_ok(std::string_view value) {
  namespace http = boost::beast::http;
  int count = 0;
  for (const auto& [name, params] : http::ext_list(value)) {
    if (++count > 1 || !boost::beast::iequals(name, "permessage-deflate")) return false;
    for (const auto& [param, v] : params) {
      std::string_view p(param.data(), param.size());
      if (!boost::beast::iequals(p, "server_no_context_takeover") && !boost::beast::iequals(p, "client_no_context_takeover") &&
          !boost::beast::iequals(p, "client_max_window_bits"))
        return false;
    }
  }
  return count == 1;
}

}  // namespace

std::string websocket_accept(std::string_view key) { return expected_accept(key); }

std::string make_ws_key(std::uint64_t a, std::uint64_t b) {
  unsigned char raw[16];
  std::memcpy(raw, &a, 8);
  std::memcpy(raw + 8, &b, 8);
  return base64(raw, sizeof raw);
}

std::string upgrade_request(const WsTarget& target, std::string_view key) {
  std::string req;
  req.reserve(256);
  req += "GET ";
  req += target.target;
  req += " HTTP/1.1\r\nHost: ";
  req += target.host_header;
  req += "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ";
  req += key;
  req += "\r\nSec-WebSocket-Version: 13\r\nUser-Agent: cohort-bench\r\n";
  if (target.offer_deflate) req += "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n";
  if (!target.cookie.empty()) {
    req += "Cookie: ";
    req += target.cookie;
    req += "\r\n";
  }
  req += "\r\n";
  return req;
}

HeadStatus check_upgrade_response(std::string_view bytes, std::string_view key, std::size_t& head_len,
                                  std::string& why, bool offered_deflate, bool* deflate) {
  auto end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (bytes.size() > kMaxResponseHead) {
      why = "upgrade response head larger than 16 KB";
      return HeadStatus::refused;
    }
    return HeadStatus::incomplete;
  }
  head_len = end + 4;
  std::string_view head = bytes.substr(0, end + 2);
  std::string_view status_line = head.substr(0, head.find("\r\n"));
  auto space = status_line.find(' ');
  if (status_line.substr(0, 5) != "HTTP/" || space == std::string_view::npos ||
      status_line.substr(space + 1, 3) != "101") {
    why = "upgrade refused: " + std::string(status_line);
    return HeadStatus::refused;
  }
  if (header_value(head, "Sec-WebSocket-Accept") != expected_accept(key)) {
    why = "upgrade answered 101 with a wrong or missing Sec-WebSocket-Accept";
    return HeadStatus::refused;
  }
  std::string_view extensions = header_value(head, "Sec-WebSocket-Extensions");
  if (!extensions.empty() && !(offered_deflate && deflate_response_ok(extensions))) {
    why = "upgrade answered with an extension this client cannot use: " + std::string(extensions);
    return HeadStatus::refused;
  }
  if (deflate) *deflate = !extensions.empty();
  return HeadStatus::upgraded;
}

}  // namespace cohort::bench
