// view_async.cpp — a view's slow work (Socket::assign_async / start_async / cancel_async) on the
// live layer's AsyncPool, and how its end comes back to the view.
//
// Owns: the rule that a task's result reaches its view only on the view's own reactor, and only
// if it is still wanted: the view is alive and not ended, and no newer task of the same name
// (nor cancel_async) came since. Each task carries a generation; a result whose generation is
// not the latest of its name is dropped. A task is told to stop (std::stop_token) whenever its
// result stops being wanted, and leaves the pool's queue then if it had not begun. It must never run a task on the reactor, nor call the view's
// handle_async from inside the call that started or cancelled a task (that is delivered after).
#include <boost/json/serialize.hpp>

#include "live/async_pool.hpp"
#include "live/view_instance.hpp"
#include "net/log_clip.hpp"
#include "net/reactor.hpp"

namespace cohort::live {

namespace {

AsyncResult failed(std::string reason) { return AsyncResult{false, nullptr, std::move(reason)}; }

// Runs the task on a worker thread: what it returned, or what it threw.
AsyncResult run_task(const AsyncTask& task, std::stop_token stop) {
  try {
    return AsyncResult{true, task(std::move(stop)), {}};
  } catch (const std::exception& e) {
    return failed(net::log_clip(e.what()));
  } catch (...) {
    return failed("the task failed");
  }
}

// What the assign of an assign_async holds for a result.
Json assign_value(const AsyncResult& result) {
  if (result.ok) return JsonObject{{"ok", true}, {"result", result.value}};
  return JsonObject{{"failed", result.reason}};
}

}  // namespace

void ViewInstance::assign_async(std::string key, AsyncTask task) {
  assign(key, JsonObject{{"loading", true}});
  run_async(std::move(key), std::move(task), true);
}

void ViewInstance::start_async(std::string name, AsyncTask task) { run_async(std::move(name), std::move(task), false); }

bool ViewInstance::cancel_async(std::string_view name) {
  auto it = async_.find(name);
  if (it == async_.end()) return false;
  abandon(it->second);
  bool assigns = it->second.assigns;
  std::string key = it->first;
  async_.erase(it);
  services_.registry.stats.async_cancelled.fetch_add(1, std::memory_order_relaxed);
  deliver_async(key, assigns, failed("cancelled"));
  return true;
}

void ViewInstance::run_async(std::string name, AsyncTask task, bool assigns) {
  if (!channel_ || ended_) return;  // the GET render: the loading state is what it shows
  if (auto old = async_.find(name); old != async_.end()) abandon(old->second);
  AsyncRun& run = async_[name];
  run = AsyncRun{++async_generation_, std::stop_source{}, assigns};
  net::Reactor* reactor = net::Reactor::current();
  auto job = [task = std::move(task), stop = run.stop.get_token(), reactor, self = weak_from_this(), name,
              generation = run.generation]() mutable {
    if (stop.stop_requested()) return;  // no longer wanted before it began
    AsyncResult result = run_task(task, stop);
    reactor->post([self = std::move(self), name = std::move(name), generation, result = std::move(result)]() mutable {
      if (auto view = self.lock()) view->finish_async(name, generation, std::move(result));
    });
  };
  if (services_.async && reactor && (run.ticket = services_.async->submit(std::move(job)))) return;
  async_.erase(name);
  services_.registry.stats.async_failed.fetch_add(1, std::memory_order_relaxed);
  deliver_async(name, assigns, failed(services_.async && reactor ? "overloaded" : "unavailable"));
}

void ViewInstance::finish_async(const std::string& name, std::uint64_t generation, AsyncResult result) {
  auto it = async_.find(name);
  if (ended_ || it == async_.end() || it->second.generation != generation) return;  // no longer wanted
  bool assigns = it->second.assigns;
  async_.erase(it);
  if (!result.ok) services_.registry.stats.async_failed.fetch_add(1, std::memory_order_relaxed);
  guarded([&] {
    if (assigns) assign(name, assign_value(result));
    else view_->handle_async(name, result, *this);
  });
}

void ViewInstance::deliver_async(const std::string& name, bool assigns, AsyncResult result) {
  if (assigns) {
    assign(name, assign_value(result));
    return;
  }
  if (!channel_ || ended_) return;
  channel_->after(std::chrono::milliseconds(0), [self = weak_from_this(), name, result = std::move(result)] {
    auto view = self.lock();
    if (!view || view->ended_) return;
    view->guarded([&] { view->view_->handle_async(name, result, *view); });
  });
}

void ViewInstance::stop_async() {
  for (auto& [name, run] : async_) abandon(run);
  async_.clear();
}

void ViewInstance::abandon(AsyncRun& run) {
  run.stop.request_stop();
  if (run.ticket && services_.async) services_.async->withdraw(run.ticket);
}

}  // namespace cohort::live
