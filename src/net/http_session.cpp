// http_session.cpp — HTTP/1.1 with Beast, and the hand-off to WebSocket: see http_session.hpp.
#include "net/http_session.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json/serialize.hpp>
#include <boost/range/iterator_range.hpp>
#include <optional>
#include <type_traits>
#include <utility>

#include "log/log.hpp"
#include "net/access_log.hpp"
#include "net/listener.hpp"
#include "net/query.hpp"
#include "net/route_pattern.hpp"
#include "net/security_headers.hpp"
#include "net/static_files.hpp"
#include "net/tls.hpp"
#include "net/ws_extensions.hpp"
#include "net/ws_connection.hpp"

namespace cohort {
HttpResponse HttpResponse::json(unsigned status, const Json& body) {
  return HttpResponse{status, "application/json", boost::json::serialize(body), {}};
}

std::optional<std::string> HttpRequest::query_param(std::string_view name) const {
  std::optional<std::string> found;
  for (auto& p : net::parse_query(query).params)
    if (p.key == name) found = std::move(p.value);
  return found;
}

std::string HttpRequest::param(std::string_view name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

std::string HttpRequest::cookie_value(std::string_view name) const {
  std::string_view rest = cookie;
  while (!rest.empty()) {
    auto semi = rest.find(';');
    std::string_view pair = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return std::string(pair.substr(eq + 1));
  }
  return {};
}
}  // namespace cohort

namespace cohort::net {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;

std::string websocket_accept_key(std::string_view key) {
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string input(key);
  input.append(kGuid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  unsigned char out[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(out), n);
}

namespace {

// How long a TLS peer has to answer our close_notify before the socket is simply closed.
constexpr auto kTlsShutdownTimeout = std::chrono::seconds(2);

HttpResponse error_response(unsigned status, std::string_view reason) {
  return HttpResponse::json(status, JsonObject{{"error", reason}});
}

// One connection, plain (Stream = beast::tcp_stream) or TLS (Stream = TlsStream): the two differ
// only in start() (the TLS handshake first), in how the connection ends and in what an upgrade
// hands to the WebSocket; everything between is the same code.
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  HttpSession(Reactor& reactor, NetContext& net, asio::ip::tcp::socket socket, Surface surface, AddressTicket ticket)
      : reactor_(reactor), net_(net), stream_(make_stream(net, std::move(socket))), surface_(surface),
        ticket_(std::move(ticket)) {
    if constexpr (kTls) deadline_.emplace(reactor.context());
  }

  ~HttpSession() {
    if (!handed_off_) net_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
  }

  void start() {
    if constexpr (kTls) {
      expire_after(std::chrono::milliseconds(net_.config.idle_timeout_ms));
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](error_code ec) {
        if (!ec) return self->do_read();
        self->net_.metrics.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
        self->drop();
      });
    } else {
      do_read();
    }
  }

