// long_poll.cpp — the LongPoll transport's HTTP face: see long_poll.hpp.
#include "channels/long_poll.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <memory>
#include <utility>

#include "auth/base64.hpp"
#include "net/listener.hpp"
#include "net/long_poll_session.hpp"
#include "log/log.hpp"

namespace cohort::channels {

namespace {

// A session's token outlives any session (dropped after 1.5 windows unpolled); a tab polling
// for longer than this gets a 410 and opens a new session once.
constexpr auto kSessionTokenTtl = std::chrono::hours(24 * 7);

// Every LongPoll answer is HTTP 200: the official client reads only the JSON body's status.
HttpResponse body_answer(std::string body, std::string_view origin) {
  HttpResponse r{200, "application/json", std::move(body), {}};
  if (!origin.empty()) {
    r.headers.emplace_back("Access-Control-Allow-Origin", std::string(origin));
    r.headers.emplace_back("Access-Control-Allow-Credentials", "true");
    r.headers.emplace_back("Vary", "Origin");
  }
  return r;
}

// {"status":S,"error":why}: a refusal the client acts on by its status (403: reconnect with
// backoff; 410: a new session), the reason for people reading it.
HttpResponse refusal(unsigned status, std::string_view why, std::string_view origin) {
  return body_answer(json::serialize(JsonObject{{"status", status}, {"error", why}}), origin);
}

// The CORS pre-flight, answered for allowed origins only (a refused one gets no
// Access-Control-Allow-Origin, so the browser does not send the request).
HttpResponse preflight(const net::LongPollRequest& req) {
  if (!req.origin.empty() && !req.origin_allowed) return refusal(403, "origin not allowed", {});
  HttpResponse r = body_answer(std::string(), req.origin);
  if (!req.origin.empty()) {
    r.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    if (!req.request_headers.empty())
      r.headers.emplace_back("Access-Control-Allow-Headers", std::string(req.request_headers));
    r.headers.emplace_back("Access-Control-Max-Age", "3600");
  }
  return r;
}

// A GET without a session, on the reactor that read it: the per-address slot, the connect
// step, then the session, held by this reactor.
void open_session(const SocketEndpoint& endpoint, PubSub& pubsub, presence::Tracker& presence, SocketLimits limits,
                  const LongPollNode& node, const net::LongPollRequest& req, std::vector<net::QueryParam> params,
                  const net::LongPollAnswer& answer) {
  net::Reactor* reactor = net::Reactor::current();
  if (!reactor) return answer(refusal(500, "not on a reactor", req.origin));
  net::AddressTicket ticket;
  if (node.net.addresses.limited()) {
    auto admission = node.net.addresses.admit(req.client, std::chrono::steady_clock::now());
    if (admission.verdict != net::AddressLimits::Verdict::admitted) {
      net::refusal_for(admission.verdict, node.net.metrics.limits,  // counted as a connection refused
                       req.peer.substr(0, req.peer.rfind(':')));
      bool open = admission.verdict == net::AddressLimits::Verdict::too_many_open;
      return answer(refusal(403, open ? "too many connections from your address" : "new connections too fast from your address",
                            req.origin));
    }
    ticket = std::move(admission.ticket);
  }
  std::optional<std::string> auth;
  if (!req.auth_token.empty()) auth = std::string(req.auth_token);
  Connected connected = connect_socket(endpoint, std::move(params), std::move(auth), req.peer);
  if (connected.status) return answer(refusal(connected.status == 400 ? 400 : 403, connected.reason, req.origin));
  auto& sessions = *node.net.poll_sessions[reactor->index()];
  auto session = std::make_shared<net::LongPollSession>(*reactor, node.net, sessions.next_id(), std::move(ticket));
  std::string token = sign_session(node.signer, {node.node, reactor->index(), session->id()});
  session->start(std::make_unique<ChannelSocket>(endpoint, pubsub, presence, std::move(connected.assigns), limits),
                 token);
  if (log::access_on())
    session->set_access(net::open_session_access("longpoll", endpoint.path() + "/longpoll",
                                                 req.peer.substr(0, req.peer.rfind(':'))));
  answer(body_answer(net::poll_body(410, token, {}), req.origin));
}

// A request for an existing session, run on the session's reactor.
void on_session(const LongPollNode& node, const SessionName& name, bool get, net::PostedBatch batch,
                std::string origin, const net::LongPollAnswer& answer) {
  auto session = node.net.poll_sessions[name.reactor]->find(name.id);
  if (!session) return answer(refusal(410, "no such session", origin));
  if (!get) {
    bool open = session->post(batch.messages);
    return answer(body_answer(net::status_body(open ? 200 : 410), origin));
  }
  session->poll([answer, origin = std::move(origin)](std::string body) { answer(body_answer(std::move(body), origin)); });
}

// Whether token says it is a LongPoll session token (its claims' kind), whatever its MAC: a
// single "token" param that does is the client's session token (forged or not), one that does
// not is the app's connect param.
bool claims_long_poll(std::string_view token) {
  auto dot = token.find('.');
  if (dot == std::string_view::npos) return false;
  auto claims = auth::decode(token.substr(0, dot));
  if (!claims) return false;
  boost::system::error_code ec;
  auto parsed = boost::json::parse(*claims, ec);
  if (ec || !parsed.is_object()) return false;
  auto* kind = parsed.get_object().if_contains("kind");
  return kind && kind->is_string() && kind->get_string() == kind_name(TokenKind::longpoll);
}

}  // namespace

std::string sign_session(const TokenSigner& signer, const SessionName& name) {
  return signer.sign(TokenKind::longpoll,
                     JsonObject{{"node", name.node}, {"r", name.reactor}, {"id", static_cast<std::int64_t>(name.id)}},
                     kSessionTokenTtl);
}

SessionRead read_session(const TokenSigner& signer, std::string_view token, std::string_view node, unsigned reactors) {
  SessionRead read;
  auto verified = signer.verify(token, TokenKind::longpoll);
  if (!verified.claims) return read;
  const auto& c = *verified.claims;
  auto* n = c.if_contains("node");
  auto* r = c.if_contains("r");
  auto* id = c.if_contains("id");
  if (!n || !n->is_string() || !r || !r->is_int64() || !id || !id->is_int64()) return read;
  if (r->get_int64() < 0 || id->get_int64() < 0) return read;
  read.name = {std::string(n->get_string()), static_cast<unsigned>(r->get_int64()),
               static_cast<std::uint64_t>(id->get_int64())};
  if (read.name.node != node) read.check = SessionCheck::foreign;
  else if (r->get_int64() < static_cast<std::int64_t>(reactors)) read.check = SessionCheck::ok;
  return read;
}

SessionQuery split_session(std::vector<net::QueryParam> params, std::string_view header) {
  SessionQuery q;
  if (!header.empty()) {
    q.session = std::string(header);
    q.connect = std::move(params);
    return q;
  }
  std::size_t tokens = 0, last = 0;
  for (std::size_t i = 0; i < params.size(); ++i)
    if (params[i].key == "token") ++tokens, last = i;
  bool is_session = tokens >= 2 || (tokens == 1 && claims_long_poll(params[last].value));
  if (is_session) {
    q.session = std::move(params[last].value);
    params.erase(params.begin() + static_cast<std::ptrdiff_t>(last));
  }
  q.connect = std::move(params);
  return q;
}

net::LongPollHandler make_long_poll_handler(const SocketEndpoint& endpoint, PubSub& pubsub,
                                            presence::Tracker& presence, SocketLimits limits, LongPollNode node) {
  return [&endpoint, &pubsub, &presence, limits, node](const net::LongPollRequest& req, net::LongPollAnswer answer) {
    if (req.method == "OPTIONS") return answer(preflight(req));
    if (!req.origin_allowed)
      return answer(refusal(403, "origin '" + std::string(req.origin) + "' may not use this socket", {}));
    bool get = req.method == "GET";
    if (!get && req.method != "POST") return answer(refusal(400, "GET, POST or OPTIONS", req.origin));
    auto query = net::parse_query(req.query);
    if (query.error) return answer(refusal(400, "malformed query string", req.origin));
    SessionQuery split = split_session(std::move(query.params), req.session_token);
    if (!split.session) {
      if (!get) return answer(refusal(410, "no session", req.origin));
      return open_session(endpoint, pubsub, presence, limits, node, req, std::move(split.connect), answer);
    }
    SessionRead read = read_session(node.signer, *split.session, node.node, node.reactors.size());
    if (read.check != SessionCheck::ok)
      return answer(refusal(410, read.check == SessionCheck::foreign ? "session of another node" : "invalid session token",
                            req.origin));
    net::PostedBatch batch;
    if (!get) {
      batch = net::parse_post_body(req.body);
      if (!batch.error.empty()) return answer(refusal(400, batch.error, req.origin));
    }
    node.reactors.at(read.name.reactor)
        .post([&node = node, name = read.name, get, batch = std::move(batch), origin = std::string(req.origin),
               answer = std::move(answer)]() mutable {
          on_session(node, name, get, std::move(batch), std::move(origin), answer);
        });
  };
}

}  // namespace cohort::channels
