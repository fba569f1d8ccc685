// long_poll.hpp — a socket endpoint's LongPoll transport: GET/POST/OPTIONS at path + "/longpoll".
//
// Owns: the HTTP face of Phoenix's LongPoll as the official client speaks it (docs/protocol.md,
// LongPoll): a GET without a session opens one (the same connect step, params and authToken —
// here the X-Phoenix-AuthToken header — as a WebSocket upgrade; the same Origin check; a session
// counts against the client address's connections) and answers {"status":410,"token":T}; a GET
// with one is the session's poll; a POST hands the session its ndjson messages; OPTIONS answers
// CORS for allowed origins only. Every answer is HTTP 200 with the status in the JSON body.
// The session token (TokenKind::longpoll, signed by the node's TokenSigner) names this node (a
// random nonce drawn at start), the reactor that holds the session and its id: a forged token,
// one of another node or one of a session that is gone gets 410 and nothing is opened for it
// (the client then opens a new session and rejoins).
// Threads: a request is read on any reactor; one for an existing session is posted to the
// session's reactor (net::Reactor::post) and answered from there (the answer posts itself back).
// It must never touch a session off its reactor, nor keep per-session state of its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "channels/channel_socket.hpp"
#include "cohort/token.hpp"
#include "net/net_context.hpp"
#include "net/query.hpp"
#include "net/reactor.hpp"

namespace cohort::channels {

// What the LongPoll transport needs of its node. node: this node's nonce (see above).
struct LongPollNode {
  net::ReactorSet& reactors;
  net::NetContext& net;
  const TokenSigner& signer;
  std::string node;
};

net::LongPollHandler make_long_poll_handler(const SocketEndpoint& endpoint, PubSub& pubsub,
                                            presence::Tracker& presence, SocketLimits limits, LongPollNode node);

// ---- the session token (pure functions, for the handler and its tests) ----

struct SessionName {
  std::string node;
  unsigned reactor = 0;
  std::uint64_t id = 0;
};
std::string sign_session(const TokenSigner& signer, const SessionName& name);

// A session token read: ok (ours, and the reactor exists), foreign (valid, of another node) or
// invalid (forged, expired, another kind of token, malformed claims).
enum class SessionCheck { ok, foreign, invalid };
struct SessionRead {
  SessionCheck check = SessionCheck::invalid;
  SessionName name;
};
SessionRead read_session(const TokenSigner& signer, std::string_view token, std::string_view node,
                         unsigned reactors);

// The session token of a request and the connect params without it. The client appends
// token=<session token> last; a connect param may be called token too (Phoenix keeps the last
// value), so: the x-phoenix-longpoll-token header if present; else the last of two or more
// "token" params; else a single "token" param only if its claims say it is a LongPoll token,
// whatever its MAC (otherwise it is the app's connect param and the request has no session).
// Verifying it is read_session's job.
struct SessionQuery {
  std::optional<std::string> session;
  std::vector<net::QueryParam> connect;
};
SessionQuery split_session(std::vector<net::QueryParam> params, std::string_view header);

}  // namespace cohort::channels
