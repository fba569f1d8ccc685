// cluster_seal.cpp — signing and checking the messages between nodes: see cluster_seal.hpp.
#include "cluster/cluster_seal.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "auth/base64.hpp"
#include "log/log.hpp"

namespace cohort::cluster {

namespace {

constexpr std::string_view kMagic = "S1 ";
constexpr std::string_view kPurpose = "cohort cluster v1";
// Byte offsets of the head's fields.
constexpr std::size_t kTagAt = 3, kTagLen = 43;
constexpr std::size_t kNodeAt = kTagAt + kTagLen + 1, kNodeLen = 8;
constexpr std::size_t kStampAt = kNodeAt + kNodeLen + 1, kStampLen = 16;
static_assert(kStampAt + kStampLen + 1 == kSealBytes);
constexpr unsigned kCounterBits = 20;  // stamps: ms << 20, so a node may send 2^20 messages a ms

[[noreturn]] void broken(const char* what) {
  log::event(log::Category::cluster, log::Level::error, "openssl_failed", {{"cannot", what}});
  log::drain();  // the line is out before the abort
  std::abort();
}

void put_hex(char* out, std::uint64_t v, std::size_t digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (std::size_t i = digits; i-- > 0; v >>= 4) out[i] = kHex[v & 15];
}

template <class T>
bool read_hex(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, 16);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

// HMAC-SHA256 keyed once; begin() restarts it without hashing the key again.
class Mac {
 public:
  explicit Mac(const ClusterKey& key) {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!mac) broken("fetch HMAC");
    ctx_ = EVP_MAC_CTX_new(mac);
    EVP_MAC_free(mac);  // the context keeps its own reference
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
    if (!ctx_ || EVP_MAC_init(ctx_, key.data(), key.size(), params) != 1) broken("key HMAC-SHA256");
  }
  ~Mac() { EVP_MAC_CTX_free(ctx_); }
  Mac(const Mac&) = delete;
  Mac& operator=(const Mac&) = delete;

  // The tag of (channel, signed part), as the base64url text the head carries.
  std::string tag(std::string_view channel, std::string_view signed_part) {
    char length[8];
    put_hex(length, channel.size(), sizeof length);
    if (EVP_MAC_init(ctx_, nullptr, 0, nullptr) != 1) broken("restart HMAC");
    add({length, sizeof length});
    add(channel);
    add(signed_part);
    unsigned char out[EVP_MAX_MD_SIZE];
    std::size_t len = 0;
    if (EVP_MAC_final(ctx_, out, &len, sizeof out) != 1) broken("finish HMAC");
    return auth::encode_url({reinterpret_cast<const char*>(out), len});
  }

 private:
  void add(std::string_view bytes) {
    if (EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()) != 1)
      broken("update HMAC");
  }
  EVP_MAC_CTX* ctx_ = nullptr;
};

ClusterKey derive_cluster_key(std::string_view secret) {
  ClusterKey key{};
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(kPurpose.data()), kPurpose.size(), key.data(), &len) ||
      len != key.size())
    broken("derive the cluster key");
  return key;
}

std::string unsealed_message(std::size_t body_bytes_hint) {
  std::string out;
  out.reserve(kSealBytes + body_bytes_hint);
  out.assign(kSealBytes, ' ');
  return out;
}

std::uint64_t unix_ms() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

// ---- sending -----------------------------------------------------------------------------

Sealer::Sealer(const ClusterKey& key, std::uint32_t node) : mac_(std::make_unique<Mac>(key)), node_(node) {}
Sealer::~Sealer() = default;

void Sealer::seal(std::string_view channel, std::string& message, std::uint64_t now_ms) {
  if (message.size() < kSealBytes) broken("seal a message without room for its seal (a bug)");
  stamp_ = std::max(stamp_ + 1, now_ms << kCounterBits);
  char* head = message.data();
  std::memcpy(head, kMagic.data(), kMagic.size());
  head[kNodeAt - 1] = ' ';
  put_hex(head + kNodeAt, node_, kNodeLen);
  head[kStampAt - 1] = ' ';
  put_hex(head + kStampAt, stamp_, kStampLen);
  head[kSealBytes - 1] = '\n';
  std::string tag = mac_->tag(channel, std::string_view(message).substr(kNodeAt));
  std::memcpy(head + kTagAt, tag.data(), kTagLen);
}

// ---- receiving ---------------------------------------------------------------------------

std::string_view verdict_name(SealVerdict v) {
  switch (v) {
    case SealVerdict::accepted: return "accepted";
    case SealVerdict::own: return "own";
    case SealVerdict::unsigned_message: return "unsigned";
    case SealVerdict::bad_tag: return "bad signature";
    case SealVerdict::replayed: return "replayed";
    case SealVerdict::stale: return "stale";
  }
  return "?";
}

SealCheck::SealCheck(const ClusterKey& key, std::uint32_t own_node) : mac_(std::make_unique<Mac>(key)), own_(own_node) {}
SealCheck::~SealCheck() = default;

Opened SealCheck::open(std::string_view channel, std::string_view m, std::uint64_t now_ms) {
  Opened out;
  if (m.size() < kSealBytes || !m.starts_with(kMagic) || m[kNodeAt - 1] != ' ' || m[kStampAt - 1] != ' ' ||
      m[kSealBytes - 1] != '\n')
    return out;  // unsigned_message
  std::uint64_t stamp = 0;
  if (!read_hex(m.substr(kNodeAt, kNodeLen), out.node) || !read_hex(m.substr(kStampAt, kStampLen), stamp)) {
    out.verdict = SealVerdict::bad_tag;
    return out;
  }
  if (out.node == own_) {
    out.verdict = SealVerdict::own;
    return out;
  }
  std::string tag = mac_->tag(channel, m.substr(kNodeAt));
  if (CRYPTO_memcmp(tag.data(), m.data() + kTagAt, kTagLen) != 0) {
    out.verdict = SealVerdict::bad_tag;
    return out;
  }
  auto [it, first] = last_.try_emplace(out.node, 0);
  if (!first && stamp <= it->second) {
    out.verdict = SealVerdict::replayed;
    return out;
  }
  if (first && (stamp >> kCounterBits) + static_cast<std::uint64_t>(kFreshness.count()) < now_ms) {
    last_.erase(it);
    out.verdict = SealVerdict::stale;
    return out;
  }
  it->second = stamp;
  out.verdict = SealVerdict::accepted;
  out.body = m.substr(kSealBytes);
  return out;
}

}  // namespace cohort::cluster
