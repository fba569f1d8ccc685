// key_loader.cpp — cold store keys read off the reactors: see key_loader.hpp.
#include "store/key_loader.hpp"

namespace cohort::store {

KeyLoader::KeyLoader(Storage& storage) : storage_(storage), worker_([this] { run(); }) {}

KeyLoader::~KeyLoader() { stop(); }

void KeyLoader::load(std::string key, Done done) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    queue_.push_back({std::move(key), std::move(done)});
  }
  work_cv_.notify_one();
}

void KeyLoader::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  work_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void KeyLoader::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    Result result;
    result.error = storage_.load(job.key, result.key);
    job.done(std::move(result));
  }
}

}  // namespace cohort::store
