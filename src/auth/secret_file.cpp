// secret_file.cpp — the node's secret and other private files: see secret_file.hpp.
#include "auth/secret_file.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cohort/token.hpp"

namespace cohort::auth {

namespace {

constexpr std::size_t kMaxFileBytes = 4096;  // a secret or a link; anything longer is not ours

std::string hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 15]);
  }
  return out;
}

std::string mode_text(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Closes the descriptor on every path out.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

enum class ReadState { ok, missing, failed };

// The first line of path (trailing blanks trimmed), or why not.
ReadState read_first_line(const std::string& path, std::string& line, std::string& error) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (f.fd < 0) {
    if (errno == ENOENT) return ReadState::missing;
    error = "cannot open " + path + ": " + std::strerror(errno);
    return ReadState::failed;
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    error = path + " is not a regular file";
    return ReadState::failed;
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    error = path + " has mode " + mode_text(st.st_mode) +
            ": group or others may read it. Run `chmod 600 " + path +
            "`, and if others did read it, rotate it (docs/security.md)";
    return ReadState::failed;
  }
  char buf[kMaxFileBytes];
  ssize_t n = ::read(f.fd, buf, sizeof buf);
  if (n < 0) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return ReadState::failed;
  }
  line.assign(buf, static_cast<std::size_t>(n));
  line = line.substr(0, line.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
  return ReadState::ok;
}

bool write_all(int fd, const std::string& content) {
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return ::fsync(fd) == 0;
}

// Creates path with a new random secret. nullopt with error empty: another process was first.
std::optional<std::string> create_secret(const std::string& path, std::string& error) {
  Fd f{::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)};
  if (f.fd < 0) {
    if (errno != EEXIST) error = "cannot create " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    error = "no random bytes for a new secret (OpenSSL RAND_bytes failed)";
    ::unlink(path.c_str());
    return std::nullopt;
  }
  std::string secret = hex(raw, sizeof raw);
  if (::fchmod(f.fd, 0600) != 0 || !write_all(f.fd, secret + "\n")) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    ::unlink(path.c_str());
    return std::nullopt;
  }
  return secret;
}

std::string too_short(std::string_view what, std::size_t size) {
  return std::string(what) + " is " + std::to_string(size) + " bytes; at least " + std::to_string(kMinSecretBytes) +
         " are needed (e.g. `openssl rand -hex 32`)";
}

}  // namespace

std::optional<std::string> read_private_file(const std::string& path, std::string& error) {
  std::string line;
  switch (read_first_line(path, line, error)) {
    case ReadState::ok: return line;
    case ReadState::missing: error = path + " does not exist"; return std::nullopt;
    case ReadState::failed: return std::nullopt;
  }
  return std::nullopt;
}

SecretLoad load_secret(const std::string& configured, const std::string& data_dir, bool create) {
  if (!configured.empty()) {
    if (configured.size() < kMinSecretBytes) return {{}, too_short("--secret", configured.size())};
    return {configured, {}};
  }
  std::string path = (data_dir.empty() ? std::string(".") : data_dir) + "/secret";
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::string line, error;
    switch (read_first_line(path, line, error)) {
      case ReadState::ok:
        if (line.size() < kMinSecretBytes) return {{}, too_short(path, line.size())};
        return {line, {}};
      case ReadState::failed: return {{}, error};
      case ReadState::missing:
        if (!create) return {{}, path + " does not exist: start the node once (it creates it), or pass --secret / --data-dir"};
        if (auto secret = create_secret(path, error)) return {*secret, {}};
        if (!error.empty()) return {{}, error};
        break;  // created meanwhile by another process: read it
    }
  }
  return {{}, "cannot read or create " + path};
}

std::optional<std::string> write_private_file(const std::string& path, const std::string& content) {
  unsigned char raw[8];
  if (RAND_bytes(raw, sizeof raw) != 1) return "no random bytes for a temporary name";
  std::string tmp = path + ".tmp-" + hex(raw, sizeof raw);
  Fd f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)};
  if (f.fd < 0) return "cannot create " + tmp + ": " + std::strerror(errno);
  if (::fchmod(f.fd, 0600) != 0 || !write_all(f.fd, content)) {
    std::string err = "cannot write " + tmp + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return err;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = "cannot replace " + path + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return err;
  }
  return std::nullopt;
}

}  // namespace cohort::auth
