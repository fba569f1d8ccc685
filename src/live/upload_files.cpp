// upload_files.cpp — temporary files of live uploads and the node's budget: see upload_files.hpp.
#include "live/upload_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <openssl/rand.h>

namespace cohort::live {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPrefix = "upload-";

std::optional<std::string> random_name() {
  unsigned char raw[12];
  if (RAND_bytes(raw, sizeof raw) != 1) return std::nullopt;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kPrefix);
  for (unsigned char b : raw) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

void release(UploadPlace& place, EntryState& entry) {
  if (entry.reserved > 0) place.temp_bytes.fetch_sub(entry.reserved, std::memory_order_relaxed);
  entry.reserved = 0;
}

}  // namespace

std::optional<std::string> prepare_upload_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return "cannot create the upload directory " + dir + ": " + ec.message();
  ::chmod(dir.c_str(), 0700);
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().filename().string().starts_with(kPrefix)) fs::remove(e.path(), ec);
  }
  if (ec) return "cannot read the upload directory " + dir + ": " + ec.message();
  return std::nullopt;
}

std::optional<std::string> open_entry_file(UploadPlace& place, EntryState& entry) {
  if (place.dir.empty()) return std::string("io_error");  // not installed: no directory to write in
  const std::int64_t want = std::max<std::int64_t>(0, entry.entry.client_size);
  std::int64_t now = place.temp_bytes.load(std::memory_order_relaxed);
  do {
    if (now + want > place.max_temp_bytes) return std::string("temp_full");
  } while (!place.temp_bytes.compare_exchange_weak(now, now + want, std::memory_order_relaxed));
  entry.reserved = want;
  for (int attempt = 0; attempt < 4; ++attempt) {
    auto name = random_name();
    if (!name) break;
    std::string path = place.dir + "/" + *name;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) {
      entry.fd = fd;
      entry.path = std::move(path);
      entry.received = 0;
      return std::nullopt;
    }
    if (errno != EEXIST) break;
  }
  release(place, entry);
  return std::string("io_error");
}

bool write_entry_file(EntryState& entry, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(entry.fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
    entry.received += n;
  }
  return true;
}

void close_entry_file(EntryState& entry) {
  if (entry.fd >= 0) ::close(entry.fd);
  entry.fd = -1;
}

void discard_entry_file(UploadPlace& place, EntryState& entry) {
  close_entry_file(entry);
  if (!entry.path.empty()) ::unlink(entry.path.c_str());
  entry.path.clear();
  release(place, entry);
}

}  // namespace cohort::live
