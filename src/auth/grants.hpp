// grants.hpp — sign-in grants: short-lived, single-use tokens that give roles to a browser.
//
// Owns: minting a grant (kind "grant": roles, a random id "jti", the node run's epoch, exp),
// checking one (the sign-in page shows what it grants before anything changes) and redeeming
// it (exactly once: the ids of redeemed grants are remembered until they expire). The epoch is
// random per process, so a restart invalidates every grant minted before it; the node writes
// it to <data_dir>/grant-epoch (mode 0600) so that `cohort grant`, run by the operator with the
// same data directory and secret, mints links this run accepts. A grant is good on the node
// that minted it only (each node of a cluster has its own epoch).
// Threads: any thread; redeem() takes a mutex (sign-ins are rare, never on a hot path).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/token.hpp"

namespace cohort::auth {

struct GrantCheck {
  std::vector<std::string> roles;  // set when error is empty
  std::int64_t expires = 0;        // the grant's exp (Unix seconds)
  std::string error;               // why the grant is refused
};

// A grant token for epoch (any process holding the secret can mint one).
std::string mint_grant(const TokenSigner& signer, std::string_view epoch, const std::vector<std::string>& roles,
                       std::chrono::seconds ttl);

class GrantLedger {
 public:
  GrantLedger();  // a new random epoch
  const std::string& epoch() const { return epoch_; }

  std::string mint(const TokenSigner& signer, const std::vector<std::string>& roles, std::chrono::seconds ttl) const {
    return mint_grant(signer, epoch_, roles, ttl);
  }
  // Whether token is a valid, unused grant of this run (changes nothing).
  GrantCheck check(const TokenSigner& signer, std::string_view token, std::int64_t now_unix) const;
  // As check(), and marks the grant used: redeeming it again fails with "already used".
  GrantCheck redeem(const TokenSigner& signer, std::string_view token, std::int64_t now_unix);

 private:
  GrantCheck verify(const TokenSigner& signer, std::string_view token, std::int64_t now, std::string& id) const;

  std::string epoch_;
  mutable std::mutex mutex_;
  std::map<std::string, std::int64_t, std::less<>> used_;  // guarded by mutex_: grant id -> its exp
};

}  // namespace cohort::auth
