// tls_test.cpp — the server's TLS context (src/net/tls.cpp): what it accepts and how it refuses.
#include "net/tls.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace fs = std::filesystem;
using cohort::net::make_tls_context;

namespace {

class TlsContextTest : public ::testing::Test {
 protected:
  TlsContextTest() {
    dir_ = fs::temp_directory_path() / ("cohort_tls_test_" + std::to_string(getpid()));
    fs::create_directories(dir_);
    make_pair("a");
    make_pair("b");
  }
  ~TlsContextTest() override { fs::remove_all(dir_); }

  // A throwaway self-signed certificate <name>.crt with its key <name>.key (openssl CLI).
  void make_pair(const std::string& name) {
    std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 "
                      "-keyout " + path(name + ".key") + " -out " + path(name + ".crt") + " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  std::string path(const std::string& file) const { return (dir_ / file).string(); }

  fs::path dir_;
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