 private:
  static Stream make_stream(NetContext& net, asio::ip::tcp::socket socket) {
    if constexpr (kTls) return Stream(std::move(socket), *net.tls);
    else return Stream(std::move(socket));
  }
  asio::ip::tcp::socket& tcp() {
    if constexpr (kTls) return stream_.next_layer();
    else return stream_.socket();
  }
  // The deadline of the current step (handshake, request, close_notify): past it the socket is
  // closed. Plain: the tcp_stream's own timer. TLS: deadline_, so that the stream under TLS is a
  // bare socket, which the WebSocket keeps after an upgrade.
  void expire_after(std::chrono::steady_clock::duration d) {
    if constexpr (kTls) {
      deadline_->expires_after(d);
      deadline_->async_wait([weak = this->weak_from_this()](error_code ec) {
        if (auto self = weak.lock(); self && !ec) self->drop();
      });
    } else {
      stream_.expires_after(d);
    }
  }
  void expire_never() {
    if constexpr (kTls) deadline_->cancel();
    else stream_.expires_never();
  }

  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(net_.config.max_header_bytes));
    parser_->body_limit(net_.config.max_frame);
    expire_after(std::chrono::milliseconds(net_.config.idle_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    if (log::access_on()) request_at_ = std::chrono::steady_clock::now();
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated ||
        ec == asio::error::bad_descriptor)  // a TLS deadline closed the socket
      return drop();
    if (ec == http::error::header_limit)
      return respond(error_response(431, "request header too large"), false);
    if (ec == http::error::body_limit) return respond(error_response(413, "request body too large"), false);
    if (ec) return respond(error_response(400, "bad request: " + ec.message()), false);
    net_.metrics.http_requests.fetch_add(1, std::memory_order_relaxed);
    auto& req = parser_->get();
    host_.clear();
    if (auto refusal = check_host(req[http::field::host])) return respond(std::move(*refusal), false);
    host_ = std::string(req[http::field::host]);
    std::string_view target = req.target();
    auto decoded = decode_path(target.substr(0, target.find('?')));
    if (decoded.error) return respond(error_response(400, "bad request target: " + *decoded.error), false);
    for (const auto& segment : decoded.segments)
      if (segment.find('\0') != std::string::npos)
        return respond(error_response(400, "bad request target: NUL in the path"), false);
    if (surface_ == Surface::redirect) return respond(redirect_to_tls(target), false);
    if (beast::websocket::is_upgrade(req)) return upgrade(req, std::move(decoded.segments));
    if (const LongPollRoute* poll = long_poll_route(decoded.segments)) return long_poll(req, *poll);
    route(req, std::move(decoded.segments));
  }

  const LongPollRoute* long_poll_route(const std::vector<std::string>& segments) const {
    if (surface_ != Surface::main) return nullptr;
    PathParams ignored;
    for (const auto& p : net_.long_polls)
      if (p.pattern.match(segments, ignored)) return &p;
    return nullptr;
  }

  // A LongPoll request: handed to its socket's handler with what the transport checks (the
  // Origin as for an upgrade, the client address); answered whenever the handler answers
  // (a poll waits up to the window), on this reactor.
  void long_poll(const http::request<http::string_body>& req, const LongPollRoute& poll) {
    expire_never();  // a poll waits up to the window, which may exceed idle_timeout_ms; do_read sets it again
    std::string_view target = req.target();
    auto q = target.find('?');
    LongPollRequest r;
    r.method = req.method_string();
    r.query = q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
    r.body = req.body();
    r.auth_token = req["X-Phoenix-AuthToken"];
    r.session_token = req["X-Phoenix-LongPoll-Token"];
    r.origin = req[http::field::origin];
    r.origin_allowed = r.origin.empty() || net_.policy.origin_allowed(r.origin, host_);
    r.request_headers = req[http::field::access_control_request_headers];
    error_code ec;
    auto peer = tcp().remote_endpoint(ec);
    if (!ec) {
      r.peer = peer.address().to_string() + ":" + std::to_string(peer.port());
      r.client = address_key(client_address(peer.address(), net_.trusted_proxies, joined(req, http::field::forwarded),
                                            joined(req, std::string_view("X-Forwarded-For"))));
    }
    bool keep_alive = req.keep_alive();
    poll.handler(r, [self = this->shared_from_this(), keep_alive](HttpResponse response) {
      auto& reactor = self->reactor_;
      reactor.post([self = std::move(self), keep_alive, response = std::move(response)]() mutable {
        self->respond(std::move(response), keep_alive);
      });
    });
  }

  // The answer to a request whose Host the node does not answer, or nothing (see origin_policy.hpp).
  std::optional<HttpResponse> check_host(std::string_view host) const {
    switch (net_.policy.check_host(host)) {
      case OriginPolicy::HostVerdict::ok: return std::nullopt;
      case OriginPolicy::HostVerdict::missing: return error_response(400, "missing Host header");
      case OriginPolicy::HostVerdict::malformed: return error_response(400, "malformed Host header");
      case OriginPolicy::HostVerdict::unknown: break;
    }
    return error_response(421, "host '" + std::string(host) +
                                   "' is not served here (the node answers its --public-url host, IP addresses, "
                                   "localhost and --allowed-hosts)");
  }

