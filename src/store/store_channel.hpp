// store_channel.hpp — the Channels face of the stores: topic "store:<kind>:<id>".
//
// Owns the protocol of one client following one key:
//   join {since?, token?} → ok {version, state, locks} or {version, patches: [{from,to,ops}], locks};
//                            error {reason} (unknown_store, unauthorized, future_version, ...)
//   push "op" {name, args?, expect_version?} → ok {version} | error {reason, version, ...}
//   broadcasts: "patch" {from, to, ops}, "lock" / "unlock" {path, holder, reason, expires_in_ms?}
// The actor comes from a signed token of kind socket (join param "token", else the socket's
// connect param "token"); no token means an anonymous actor with no roles. Patches a joiner's view already
// holds (to <= its version) are not sent to it. Locks the session holds end with the channel.
#pragma once

#include "cohort/channel.hpp"
#include "cohort/store.hpp"
#include "cohort/token.hpp"

namespace cohort::store {

ChannelFactory store_channel_factory(Stores& stores, const TokenSigner& signer);

}  // namespace cohort::store
