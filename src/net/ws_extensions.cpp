// ws_extensions.cpp — permessage-deflate negotiation: see ws_extensions.hpp.
#include "net/ws_extensions.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <charconv>

namespace cohort::net {

namespace http = boost::beast::http;
using boost::beast::iequals;

namespace {

// A parameter value without the quotes of a quoted-string.
std::string_view unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

// A window-bits value: a decimal 8..15 without leading zero.
bool window_bits(std::string_view v, int& out) {
  if (v.empty() || v[0] == '0') return false;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc() && p == v.data() + v.size() && out >= 8 && out <= 15;
}

// Whether Cohort can accept this one offer's parameters.
bool acceptable(const http::param_list& params) {
  bool seen_snct = false, seen_cnct = false, seen_smwb = false, seen_cmwb = false;
  auto once = [](bool& seen) { return !std::exchange(seen, true); };
  for (const auto& [name_sv, value_sv] : params) {
    std::string_view name(name_sv.data(), name_sv.size());
    std::string_view value = unquote({value_sv.data(), value_sv.size()});
    int bits = 0;
    if (iequals(name, "server_no_context_takeover")) {
      if (!once(seen_snct) || !value.empty()) return false;
    } else if (iequals(name, "client_no_context_takeover")) {
      if (!once(seen_cnct) || !value.empty()) return false;
    } else if (iequals(name, "server_max_window_bits")) {
      if (!once(seen_smwb) || !window_bits(value, bits) || bits != 15) return false;
    } else if (iequals(name, "client_max_window_bits")) {
      // With or without a value: the client may use any window; our inflater takes 15 bits.
      if (!once(seen_cmwb) || (!value.empty() && !window_bits(value, bits))) return false;
    } else {
      return false;  // an unknown parameter: RFC 7692 7 says decline the offer
    }
  }
  return true;
}

}  // namespace

std::string negotiate_permessage_deflate(std::string_view offers) {
  for (const auto& [name, params] : http::ext_list(offers))
    if (iequals(name, "permessage-deflate") && acceptable(params)) return std::string(kDeflateResponse);
  return {};
}

}  // namespace cohort::net
