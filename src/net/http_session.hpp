// http_session.hpp — one HTTP/1.1 connection until it ends or upgrades to a WebSocket.
//
// Owns: reading requests with Beast under the node's limits (header size → 431, body size →
// 413, a request that does not arrive within idle_timeout_ms → the socket is closed), the
// checks every request passes first (its Host, net/origin_policy.hpp: 400 or 421; its path,
// decoded once into segments, net/route_pattern.hpp: 400 for a malformed escape or a NUL),
// routing it by the listener's Surface (HTTP routes, static files, WebSocket upgrades after the
// Origin check: 403, LongPoll requests to their socket's handler with the Origin verdict and the
// client address, answered whenever it answers) and writing the responses, keep-alive included, each with the default
// security headers (net/security_headers.hpp). On the main listener of a node with a
// certificate the session first makes the TLS handshake (net/tls.hpp) and answers over it; an
// upgrade then hands the TLS stream itself to the WsConnection. On an accepted upgrade it answers 101 and hands the socket, with any bytes read
// past the request, to a WsConnection; it must never touch the socket after that. The
// connection's per-address ticket (address_limits.hpp) goes with it; an upgrade that came
// through a trusted proxy is counted here, under the client the proxy names (client_address.hpp),
// and refused with 429 when that client is over its limits.
// Beast stays inside http_session.cpp: this header exposes one function.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "net/net_context.hpp"
#include "net/reactor.hpp"

namespace cohort::net {

// Owner-thread-only: call on the reactor that owns socket. connections_open must already
// count this socket; the session releases it when it ends. surface: the listener it came from.
// ticket: the connection's per-address slot, if the listener counted it.
void start_http_session(Reactor& reactor, NetContext& net, boost::asio::ip::tcp::socket socket,
                        Surface surface = Surface::main, AddressTicket ticket = {});

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2).
std::string websocket_accept_key(std::string_view key);

}  // namespace cohort::net
