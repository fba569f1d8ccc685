// redact.cpp — passwords out of printed URLs: see redact.hpp.
//
// Works on the text's shape rather than with a URL parser, so that malformed settings (the ones
// that end up in error messages) are redacted too.
#include "auth/redact.hpp"

#include <algorithm>
#include <cctype>

namespace cohort::auth {

namespace {

constexpr std::string_view kHidden = "***";

bool secret_key(std::string_view key) {
  std::string k(key);
  std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return k.find("pass") != std::string::npos || k.find("secret") != std::string::npos ||
         k.find("token") != std::string::npos;
}

// "a=1&password=x" -> "a=1&password=***".
std::string redact_query(std::string_view query) {
  std::string out;
  while (true) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && secret_key(pair.substr(0, eq)))
      out.append(pair.substr(0, eq + 1)).append(kHidden);
    else out.append(pair);
    if (amp == std::string_view::npos) break;
    out.push_back('&');
    query.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace

std::string redact_url(std::string_view url) {
  std::string out;
  auto scheme_end = url.find("://");
  std::size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
  out.append(url.substr(0, start));
  // The userinfo ends at the last '@': a password may hold an unescaped '/', '?' or '#' in a
  // malformed setting, and hiding too much (an '@' in the query) is the safe mistake.
  std::size_t rest_at = start;
  if (auto at = url.rfind('@'); at != std::string_view::npos && at >= start) {
    std::string_view userinfo = url.substr(start, at - start);
    auto colon = userinfo.find(':');
    // "user:password" keeps the user; a lone name may be a password (Redis reads it so): hidden.
    if (colon != std::string_view::npos) out.append(userinfo.substr(0, colon + 1));
    out.append(kHidden);
    rest_at = at;
  }
  std::string_view rest = url.substr(rest_at);
  auto q = rest.find('?');
  if (q == std::string_view::npos) return out.append(rest);
  auto hash = rest.find('#', q);
  out.append(rest.substr(0, q + 1));
  out.append(redact_query(rest.substr(q + 1, hash == std::string_view::npos ? std::string_view::npos : hash - q - 1)));
  if (hash != std::string_view::npos) out.append(rest.substr(hash));
  return out;
}

}  // namespace cohort::auth
