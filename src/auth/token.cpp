// token.cpp — HMAC-SHA256 signed claims: see cohort/token.hpp.
#include "cohort/token.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <ctime>

namespace cohort {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string b64url(std::string_view in) {
  std::string out;
  std::size_t i = 0;
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(in[k]); };
  for (; i + 3 <= in.size(); i += 3) {
    std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  std::size_t rest = in.size() - i;
  if (rest) {
    std::uint32_t v = byte(i) << 16;
    if (rest == 2) v |= byte(i + 1) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> unb64url(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = std::char_traits<char>::find(kAlphabet, 64, c);
    if (!p) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(p - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace

Actor Actor::from_claims(const JsonObject& claims) {
  Actor a;
  if (auto* sub = claims.if_contains("sub"); sub && sub->is_string()) a.id = sub->get_string();
  if (auto* roles = claims.if_contains("roles"); roles && roles->is_array())
    for (const auto& r : roles->get_array())
      if (r.is_string()) a.roles.emplace_back(r.get_string());
  return a;
}

std::string TokenSigner::mac(std::string_view data) const {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string TokenSigner::sign(const JsonObject& claims) const {
  std::string body = b64url(json::serialize(claims));
  return body + "." + b64url(mac(body));
}

TokenSigner::Verified TokenSigner::verify(std::string_view token) const {
  return verify(token, static_cast<std::int64_t>(std::time(nullptr)));
}

TokenSigner::Verified TokenSigner::verify(std::string_view token, std::int64_t now) const {
  auto dot = token.find('.');
  if (dot == std::string_view::npos) return {std::nullopt, "malformed"};
  std::string_view body = token.substr(0, dot);
  auto sig = unb64url(token.substr(dot + 1));
  if (!sig) return {std::nullopt, "malformed"};
  std::string expected = mac(body);
  if (sig->size() != expected.size() || CRYPTO_memcmp(sig->data(), expected.data(), expected.size()) != 0)
    return {std::nullopt, "bad signature"};
  auto text = unb64url(body);
  if (!text) return {std::nullopt, "malformed"};
  boost::system::error_code ec;
  Json claims = json::parse(*text, ec);
  if (ec || !claims.is_object()) return {std::nullopt, "malformed"};
  if (auto* exp = claims.get_object().if_contains("exp"); exp && exp->is_number()) {
    if (exp->to_number<double>() <= static_cast<double>(now)) return {std::nullopt, "expired"};
  }
  return {std::move(claims.get_object()), {}};
}

}  // namespace cohort
