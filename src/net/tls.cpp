// tls.cpp — the server's TLS context: see tls.hpp.
#include "net/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace cohort::net {

namespace {

// TLS 1.2 suites: forward secrecy and AEAD only (TLS 1.3 suites are OpenSSL's, all modern).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

std::string openssl_reason(const boost::system::error_code& ec) {
  unsigned long e = ERR_get_error();
  if (e == 0) return ec.message();
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

}  // namespace

std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& cert_file, const std::string& key_file,
                                                            std::string& error) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    error = "TLS: OpenSSL refuses the cipher list";
    return nullptr;
  }
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) {
    error = "tls_cert " + cert_file + ": " + openssl_reason(ec);
    return nullptr;
  }
  ctx->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) {
    error = "tls_key " + key_file + ": " + openssl_reason(ec);
    return nullptr;
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    error = "tls_key " + key_file + " does not belong to the certificate in " + cert_file;
    ERR_clear_error();
    return nullptr;
  }
  return ctx;
}

}  // namespace cohort::net
