// data_dir_lock.hpp — the exclusive lock on a data directory: one process at a time may own
// the SQLite store in it.
//
// The lock is flock(LOCK_EX) on <data_dir>/cohort.lock, held as long as the DataDirLock lives
// and dropped by the kernel when its process dies (kill -9 included), so a stale lock never
// outlives its owner. The holder writes its pid into the file, for the message the next
// process prints. Who takes it: `cohort serve` with SQLite storage (Node::start, before the
// store is opened, for the node's whole life) and `cohort restore` (for the replacement).
// `cohort backup` does not: it reads a live store next to its node.
// flock locks belong to an open file description, so a second acquire in the same process
// fails too (two Nodes in one process on one data directory are refused the same way).
// Advisory: it guards against Cohort processes, not against other programs writing the files;
// on network file systems without flock it may not guard at all.
// It must never block: a held lock is an error to report, not something to wait for.
#pragma once

#include <optional>
#include <string>

namespace cohort::storage {

class DataDirLock {
 public:
  // The lock file's name inside a data directory.
  static constexpr const char* kFileName = "cohort.lock";

  // Takes the lock on data_dir (which must exist), creating the lock file if needed. nullopt and
  // error set when another holder has it (the message names the directory, the file and the
  // holder's pid when known) or the file cannot be opened.
  static std::optional<DataDirLock> acquire(const std::string& data_dir, std::string& error);

  DataDirLock(DataDirLock&& other) noexcept;
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock();  // releases the lock (the file stays: removing it would race a new holder)

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace cohort::storage
