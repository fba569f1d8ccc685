// writer_gate.hpp — holds a storage writer inside the transaction of one key's op until the
// test releases it, so a test can queue work behind it (or copy the file under it) without
// racing the writer. Every wait has a deadline and throws when it passes.
#pragma once

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>

#include "storage/sqlite_storage.hpp"

namespace cohort::storage {

class WriterGate {
 public:
  static constexpr auto kDeadline = std::chrono::seconds(20);

  // The commit hook that stops the writer at the first op on `key`.
  Storage::CommitHook hook(std::string key) {
    return [this, key](sqlite3*, const CommitRecord& record) {
      if (record.key != key) return;
      entered_.set_value();
      if (release_.get_future().wait_for(kDeadline) != std::future_status::ready)
        throw std::runtime_error("gate never released");
    };
  }
  void wait_entered() {
    if (entered_.get_future().wait_for(kDeadline) != std::future_status::ready)
      throw std::runtime_error("writer never reached the gate");
  }
  void release() { release_.set_value(); }

 private:
  std::promise<void> entered_;
  std::promise<void> release_;
};

}  // namespace cohort::storage