  // A permanent redirect to the same target on the TLS port (the tls_redirect_port listener).
  HttpResponse redirect_to_tls(std::string_view target) const {
    HttpResponse r = error_response(308, "this node serves HTTPS");
    r.headers.emplace_back("Location", net_.policy.tls_origin(host_, net_.port) + std::string(target));
    return r;
  }

  // Answers req: a route's handler (synchronous or not), a static file, or 404.
  void route(const http::request<http::string_body>& req, std::vector<std::string> segments) {
    bool keep_alive = req.keep_alive();
    HttpRequest r = to_request(req, std::move(segments));
    for (const auto& route : net_.routes) {
      PathParams params;
      bool method = route.method == r.method || (r.method == "HEAD" && route.method == "GET");
      if (!method || !route.pattern.match(r.segments, params)) continue;
      if (!route.on(surface_)) continue;  // operator routes: see Node::admin_route
      for (auto& [name, value] : params) r.params[name] = std::move(value);
      try {
        if (!route.async_handler) return respond(route.handler(r), keep_alive);
        route.async_handler(r, [self = this->shared_from_this(), keep_alive, answered = false](HttpResponse resp) mutable {
          if (std::exchange(answered, true)) return;
          self->respond(std::move(resp), keep_alive);
        });
        return;
      } catch (const std::exception& e) {
        return respond(error_response(500, std::string("handler failed: ") + e.what()), keep_alive);
      }
    }
    // The admin listener serves Cohort's page assets (its operator pages' scripts and styles), no
    // other static file.
    const bool statics = surface_ == Surface::main || (surface_ == Surface::admin && !r.segments.empty() &&
                                                       r.segments.front() == "assets");
    if (statics && (r.method == "GET" || r.method == "HEAD")) {
      if (auto file = net_.static_files.serve(r.segments)) {
        // A static page's own import maps may run (never a rendered page's: docs/security.md).
        if (file->content_type.starts_with("text/html"))
          add_security_headers(*file, net_.policy, host_, import_map_sources(file->body));
        return respond(std::move(*file), keep_alive);
      }
    }
    respond(error_response(404, "no route for " + r.method + " " + r.path), keep_alive);
  }

  static HttpRequest to_request(const http::request<http::string_body>& req, std::vector<std::string> segments) {
    HttpRequest r;
    std::string_view target = req.target();
    auto q = target.find('?');
    r.method = std::string(req.method_string());
    r.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
    r.segments = std::move(segments);
    r.body = req.body();
    r.content_type = std::string(req[http::field::content_type]);
    r.cookie = std::string(req[http::field::cookie]);
    r.host = std::string(req[http::field::host]);
    r.authorization = std::string(req[http::field::authorization]);
    r.origin = std::string(req[http::field::origin]);
    return r;
  }

  // What the access log says of the request being answered (access_log.hpp).
  struct RequestAccess {
    std::string method, target, client;
    unsigned status;
    std::chrono::steady_clock::time_point at;
  };
  std::unique_ptr<RequestAccess> request_access(unsigned status) {
    const auto* req = parser_ && parser_->is_header_done() ? &parser_->get() : nullptr;
    return std::make_unique<RequestAccess>(RequestAccess{req ? std::string(req->method_string()) : "-",
                                                         req ? std::string(req->target()) : "-", client_text(req), status,
                                                         request_at_});
  }

  // The client of req for a log line: the peer, or behind a trusted proxy the client it names.
  std::string client_text(const http::request<http::string_body>* req) {
    error_code ec;
    auto peer = tcp().remote_endpoint(ec);
    if (ec) return {};
    if (!req || !net_.trusted_proxies.contains(peer.address())) return peer.address().to_string();
    return client_address(peer.address(), net_.trusted_proxies, joined(*req, http::field::forwarded),
                          joined(*req, std::string_view("X-Forwarded-For")))
        .to_string();
  }

