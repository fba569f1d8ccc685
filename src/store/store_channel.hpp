// store_channel.hpp — the Channels face of the stores: topic "store:<kind>:<id>".
//
// Owns the protocol of one client following one key:
//   join {since?, token?} → ok {version, state, locks} or {version, patches: [{from,to,ops}], locks};
//                            error {reason} (unknown_store, unauthorized, forbidden, not_found,
//                            too_many_keys, future_version, ...)
//   push "op" {name, args?, op_id?, expect_version?} → ok {version} | error {reason, version, ...}
//   broadcasts: "patch" {from, to, ops}, "lock" / "unlock" {path, holder, reason, expires_in_ms?}
// The actor comes from a signed token of kind socket (join param "token", else the socket's connect param
// "token", else the connect assign "auth_token": the official client's authToken); no token means an anonymous actor with no roles. This is the edge where a client's
// request meets the kind's permissions: a join its StoreKind::can_join refuses is answered
// {"reason": "forbidden", "key"} before the key is touched; a join of a key that does not exist
// (nothing stored) by a joiner its StoreKind::can_create does not allow is answered
// {"reason": "not_found", "key"} (Stores::view_existing: nothing is kept or stored); an op whose OpSpec says
// from_clients = false is answered {"reason": "forbidden", "op", "detail": "server_only"}
// without reaching the store (roles and `anonymous` are the store's own checks, for every
// caller). Patches a joiner's view already holds (to <= its version) are not sent to it. Locks
// the session holds end with the channel.
#pragma once

#include "cohort/channel.hpp"
#include "cohort/store.hpp"
#include "cohort/token.hpp"

namespace cohort::metrics {
class Histogram;
}

namespace cohort::store {

// op_seconds (may be null): where each op's time from arrival to its ack after the commit is
// observed (cohort_store_op_seconds); ops refused before or at commit are not.
ChannelFactory store_channel_factory(Stores& stores, const TokenSigner& signer, metrics::Histogram* op_seconds = nullptr);

}  // namespace cohort::store
