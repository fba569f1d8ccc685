// secret_file.hpp — files that hold credentials: the node's secret, sign-in links, the grant
// epoch.
//
// Owns: reading and creating <data_dir>/secret (created atomically with mode 0600 by
// open(O_CREAT|O_EXCL), 32 random bytes as 64 hex digits; an existing file readable or
// writable by group or others, or shorter than kMinSecretBytes, is refused with a message
// saying how to fix it), the check of a --secret value's length, and writing a private file
// (mode 0600 from its creation, then renamed over the old one, so no reader ever sees a
// partial or world-readable version). Must never print or return a secret inside an error.
// Pure functions of the file system; any thread.
#pragma once

#include <optional>
#include <string>

namespace cohort::auth {

struct SecretLoad {
  std::string secret;  // set when error is empty
  std::string error;   // what is wrong and how to fix it
};

// The secret a node signs with: configured (checked for length) or <data_dir>/secret, which is
// created when absent and create is true (the data directory must exist).
SecretLoad load_secret(const std::string& configured, const std::string& data_dir, bool create);

// Writes content to path with mode 0600 (a temporary file in the same directory, then
// rename(2)). Returns an error message, or nullopt.
std::optional<std::string> write_private_file(const std::string& path, const std::string& content);

// The first line of path, refused like the secret when group/other can access it. Sets error
// (and returns nullopt) when the file is missing, unreadable or too open.
std::optional<std::string> read_private_file(const std::string& path, std::string& error);

}  // namespace cohort::auth
