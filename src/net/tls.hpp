// tls.hpp — native TLS: the node's OpenSSL server context and the stream a TLS connection uses.
//
// Owns: loading the certificate chain and key (Config::tls_cert, tls_key) into one
// asio::ssl::context shared by every connection, with the protocol floor and ciphers: TLS 1.2
// and 1.3 only; for 1.2 only ECDHE key exchange with AEAD ciphers (Mozilla's "intermediate"
// list); no compression, no client-initiated renegotiation; OpenSSL's buffers released while a
// connection is idle (SSL_MODE_RELEASE_BUFFERS), so an idle TLS socket stays cheap.
// A TLS connection is an asio::ssl::stream over the bare TCP socket (the HTTP session keeps its
// deadlines on a timer of its own), handed as it is to the WebSocket after an upgrade. Only net/*.cpp files include this header (Asio SSL is compiled
// once, in asio_impl.cpp); other headers forward-declare TlsSocket.
// The context is read-only after it is made: any thread.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>

namespace cohort::net {

using TlsStream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;

// What a WebSocket connection holds when it runs over TLS.
struct TlsSocket {
  explicit TlsSocket(TlsStream&& s) : stream(std::move(s)) {}
  TlsStream stream;
};

// The server context for cert_file (PEM chain) and key_file (PEM key), or null with error set to
// a message naming the file and OpenSSL's reason.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& cert_file, const std::string& key_file,
                                                            std::string& error);

}  // namespace cohort::net
