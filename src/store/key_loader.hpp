// key_loader.hpp — reads cold store keys from storage on a thread of its own, off the reactors.
//
// Owns: one worker thread and the queue of keys waiting to be read. Storage::load() blocks (a
// SQLite read, a PostgreSQL round trip); a reactor must never wait for it, so LocalStores hands
// each cold key here and completes the calls waiting for it when the result is posted back to
// the key's owner reactor. It must never call back into the stores on its own thread: `done`
// runs on the worker and only posts.
// Lock story: mutex_ guards queue_ and stopping_; load() pushes under it (any thread), the worker
// pops under it and reads storage without it. Bounded by its callers: LocalStores queues a key
// at most once at a time, and no more keys than it may hold (store_max_keys).
// Shutdown: stop() (or the destructor) drops what is still queued — its `done` never runs — and
// joins the worker after the read in progress; the Storage must outlive that.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "cohort/storage.hpp"

namespace cohort::store {

class KeyLoader {
 public:
  // What one read gives: the key as stored, or why it could not be read.
  struct Result {
    LoadedKey key;
    std::optional<std::string> error;
  };
  using Done = std::function<void(Result)>;

  explicit KeyLoader(Storage& storage);
  ~KeyLoader();
  KeyLoader(const KeyLoader&) = delete;
  KeyLoader& operator=(const KeyLoader&) = delete;

  // Any thread: reads key on the worker, then calls done there (it must only post).
  void load(std::string key, Done done);
  // Any thread but the worker: drops the queue, waits for the read in progress, ends the worker.
  void stop();

 private:
  struct Job {
    std::string key;
    Done done;
  };
  void run();

  Storage& storage_;
  std::mutex mutex_;
  std::condition_variable work_cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread worker_;  // last: started once everything above is built
};

}  // namespace cohort::store
