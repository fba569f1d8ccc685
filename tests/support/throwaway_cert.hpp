// throwaway_cert.hpp — a self-signed certificate and its key for tests that need TLS, made by
// the openssl CLI (EC P-256, valid one day, for 127.0.0.1: CN and subjectAltName), so a client
// can verify the server against the certificate itself. Test code only.
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "temp_dir.hpp"

namespace cohort::test_support {

struct CertFiles {
  std::string cert;  // PEM certificate: <name>.crt
  std::string key;   // PEM private key: <name>.key
};

// Writes <name>.crt and <name>.key into dir; throws, naming the command, when openssl fails.
inline CertFiles make_throwaway_cert(const TempDir& dir, const std::string& name) {
  CertFiles f{dir.file(name + ".crt"), dir.file(name + ".key")};
  std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout " + f.key + " -out " + f.cert + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) throw std::runtime_error("cannot make a test certificate: " + cmd);
  return f;
}

}  // namespace cohort::test_support
