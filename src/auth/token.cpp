// token.cpp — HMAC-SHA256 signed claims with a kind and an expiry: see cohort/token.hpp.
// Never accepts a token without checking its MAC, kind and expiry; never compares secret
// values with an early-exit comparison.
#include "cohort/token.hpp"

#include "auth/base64.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <ctime>

namespace cohort {

namespace {
constexpr std::array<std::pair<TokenKind, std::string_view>, 9> kKinds = {{
    {TokenKind::session, "session"},
    {TokenKind::visitor, "visitor"},
    {TokenKind::grant, "grant"},
    {TokenKind::api, "api"},
    {TokenKind::socket, "socket"},
    {TokenKind::app, "app"},
    {TokenKind::flash, "flash"},
    {TokenKind::upload, "upload"},
    {TokenKind::longpoll, "longpoll"},
}};
}  // namespace

std::string_view kind_name(TokenKind kind) {
  for (auto [k, name] : kKinds)
    if (k == kind) return name;
  return "unknown";
}

std::optional<TokenKind> kind_from_name(std::string_view name) {
  for (auto [k, n] : kKinds)
    if (n == name) return k;
  return std::nullopt;
}

bool equal_secrets(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Actor Actor::from_claims(const JsonObject& claims) {
  Actor a;
  if (auto* sub = claims.if_contains("sub"); sub && sub->is_string()) a.id = sub->get_string();
  if (auto* name = claims.if_contains("name"); name && name->is_string()) a.name = name->get_string();
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

std::string TokenSigner::sign_until(TokenKind kind, JsonObject claims, std::int64_t exp_unix) const {
  claims["kind"] = kind_name(kind);
  claims["exp"] = exp_unix;
  std::string body = auth::encode_url(json::serialize(claims));
  return body + "." + auth::encode_url(mac(body));
}

std::string TokenSigner::sign(TokenKind kind, JsonObject claims, std::chrono::seconds ttl) const {
  return sign_until(kind, std::move(claims), static_cast<std::int64_t>(std::time(nullptr)) + ttl.count());
}

TokenSigner::Verified TokenSigner::verify(std::string_view token, TokenKind expected) const {
  return verify(token, expected, static_cast<std::int64_t>(std::time(nullptr)));
}

TokenSigner::Verified TokenSigner::verify(std::string_view token, TokenKind expected, std::int64_t now) const {
  auto dot = token.find('.');
  if (dot == std::string_view::npos) return {std::nullopt, "malformed"};
  std::string_view body = token.substr(0, dot);
  std::string_view sig = token.substr(dot + 1);
  if (!auth::decode(sig)) return {std::nullopt, "malformed"};
  // The signature's text is compared, not its decoded bytes: base64 has several spellings of
  // the same bytes (unused low bits of the last character, padding), and only the one the
  // signer writes is accepted, so a token cannot be re-spelled into a "different" valid one.
  if (!equal_secrets(sig, auth::encode_url(mac(body)))) return {std::nullopt, "bad signature"};
  auto text = auth::decode(body);
  if (!text) return {std::nullopt, "malformed"};
  boost::system::error_code ec;
  Json claims = json::parse(*text, ec);
  if (ec || !claims.is_object()) return {std::nullopt, "malformed"};
  const JsonObject& c = claims.get_object();
  const Json* exp = c.if_contains("exp");
  if (!exp || !exp->is_number()) return {std::nullopt, "no expiry"};
  if (exp->to_number<double>() <= static_cast<double>(now)) return {std::nullopt, "expired"};
  const Json* kind = c.if_contains("kind");
  if (!kind || !kind->is_string() || kind->get_string() != kind_name(expected)) return {std::nullopt, "wrong kind"};
  return {std::move(claims.get_object()), {}};
}

std::string TokenSigner::tag(std::string_view purpose, std::string_view value) const {
  std::string input(purpose);
  input.push_back('\0');  // token bodies are base64url text: a tag input never equals one
  input.append(value);
  return auth::encode_url(mac(input));
}

bool TokenSigner::check_tag(std::string_view purpose, std::string_view value, std::string_view candidate) const {
  return equal_secrets(candidate, tag(purpose, value));
}

}  // namespace cohort
