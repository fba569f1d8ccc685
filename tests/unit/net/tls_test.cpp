// tls_test.cpp — the server's TLS context (src/net/tls.cpp): what it accepts and how it refuses.
#include "net/tls.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "throwaway_cert.hpp"

using cohort::net::make_tls_context;

namespace {

// Two throwaway self-signed pairs, "a" and "b", in a directory of the test's own.
class TlsContextTest : public ::testing::Test {
 protected:
  TlsContextTest() : dir_("cohort-tls-test") {
    cohort::test_support::make_throwaway_cert(dir_, "a");
    cohort::test_support::make_throwaway_cert(dir_, "b");
  }
  std::string path(const std::string& file) const { return dir_.file(file); }

  cohort::test_support::TempDir dir_;
};

}  // namespace

TEST_F(TlsContextTest, LoadsAPairWithTls12AsTheFloor) {
  std::string error;
  auto ctx = make_tls_context(path("a.crt"), path("a.key"), error);
  ASSERT_TRUE(ctx) << error;
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx->native_handle()), TLS1_2_VERSION);
  EXPECT_TRUE(SSL_CTX_get_options(ctx->native_handle()) & SSL_OP_NO_RENEGOTIATION);
  EXPECT_TRUE(SSL_CTX_get_options(ctx->native_handle()) & SSL_OP_NO_COMPRESSION);
}

TEST_F(TlsContextTest, RefusalsNameTheFileAndTheReason) {
  std::string error;
  EXPECT_FALSE(make_tls_context(path("missing.crt"), path("a.key"), error));
  EXPECT_NE(error.find("tls_cert " + path("missing.crt")), std::string::npos) << error;
  EXPECT_FALSE(make_tls_context(path("a.crt"), path("missing.key"), error));
  EXPECT_NE(error.find("tls_key " + path("missing.key")), std::string::npos) << error;
  EXPECT_FALSE(make_tls_context(path("a.crt"), path("b.key"), error));  // another certificate's key
  EXPECT_NE(error.find("tls_key " + path("b.key")), std::string::npos) << error;
  EXPECT_NE(error.find("mismatch"), std::string::npos) << error;
  EXPECT_FALSE(make_tls_context(path("a.key"), path("a.key"), error));  // a key is not a certificate
  EXPECT_NE(error.find("tls_cert"), std::string::npos) << error;
}
