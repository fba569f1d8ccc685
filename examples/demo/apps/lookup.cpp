// lookup.cpp — the slow directory page: see lookup.hpp.
#include "apps/lookup.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>

#include "apps/view_support.hpp"
#include "cohort/pubsub.hpp"

namespace cohort::apps {

namespace {

using namespace std::chrono_literals;

const std::map<std::string, std::string, std::less<>> kDirectory = {
    {"ada", "4120"}, {"grace", "4121"}, {"linus", "4122"}, {"margaret", "4123"}};

constexpr std::string_view kTopic = "lookup";

// Lookups that returned early because their result was no longer wanted (this node's pages').
std::atomic<std::int64_t> g_abandoned{0};

// The directory's wait: true when it ran its course, false when stop came first (then every
// /lookup page hears the new count: PubSub's broadcast may be called from any thread).
bool directory_wait(std::stop_token stop, std::chrono::milliseconds time, PubSub& pubsub) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  (void)cv.wait_for(lock, stop, time, [] { return false; });  // returns on stop or on time
  if (!stop.stop_requested()) return true;
  pubsub.broadcast(kTopic, "abandoned", Json(g_abandoned.fetch_add(1, std::memory_order_relaxed) + 1));
  return false;
}

// How the directory files a name: trimmed, lower case, at most 40 bytes (cut between characters).
std::string directory_name(std::string_view typed) {
  std::string name = input::trimmed(typed);
  std::size_t keep = std::min<std::size_t>(name.size(), 40);
  while (keep < name.size() && (static_cast<unsigned char>(name[keep]) & 0xC0) == 0x80) --keep;
  name.resize(keep);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// A worker thread's task: the extension of name, or a failure naming why.
live::AsyncTask lookup_task(std::string name, std::chrono::milliseconds time, PubSub& pubsub) {
  return [name = std::move(name), time, &pubsub](std::stop_token stop) -> Json {
    if (!directory_wait(stop, time, pubsub)) return nullptr;  // dropped anyway
    auto it = kDirectory.find(name);
    if (it == kDirectory.end()) throw std::runtime_error("no one called " + name + " in the directory");
    return JsonObject{{"name", name}, {"extension", it->second}};
  };
}

class LookupView final : public live::View {
 public:
  explicit LookupView(std::chrono::milliseconds time) : time_(time) {}

  void mount(const live::Params&, const live::Session&, live::Socket& s) override {
    assign_me(s);
    s.assign("answer", nullptr);
    s.assign("census", "");
    s.assign("abandoned", Json(g_abandoned.load(std::memory_order_relaxed)));
    s.subscribe(kTopic);
    s.assign_async("directory", [time = time_, &pubsub = s.pubsub()](std::stop_token stop) -> Json {
      if (!directory_wait(stop, time, pubsub)) return nullptr;
      return JsonObject{{"people", static_cast<std::int64_t>(kDirectory.size())}};
    });
  }

  void handle_event(std::string_view event, const Json& value, live::Socket& s) override {
    if (event == "lookup") {
      const Json& form = input::object(value, "lookup");
      auto time = input::text(form, "slow") == "on" ? std::chrono::milliseconds(60s) : time_;
      s.assign_async("answer", lookup_task(directory_name(input::text(form, "name")), time, s.pubsub()));
    }
    if (event == "cancel") s.cancel_async("answer");
    if (event == "census") {
      s.assign("census", "counting…");
      s.start_async("census", [time = time_, &pubsub = s.pubsub()](std::stop_token stop) -> Json {
        if (!directory_wait(stop, time, pubsub)) return nullptr;
        return static_cast<std::int64_t>(kDirectory.size());
      });
    }
  }

  void handle_info(const live::Info& info, live::Socket& s) override {
    // Counts from two worker threads may arrive in either order: the larger is the newer.
    if (info.kind == live::Info::Kind::broadcast && info.event == "abandoned" && info.payload.is_int64() &&
        info.payload.get_int64() > s.get("abandoned").to_number<std::int64_t>())
      s.assign("abandoned", info.payload);
  }

  void handle_async(std::string_view name, const live::AsyncResult& result, live::Socket& s) override {
    if (name != "census") return;
    s.assign("census", result.ok ? std::to_string(result.value.to_number<std::int64_t>()) + " people"
                                 : "the census failed: " + result.reason);
  }

 private:
  std::chrono::milliseconds time_;
};

}  // namespace

void install_lookup(live::Live& live, std::chrono::milliseconds lookup_time) {
  live.view("/lookup", "lookup", [lookup_time] { return std::make_unique<LookupView>(lookup_time); }, "Directory");
}

}  // namespace cohort::apps
