// store_harness.cpp — StoreHarness (cohort/testing.hpp): a node's stores, a step at a time.
//
// Every call runs on the harness's reactor as a node's code would (Stores are called from a
// reactor) and returns once its answer came and everything it caused was delivered. Messages
// on a key's topic are recorded by one subscriber from the key's first use here.
#include <boost/json/serialize.hpp>
#include <map>
#include <set>

#include "cohort/testing.hpp"
#include "testing/runtime.hpp"

namespace cohort::testing {

Actor user(std::string id, std::vector<std::string> roles, std::string name) {
  return Actor{std::move(id), std::move(roles), std::move(name)};
}

Actor anonymous() { return Actor{}; }

// The subscriber of every key's topic the harness has used.
struct StoreHarness::Impl final : Subscriber {
  explicit Impl(Runtime& r) : runtime(r) {}
  ~Impl() override {
    runtime.run([this] {
      for (const auto& topic : topics) runtime.pubsub.unsubscribe(topic, this);
    });
  }
  void on_broadcast(const Broadcast& message) override {
    messages[message.topic.substr(6)].push_back(StoreMessage{message.event, message.payload});
  }
  // On the reactor, before a call for key goes to the stores.
  void listen(const std::string& key) {
    std::string topic = "store:" + key;
    if (topics.insert(topic).second) runtime.pubsub.subscribe(topic, this);
  }

  Runtime& runtime;
  std::set<std::string> topics;
  std::map<std::string, std::vector<StoreMessage>> messages;  // by key
  std::vector<std::shared_ptr<std::optional<OpOutcome>>> submitted;
};

StoreHarness::StoreHarness() : StoreHarness(Options{}) {}
StoreHarness::StoreHarness(Options options)
    : StoreHarness(std::make_shared<Runtime>(options.sqlite, options.limits)) {}
StoreHarness::StoreHarness(std::shared_ptr<Runtime> runtime)
    : runtime_(std::move(runtime)), impl_(std::make_unique<Impl>(*runtime_)) {}
StoreHarness::~StoreHarness() = default;

StoreHarness& StoreHarness::define(StoreKind kind) {
  runtime_->define(std::move(kind));
  return *this;
}

std::size_t StoreHarness::submit(OpCall call) {
  if (!runtime_->stores->knows(call.key)) throw Failure("no store kind defined for key " + in_quotes(call.key));
  runtime_->use_stores();
  auto slot = std::make_shared<std::optional<OpOutcome>>();
  impl_->submitted.push_back(slot);
  runtime_->run([this, slot, call = std::move(call)]() mutable {
    impl_->listen(call.key);
    runtime_->stores->apply(std::move(call), [slot](OpOutcome o) { *slot = std::move(o); });
  });
  return impl_->submitted.size() - 1;
}

std::optional<OpOutcome> StoreHarness::outcome(std::size_t ticket) const {
  if (ticket >= impl_->submitted.size()) throw Failure("outcome() of a ticket submit() never gave");
  return *impl_->submitted[ticket];
}

OpOutcome StoreHarness::run(OpCall call) {
  std::string what = "the outcome of op " + in_quotes(call.name) + " on " + in_quotes(call.key);
  std::size_t ticket = submit(std::move(call));
  return runtime_->await(impl_->submitted[ticket], what);
}

OpOutcome StoreHarness::op(const std::string& key, const std::string& name, Json args, const Actor& actor) {
  return run(OpCall{key, name, std::move(args), actor, 0, std::nullopt, ""});
}

std::uint64_t StoreHarness::session() { return runtime_->stores->new_session(); }

OpOutcome StoreHarness::lock(const std::string& key, const std::string& path, const Actor& actor,
                             std::uint64_t session, std::optional<std::chrono::milliseconds> ttl) {
  JsonObject args{{"path", path}};
  if (ttl) args["ttl_ms"] = ttl->count();
  return run(OpCall{key, "lock", std::move(args), actor, session, std::nullopt, ""});
}

OpOutcome StoreHarness::renew(const std::string& key, const std::string& path, const Actor& actor,
                              std::uint64_t session, std::chrono::milliseconds ttl) {
  return run(OpCall{key, "renew", JsonObject{{"path", path}, {"ttl_ms", ttl.count()}}, actor, session, std::nullopt, ""});
}

OpOutcome StoreHarness::unlock(const std::string& key, const std::string& path, const Actor& actor,
                               std::uint64_t session) {
  return run(OpCall{key, "unlock", JsonObject{{"path", path}}, actor, session, std::nullopt, ""});
}

void StoreHarness::end_session(const std::string& key, std::uint64_t session) {
  runtime_->run([this, key, session] { runtime_->stores->end_session(key, session); });
}

StoreView StoreHarness::view(const std::string& key, std::optional<std::uint64_t> since) {
  if (!runtime_->stores->knows(key)) throw Failure("no store kind defined for key " + in_quotes(key));
  runtime_->use_stores();
  auto slot = std::make_shared<std::optional<StoreView>>();
  runtime_->run([this, slot, key, since] {
    impl_->listen(key);
    runtime_->stores->view(key, since, [slot](StoreView v) { *slot = std::move(v); });
  });
  StoreView v = runtime_->await(slot, "the view of " + in_quotes(key));
  // A key nobody follows and that does not exist is dropped again at once: nothing to wait for.
  return v;
}

Json StoreHarness::state(const std::string& key) {
  StoreView v = view(key);
  if (!v.ok || !v.state) throw Failure("the state of " + in_quotes(key) + " could not be read: " + json::serialize(v.error));
  return *v.state;
}

std::uint64_t StoreHarness::version(const std::string& key) { return view(key).version; }
JsonObject StoreHarness::locks(const std::string& key) { return view(key).locks; }

std::vector<StoreMessage> StoreHarness::take_messages(const std::string& key) {
  runtime_->settle();
  return std::exchange(impl_->messages[key], {});
}

std::vector<StoreMessage> StoreHarness::take_patches(const std::string& key) {
  std::vector<StoreMessage> patches;
  for (auto& m : take_messages(key))
    if (m.event == "patch") patches.push_back(std::move(m));
  return patches;
}

void StoreHarness::advance(std::chrono::milliseconds d) { runtime_->advance(d); }
void StoreHarness::restart() { runtime_->restart_stores(); }

}  // namespace cohort::testing
