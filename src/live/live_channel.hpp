// live_channel.hpp — the LiveView protocol (docs/protocol.md, LiveView) on topic "lv:<id>" of the /live socket.
//
// Owns: the join (the signed session checked: kind session, the topic's id, not expired; the
// params' _csrf_token checked against the session's visitor, in constant time; the view chosen
// by the join's url or redirect; the reply {rendered, liveview_version, live_patch?} or a
// refusal: "unauthorized" (bad session) and "stale" (bad CSRF token) make the client reload
// the page, redirect / live_redirect navigate), the decoding of every client push ("event" of each type with its
// value: phx-value-* objects, URL-encoded forms with _target, hook payloads, component cids;
// "live_patch"; "cids_will_destroy" / "cids_destroyed"), and the rule that every push gets a
// reply. The view itself (assigns, renders, batching) is ViewInstance's.
// Threads: as every Channel, on its socket's reactor.
#pragma once

#include "cohort/channel.hpp"
#include "cohort/token.hpp"
#include "live/view_instance.hpp"

namespace cohort::live {

ChannelFactory live_channel_factory(Services services, const TokenSigner& signer);

}  // namespace cohort::live
