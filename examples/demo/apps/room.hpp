// room.hpp — the example room: what a Phoenix app's generated RoomChannel does, in Cohort.
//
// Socket "/socket" (connect refused when the param token is "invalid"), channels "room:*":
//   join            → ok {}; "room:secret" → error {"reason":"unauthorized"}. With a user_id
//                     param it tracks presence {online_at}; it always pushes presence_state.
//   "presence_update" → replaces this user's meta with the payload (+ online_at)
//   "ping"          → reply ok with the same payload (JSON or binary)
//   "shout"         → broadcast the payload as "shout" to the topic, sender included
//   "push_back"     → push the payload back to this client as "pushed"
//   "whoami"        → reply ok {auth_token, params, user_id}
//   "crash"         → the handler throws (the client sees phx_error and rejoins)
// The same socket serves the stores' topics "store:<kind>:<id>" (see store/store_channel.hpp),
// plus POST /api/broadcast/<topic>[?event=E] (body.payload, or the whole body, as event E).
// It is also the compatibility fixture of the conformance tests and the bench target.
#pragma once

namespace cohort {
class Node;
}

namespace cohort::apps {

void install_room(Node& node);

}  // namespace cohort::apps
