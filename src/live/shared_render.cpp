// shared_render.cpp — SharedRenders: see shared_render.hpp.
#include "live/shared_render.hpp"

namespace cohort::live {

SharedRenders& SharedRenders::here() {
  thread_local SharedRenders renders;
  return renders;
}

const SharedDiff* SharedRenders::find(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

void SharedRenders::put(std::string key, SharedDiff diff) {
  if (entries_.insert_or_assign(key, std::move(diff)).second) order_.push_back(std::move(key));
  while (order_.size() > kCapacity) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
}

}  // namespace cohort::live
