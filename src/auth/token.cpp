// token.cpp — HMAC-SHA256 signed claims: see cohort/token.hpp.
#include "cohort/token.hpp"

#include "auth/base64.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <ctime>

namespace cohort {

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

std::string TokenSigner::sign(const JsonObject& claims) const {
  std::string body = auth::encode_url(json::serialize(claims));
  return body + "." + auth::encode_url(mac(body));
}

TokenSigner::Verified TokenSigner::verify(std::string_view token) const {
  return verify(token, static_cast<std::int64_t>(std::time(nullptr)));
}

TokenSigner::Verified TokenSigner::verify(std::string_view token, std::int64_t now) const {
  auto dot = token.find('.');
  if (dot == std::string_view::npos) return {std::nullopt, "malformed"};
  std::string_view body = token.substr(0, dot);
  auto sig = auth::decode(token.substr(dot + 1));
  if (!sig) return {std::nullopt, "malformed"};
  std::string expected = mac(body);
  if (sig->size() != expected.size() || CRYPTO_memcmp(sig->data(), expected.data(), expected.size()) != 0)
    return {std::nullopt, "bad signature"};
  auto text = auth::decode(body);
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
