// grants.cpp — single-use sign-in grants: see grants.hpp.
#include "auth/grants.hpp"

#include <openssl/rand.h>

#include <stdexcept>

#include "auth/base64.hpp"

namespace cohort::auth {

namespace {

std::string random_id(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return encode_url(raw);
}

std::string_view string_claim(const JsonObject& claims, std::string_view name) {
  const Json* v = claims.if_contains(name);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view{};
}

}  // namespace

std::string mint_grant(const TokenSigner& signer, std::string_view epoch, const std::vector<std::string>& roles,
                       std::chrono::seconds ttl) {
  json::array list;
  for (const auto& r : roles) list.emplace_back(r);
  return signer.sign(TokenKind::grant,
                     JsonObject{{"roles", std::move(list)}, {"jti", random_id(12)}, {"epoch", epoch}}, ttl);
}

GrantLedger::GrantLedger() : epoch_(random_id(12)) {}

GrantCheck GrantLedger::verify(const TokenSigner& signer, std::string_view token, std::int64_t now,
                               std::string& id) const {
  auto verified = signer.verify(token, TokenKind::grant, now);
  if (!verified.claims) return {{}, 0, verified.error};
  const JsonObject& c = *verified.claims;
  if (string_claim(c, "epoch") != epoch_) return {{}, 0, "made before the node restarted"};
  id = std::string(string_claim(c, "jti"));
  const Json* roles = c.if_contains("roles");
  if (id.empty() || !roles || !roles->is_array()) return {{}, 0, "malformed"};
  GrantCheck out;
  for (const auto& r : roles->get_array())
    if (r.is_string()) out.roles.emplace_back(r.get_string());
  out.expires = static_cast<std::int64_t>(c.at("exp").to_number<double>());
  return out;
}

GrantCheck GrantLedger::check(const TokenSigner& signer, std::string_view token, std::int64_t now) const {
  std::string id;
  GrantCheck out = verify(signer, token, now, id);
  if (!out.error.empty()) return out;
  std::lock_guard lock(mutex_);
  if (used_.contains(id)) return {{}, 0, "already used"};
  return out;
}

GrantCheck GrantLedger::redeem(const TokenSigner& signer, std::string_view token, std::int64_t now) {
  std::string id;
  GrantCheck out = verify(signer, token, now, id);
  if (!out.error.empty()) return out;
  std::lock_guard lock(mutex_);
  std::erase_if(used_, [now](const auto& entry) { return entry.second <= now; });  // expired: refused anyway
  if (!used_.emplace(id, out.expires).second) return {{}, 0, "already used"};
  return out;
}

}  // namespace cohort::auth
