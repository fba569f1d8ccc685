// data_dir_lock.cpp — DataDirLock: flock on <data_dir>/cohort.lock (see data_dir_lock.hpp).
#include "storage/data_dir_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace cohort::storage {
namespace {

// The pid the holder wrote, or "" when the file holds none (a holder between flock and write).
std::string holder_pid(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string pid(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid.find_first_not_of("0123456789") == std::string::npos ? pid : std::string();
}

void write_pid(int fd) {
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) {
    [[maybe_unused]] ssize_t n = ::pwrite(fd, pid.data(), pid.size(), 0);  // only for messages
  }
}

}  // namespace

std::optional<DataDirLock> DataDirLock::acquire(const std::string& data_dir, std::string& error) {
  const std::string path = (std::filesystem::path(data_dir) / kFileName).string();
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = "cannot open the lock file " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int why = errno;
    if (why == EWOULDBLOCK) {
      const std::string pid = holder_pid(fd);
      error = "data directory " + data_dir + " is in use: " +
              (pid.empty() ? std::string("another process") : "process " + pid) + " holds " + path +
              " (one SQLite store, one node: stop that one first)";
    } else {
      error = "cannot lock " + path + ": " + std::strerror(why);
    }
    ::close(fd);
    return std::nullopt;
  }
  write_pid(fd);
  return DataDirLock(fd);
}

DataDirLock::DataDirLock(DataDirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the only descriptor of the open file releases the flock
}

}  // namespace cohort::storage
