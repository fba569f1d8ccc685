// flash.cpp — flash messages across navigations: see flash.hpp.
#include "live/flash.hpp"

namespace cohort::live {

std::string flash_token(const TokenSigner& signer, const JsonObject& flash) {
  if (flash.empty()) return "";
  return signer.sign(TokenKind::flash, JsonObject{{"flash", flash}}, kFlashTtl);
}

JsonObject flash_of(const TokenSigner& signer, std::string_view token) {
  if (token.empty()) return {};
  auto verified = signer.verify(token, TokenKind::flash);
  if (!verified.claims) return {};
  const Json* flash = verified.claims->if_contains("flash");
  if (!flash || !flash->is_object()) return {};
  JsonObject out;
  for (const auto& [kind, message] : flash->get_object())
    if (message.is_string()) out[kind] = message;  // only what put_flash makes
  return out;
}

std::string flash_cookie(std::string_view token, bool secure) {
  std::string cookie = std::string(kFlashCookie) + "=" + std::string(token) + "; Path=/; HttpOnly; SameSite=Lax";
  cookie += token.empty() ? "; Max-Age=0" : "; Max-Age=" + std::to_string(kFlashTtl.count());
  if (secure) cookie += "; Secure";
  return cookie;
}

}  // namespace cohort::live