  void respond(HttpResponse r, bool keep_alive) {
    std::unique_ptr<RequestAccess> access;
    if (log::access_on()) access = request_access(r.status);
    response_.emplace();
    response_->version(11);
    response_->result(static_cast<http::status>(r.status));
    response_->set(http::field::server, "cohort");
    response_->set(http::field::content_type, r.content_type);
    add_security_headers(r, net_.policy, host_);
    for (auto& [name, value] : r.headers) response_->insert(name, value);
    bool head = parser_ && parser_->is_header_done() && parser_->get().method() == http::verb::head;
    if (!head) response_->body() = std::move(r.body);
    response_->keep_alive(keep_alive && !net_.stopping.load(std::memory_order_relaxed));
    response_->prepare_payload();
    if (head) response_->content_length(r.body.size());
    http::async_write(stream_, *response_, [self = this->shared_from_this(), access = std::move(access)](
                                               error_code ec, std::size_t bytes) {
      if (access)
        log_request(access->method, access->target, access->status, bytes,
                    std::chrono::steady_clock::now() - access->at, access->client);
      bool again = !ec && self->response_->keep_alive();
      self->response_.reset();
      if (again) self->do_read();
      else if (ec) self->drop();
      else self->close();
    });
  }

  void upgrade(const http::request<http::string_body>& req, const std::vector<std::string>& segments) {
    std::string_view target = req.target();
    auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    const UpgradeRoute* found = nullptr;
    PathParams ignored;
    for (const auto& u : net_.upgrades)
      if (!found && (u.surfaces & static_cast<unsigned>(surface_)) && u.pattern.match(segments, ignored)) found = &u;
    if (!found) return respond(error_response(404, "no WebSocket at this path"), false);
    if (req[http::field::sec_websocket_version] != "13" || req[http::field::sec_websocket_key].empty())
      return respond(error_response(400, "bad WebSocket handshake: version 13 and a key are required"), false);
    if (auto refusal = admit_forwarded(req)) return respond(std::move(*refusal), false);
    std::string_view origin = req[http::field::origin];
    if (!net_.policy.origin_allowed(origin, host_))
      return respond(error_response(403, "origin '" + std::string(origin) +
                                             "' may not open WebSockets here (allowed: this node's own origin, "
                                             "--public-url, --allowed-origins)"),
                     false);
    error_code ec;
    auto remote = tcp().remote_endpoint(ec);
    UpgradeRequest u{path, q == std::string_view::npos ? std::string_view{} : target.substr(q + 1),
                     req[http::field::sec_websocket_protocol],
                     ec ? std::string{} : remote.address().to_string() + ":" + std::to_string(remote.port()),
                     surface_};
    UpgradeDecision decision = found->handler(u);
    if (decision.status != 101 || !decision.handler)
      return respond(HttpResponse{decision.status ? decision.status : 403, "application/json",
                                  std::move(decision.body), {}},
                     false);
    handshake_ = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Accept: " + websocket_accept_key(req[http::field::sec_websocket_key]) + "\r\n";
    if (!decision.protocol.empty()) handshake_ += "Sec-WebSocket-Protocol: " + decision.protocol + "\r\n";
    std::string extensions = negotiate_permessage_deflate(joined(req, http::field::sec_websocket_extensions));
    deflate_ = !extensions.empty();
    if (deflate_) handshake_ += "Sec-WebSocket-Extensions: " + extensions + "\r\n";
    handshake_ += "\r\n";
    handler_ = std::move(decision.handler);
    if (log::access_on()) ws_access_ = open_session_access("websocket", path, client_text(&req));
    expire_never();
    auto written = [self = this->shared_from_this()](error_code ec, std::size_t) { self->on_upgraded(ec); };
    // Plain: straight to the socket, past the tcp_stream's timer machinery.
    if constexpr (kTls) asio::async_write(stream_, asio::buffer(handshake_), std::move(written));
    else asio::async_write(tcp(), asio::buffer(handshake_), std::move(written));
  }

