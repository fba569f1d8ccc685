// http_session.cpp — HTTP/1.1 with Beast, and the hand-off to WebSocket: see http_session.hpp.
#include "net/http_session.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json/serialize.hpp>
#include <boost/range/iterator_range.hpp>
#include <optional>
#include <utility>

#include "net/query.hpp"
#include "net/static_files.hpp"
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

HttpResponse error_response(unsigned status, std::string_view reason) {
  return HttpResponse::json(status, JsonObject{{"error", reason}});
}

class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(Reactor& reactor, NetContext& net, asio::ip::tcp::socket socket)
      : reactor_(reactor), net_(net), stream_(std::move(socket)) {}

  ~HttpSession() {
    if (!handed_off_) net_.metrics.connections_open.fetch_sub(1, std::memory_order_relaxed);
  }

  void start() { do_read(); }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(net_.config.max_header_bytes));
    parser_->body_limit(net_.config.max_frame);
    stream_.expires_after(std::chrono::milliseconds(net_.config.idle_timeout_ms));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::eof ||
        ec == asio::error::connection_reset)
      return close();
    if (ec == http::error::header_limit)
      return respond(error_response(431, "request header too large"), false);
    if (ec == http::error::body_limit) return respond(error_response(413, "request body too large"), false);
    if (ec) return respond(error_response(400, "bad request: " + ec.message()), false);
    net_.metrics.http_requests.fetch_add(1, std::memory_order_relaxed);
    auto& req = parser_->get();
    if (beast::websocket::is_upgrade(req)) return upgrade(req);
    route(req);
  }

  // Answers req: a route's handler (synchronous or not), a static file, or 404.
  void route(const http::request<http::string_body>& req) {
    bool keep_alive = req.keep_alive();
    HttpRequest r = to_request(req);
    for (const auto& route : net_.routes) {
      if (route.method != r.method || !r.path.starts_with(route.prefix)) continue;
      try {
        if (!route.async_handler) return respond(route.handler(r), keep_alive);
        route.async_handler(r, [self = shared_from_this(), keep_alive, answered = false](HttpResponse resp) mutable {
          if (std::exchange(answered, true)) return;
          self->respond(std::move(resp), keep_alive);
        });
        return;
      } catch (const std::exception& e) {
        return respond(error_response(500, std::string("handler failed: ") + e.what()), keep_alive);
      }
    }
    if (r.method == "GET" || r.method == "HEAD") {
      if (auto file = serve_static(net_.static_dir, r.path)) return respond(std::move(*file), keep_alive);
    }
    respond(error_response(404, "no route for " + r.method + " " + r.path), keep_alive);
  }

  static HttpRequest to_request(const http::request<http::string_body>& req) {
    HttpRequest r;
    std::string_view target = req.target();
    auto q = target.find('?');
    r.method = std::string(req.method_string());
    r.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) r.query = std::string(target.substr(q + 1));
    r.body = req.body();
    r.content_type = std::string(req[http::field::content_type]);
    r.cookie = std::string(req[http::field::cookie]);
    r.host = std::string(req[http::field::host]);
    r.authorization = std::string(req[http::field::authorization]);
    return r;
  }

  void respond(HttpResponse r, bool keep_alive) {
    response_.emplace();
    response_->version(11);
    response_->result(static_cast<http::status>(r.status));
    response_->set(http::field::server, "cohort");
    response_->set(http::field::content_type, r.content_type);
    for (auto& [name, value] : r.headers) response_->insert(name, value);
    bool head = parser_ && parser_->is_header_done() && parser_->get().method() == http::verb::head;
    if (!head) response_->body() = std::move(r.body);
    response_->keep_alive(keep_alive && !net_.stopping.load(std::memory_order_relaxed));
    response_->prepare_payload();
    if (head) response_->content_length(r.body.size());
    http::async_write(stream_, *response_, [self = shared_from_this()](error_code ec, std::size_t) {
      bool again = !ec && self->response_->keep_alive();
      self->response_.reset();
      if (again) self->do_read();
      else self->close();
    });
  }

  void upgrade(const http::request<http::string_body>& req) {
    std::string_view target = req.target();
    auto q = target.find('?');
    std::string_view path = target.substr(0, q);
    auto found = net_.upgrades.find(std::string(path));
    if (found == net_.upgrades.end()) return respond(error_response(404, "no WebSocket at this path"), false);
    if (req[http::field::sec_websocket_version] != "13" || req[http::field::sec_websocket_key].empty())
      return respond(error_response(400, "bad WebSocket handshake: version 13 and a key are required"), false);
    error_code ec;
    auto remote = stream_.socket().remote_endpoint(ec);
    UpgradeRequest u{path, q == std::string_view::npos ? std::string_view{} : target.substr(q + 1),
                     req[http::field::sec_websocket_protocol],
                     ec ? std::string{} : remote.address().to_string() + ":" + std::to_string(remote.port())};
    UpgradeDecision decision = found->second(u);
    if (decision.status != 101 || !decision.handler)
      return respond(HttpResponse{decision.status ? decision.status : 403, "application/json",
                                  std::move(decision.body), {}},
                     false);
    handshake_ = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Accept: " + websocket_accept_key(req[http::field::sec_websocket_key]) + "\r\n";
    if (!decision.protocol.empty()) handshake_ += "Sec-WebSocket-Protocol: " + decision.protocol + "\r\n";
    std::string offers;  // the header may come on several lines: one comma-separated list
    for (const auto& field : boost::make_iterator_range(req.equal_range(http::field::sec_websocket_extensions)))
      offers.append(offers.empty() ? "" : ", ").append(field.value());
    std::string extensions = negotiate_permessage_deflate(offers);
    deflate_ = !extensions.empty();
    if (deflate_) handshake_ += "Sec-WebSocket-Extensions: " + extensions + "\r\n";
    handshake_ += "\r\n";
    handler_ = std::move(decision.handler);
    stream_.expires_never();
    asio::async_write(stream_.socket(), asio::buffer(handshake_),
                      [self = shared_from_this()](error_code ec, std::size_t) { self->on_upgraded(ec); });
  }

  void on_upgraded(error_code ec) {
    if (ec) return close();
    // Bytes the client sent right behind its request belong to the WebSocket.
    auto data = buffer_.data();
    std::string leftover(static_cast<const char*>(data.data()), data.size());
    handed_off_ = true;
    auto connection = std::make_shared<WsConnection>(reactor_, net_, stream_.release_socket());
    connection->start(std::move(handler_), std::move(leftover), deflate_);
  }

  void close() {
    error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    stream_.socket().close(ignored);
  }

  Reactor& reactor_;
  NetContext& net_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  std::string handshake_;
  std::unique_ptr<WsHandler> handler_;
  bool handed_off_ = false;
  bool deflate_ = false;  // permessage-deflate negotiated at the upgrade
};

}  // namespace

void start_http_session(Reactor& reactor, NetContext& net, asio::ip::tcp::socket socket) {
  std::make_shared<HttpSession>(reactor, net, std::move(socket))->start();
}

}  // namespace cohort::net