  // A connection from a trusted proxy was not counted at its accept (listener.hpp): its upgrade
  // is, under the client the proxy names. The answer to refuse it with, or nothing.
  std::optional<HttpResponse> admit_forwarded(const http::request<http::string_body>& req) {
    if (ticket_ || !net_.addresses.limited() || net_.trusted_proxies.empty()) return std::nullopt;
    error_code ec;
    auto peer = tcp().remote_endpoint(ec);
    if (ec || !net_.trusted_proxies.contains(peer.address())) return std::nullopt;
    auto client = client_address(peer.address(), net_.trusted_proxies, joined(req, http::field::forwarded),
                                 joined(req, std::string_view("X-Forwarded-For")));
    auto admission = net_.addresses.admit(address_key(client), std::chrono::steady_clock::now());
    if (admission.verdict == AddressLimits::Verdict::admitted) {
      ticket_ = std::move(admission.ticket);
      return std::nullopt;
    }
    // The same words as the refusal at accept (listener.cpp), as a response of this session.
    const bool logged = log::enabled(log::Category::net, log::Level::info);
    std::string_view raw = refusal_for(admission.verdict, net_.metrics.limits, logged ? client.to_string() : std::string());
    HttpResponse r = HttpResponse{429, "application/json", std::string(raw.substr(raw.find("\r\n\r\n") + 4)), {}};
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }

  // Every line of a header that may come on several, as one comma-separated list.
  template <class Name>  // http::field, or the header's name when Beast has no enum value for it
  static std::string joined(const http::request<http::string_body>& req, Name name) {
    std::string all;
    for (const auto& field : boost::make_iterator_range(req.equal_range(name)))
      all.append(all.empty() ? "" : ", ").append(field.value());
    return all;
  }

  void on_upgraded(error_code ec) {
    if (ec) {
      if (ws_access_) log_session_close(*ws_access_);
      return drop();
    }
    // Bytes the client sent right behind its request belong to the WebSocket.
    auto data = buffer_.data();
    std::string leftover(static_cast<const char*>(data.data()), data.size());
    handed_off_ = true;
    std::shared_ptr<WsConnection> connection;
    if constexpr (kTls)
      connection = std::make_shared<WsConnection>(reactor_, net_, std::make_unique<TlsSocket>(std::move(stream_)));
    else
      connection = std::make_shared<WsConnection>(reactor_, net_, stream_.release_socket());
    connection->start(std::move(handler_), std::move(leftover), deflate_, std::move(ticket_), std::move(ws_access_));
  }

  // Ends the connection after a response that said Connection: close. TLS first sends its
  // close_notify (waiting at most kTlsShutdownTimeout for the peer's).
  void close() {
    if constexpr (kTls) {
      expire_after(kTlsShutdownTimeout);
      stream_.async_shutdown([self = this->shared_from_this()](error_code) { self->drop(); });
    } else {
      drop();
    }
  }

  // Ends the connection now.
  void drop() {
    error_code ignored;
    if constexpr (kTls) deadline_->cancel();
    tcp().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    tcp().close(ignored);
  }

  Reactor& reactor_;
  NetContext& net_;
  Stream stream_;
  std::optional<asio::steady_timer> deadline_;  // TLS only (see expire_after)
  Surface surface_;
  std::string host_;  // the current request's Host, once it passed the Host check
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  std::string handshake_;
  std::unique_ptr<WsHandler> handler_;
  bool handed_off_ = false;
  bool deflate_ = false;  // permessage-deflate negotiated at the upgrade
  AddressTicket ticket_;  // this connection's per-address slot, if counted (listener.hpp)
  // The access log (access_log.hpp), only while it is on: when the request was read, and the
  // record of the WebSocket being opened.
  std::chrono::steady_clock::time_point request_at_{};
  std::unique_ptr<SessionAccess> ws_access_;
};

}  // namespace

void start_http_session(Reactor& reactor, NetContext& net, asio::ip::tcp::socket socket, Surface surface,
                        AddressTicket ticket) {
  // The main listener speaks TLS when the node has a certificate; the admin listener (loopback
  // by default) and the redirect listener stay plain.
  if (net.tls && surface == Surface::main)
    std::make_shared<HttpSession<TlsStream>>(reactor, net, std::move(socket), surface, std::move(ticket))->start();
  else
    std::make_shared<HttpSession<beast::tcp_stream>>(reactor, net, std::move(socket), surface, std::move(ticket))->start();
}

}  // namespace cohort::net
