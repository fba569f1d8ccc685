// store_channel_test.cpp — src/store/store_channel.* (topic "store:<kind>:<id>") over real
// LocalStores on real reactors with a real SQLite file, a real TokenSigner and a real
// LocalPubSub. The channel's socket is a fake (FakeContext: it records join answers and
// replies, and holds broadcasts back while a join is deferred, as the channel socket does).
// Covers: join with and without `since` (state, patches, future_version, invalid since); the
// refusals unknown_store, forbidden (can_join, before any key is read), not_found (can_create,
// nothing kept) and unauthorized (bad, expired, wrong-kind token); where the actor comes from
// (join param "token", then the connect param, then the authToken assign, else anonymous);
// "op" replies ({version}, errors with the version, server_only, invalid fields, an op_id sent
// again applied once); locks taken and refused, and ended ("unlock", "disconnected") when the
// channel ends; patches the joiner's view already holds kept from it.
#include "store/store_channel.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <filesystem>
#include <random>

#include "pubsub/local_pubsub.hpp"
#include "reactor_support.hpp"
#include "store/local_stores.hpp"
#include "strict_channel_context.hpp"

namespace cohort::store {
namespace {

using namespace std::chrono_literals;
using test_support::run_on;
using test_support::WaitQueue;

constexpr std::string_view kSecret = "store-channel-test-secret-of-32-bytes-or-more";

// "t": anyone may join; only an editor may create a key. Ops write who ran them.
// "priv": only a member may join (can_join), anyone may create.
void define_kinds(Stores& stores) {
  StoreKind t;
  t.name = "t";
  t.initial = JsonObject{{"n", 0}, {"by", ""}};
  t.can_create = [](const Actor& a, std::string_view) { return a.has_role("editor"); };
  t.ops["set"] = OpSpec{{}, [](const OpRequest& r) {
    return OpResult::change({JsonObject{{"op", "replace"}, {"path", "/n"}, {"value", r.args.at("n")}},
                             JsonObject{{"op", "replace"}, {"path", "/by"}, {"value", r.actor.id}}});
  }};
  t.ops["open_set"] = t.ops["set"];
  t.ops["open_set"].anonymous = true;
  t.ops["server_set"] = t.ops["set"];
  t.ops["server_set"].from_clients = false;
  stores.define(std::move(t));

  StoreKind priv;
  priv.name = "priv";
  priv.initial = JsonObject{{"n", 0}, {"by", ""}};
  priv.can_join = [](const Actor& a, std::string_view) { return a.has_role("member"); };
  priv.can_create = [](const Actor&, std::string_view) { return true; };
  stores.define(std::move(priv));
}

// The channel's view of its socket. Every call comes on the channel's reactor.
class FakeContext final : public test_support::StrictChannelContext, public std::enable_shared_from_this<FakeContext> {
 public:
  FakeContext(std::string topic, JsonObject assigns, PubSub& pubsub)
      : StrictChannelContext("the store channel"), topic_(std::move(topic)), assigns_(std::move(assigns)),
        pubsub_(pubsub) {}

  // What the store channel uses; every other call is a failure (StrictChannelContext).
  const std::string& topic() const override { return topic_; }
  const JsonObject& assigns() const override { return assigns_; }
  PubSub& pubsub() override { return pubsub_; }
  std::weak_ptr<ChannelContext> handle() override { return weak_from_this(); }
  void finish_join(JoinResult result) override {
    if (on_join) on_join(result);
    joins.push(std::move(result));
  }
  ReplyTo reply_later() override { return ReplyTo{std::to_string(++refs_)}; }
  void reply(const ReplyTo& to, Reply r) override { replies.push({to.ref_json, std::move(r)}); }

  std::function<void(const JoinResult&)> on_join;  // on the reactor, before the test sees it
  WaitQueue<JoinResult> joins;
  WaitQueue<std::pair<std::string, Reply>> replies;

 private:
  std::string topic_;
  JsonObject assigns_;
  PubSub& pubsub_;
  unsigned refs_ = 0;
};

struct Node {
  Node() : reactors(2) {
    dir = std::filesystem::temp_directory_path() / ("cohort-store-channel-" + std::to_string(std::random_device{}()));
    std::string error;
    sqlite = open_sqlite_storage(dir.string(), error);
    if (!sqlite) throw std::runtime_error(error);
    define_kinds(stores);
    stores.set_storage(sqlite.get());
    reactors.start();
  }
  ~Node() {
    reactors.stop();
    reactors.join();
    stores.stop_loading();
    sqlite->flush();
    std::filesystem::remove_all(dir);
  }
  // Every reactor has run what was posted to it before (a key's owner settles it after it
  // answers).
  void settle() {
    for (unsigned i = 0; i < reactors.size(); ++i) run_on(reactors.at(i), [] { return 0; });
  }
  std::string token(JsonObject claims, TokenKind kind = TokenKind::socket) const {
    return signer.sign(kind, std::move(claims), 1h);
  }
  std::filesystem::path dir;
  net::ReactorSet reactors;
  pubsub::LocalPubSub pubsub{reactors};
  std::unique_ptr<Storage> sqlite;
  LocalStores stores{reactors, pubsub, nullptr};
  TokenSigner signer{std::string(kSecret)};
  ChannelFactory factory = store_channel_factory(stores, signer);
};

// One client following one key: the channel, its fake socket, and what reached the client.
// Like the channel socket, it subscribes as the join begins, holds broadcasts back until the
// join is answered, and then passes on those Channel::deliver lets through (none after a
// refused join).
class Follower final : public Subscriber {
 public:
  Follower(Node& node, std::string key, JsonObject assigns = {}, unsigned reactor = 0)
      : node_(node), reactor_(node.reactors.at(reactor)), topic_("store:" + key) {
    channel_ = node.factory();
    context_ = std::make_shared<FakeContext>(topic_, std::move(assigns), node.pubsub);
    context_->on_join = [this](const JoinResult& r) {
      joining_ = false;
      if (!r.ok) return;
      joined_ = true;
      for (auto& m : held_) on_broadcast(m);
      held_.clear();
    };
  }
  ~Follower() override {
    run_on(reactor_, [&] {
      if (subscribed_) node_.pubsub.unsubscribe(topic_, this);
      if (joined_) channel_->terminate("closed", *context_);
      return 0;
    });
  }

  // Subscribes to the topic and holds its broadcasts back until the join is answered: what the
  // channel socket does as a join begins (join() does it first if the test has not).
  void hold() {
    run_on(reactor_, [&] {
      if (!subscribed_) node_.pubsub.subscribe(topic_, this);
      return subscribed_ = joining_ = true;
    });
  }
  // Sends the join and waits for its answer.
  JoinResult join(Json params = JsonObject{}) {
    hold();
    JoinResult first = run_on(reactor_, [&] {
      JoinResult r = channel_->join(params, *context_);
      if (!r.deferred) context_->on_join(r);
      return r;
    });
    return first.deferred ? context_->joins.next("the join answer of " + topic_) : first;
  }
  // Pushes "op" (or another event) and waits for its reply.
  Reply push(Json payload, std::string event = "op") {
    Reply first = run_on(reactor_, [&] {
      Payload p{&payload, {}};
      return channel_->handle_in(event, p, *context_);
    });
    if (first.kind() != Reply::Kind::none) return first;
    return context_->replies.next("the reply to " + event + " on " + topic_).second;
  }
  Reply op(std::string name, Json args = JsonObject{}, JsonObject extra = {}) {
    extra["name"] = name;
    extra["args"] = std::move(args);
    return push(std::move(extra));
  }
  // Leaves the channel (terminate "leave"): its locks end.
  void leave() {
    run_on(reactor_, [&] {
      channel_->terminate("leave", *context_);
      joined_ = false;
      return 0;
    });
  }
  void on_broadcast(const Broadcast& m) override {
    if (joining_) {
      held_.push_back(m);
      return held.push(1);
    }
    if (joined_ && channel_->deliver(m)) received.push(m);
  }
  Channel& channel() { return *channel_; }
  FakeContext& context() { return *context_; }
  net::Reactor& reactor() { return reactor_; }

  WaitQueue<Broadcast> received;  // what the socket would send the client
  WaitQueue<int> held;            // one per broadcast held back during the join

 private:
  Node& node_;
  net::Reactor& reactor_;
  std::string topic_;
  std::unique_ptr<Channel> channel_;
  std::shared_ptr<FakeContext> context_;
  bool subscribed_ = false, joining_ = false, joined_ = false;  // reactor only
  std::vector<Broadcast> held_;
};

JsonObject editor_claims(std::string id = "ed") { return {{"sub", std::move(id)}, {"roles", json::array{"editor"}}}; }

// The key's committed state as server code sees it.
Json state_of(Node& node, const std::string& key) {
  auto views = std::make_shared<WaitQueue<StoreView>>();
  run_on(node.reactors.at(1), [&] {
    node.stores.view(key, std::nullopt, [views](StoreView v) { views->push(std::move(v)); });
    return 0;
  });
  StoreView v = views->next("the view of " + key);
  return v.state ? *v.state : Json(nullptr);
}

const Json& at(const Reply& r, std::string_view field) { return r.response().as_object().at(field); }

// ---------------------------------------------------------------- join

TEST(StoreChannelJoin, AnUnknownKindOrAKeyWithoutIdIsUnknownStore) {
  Node node;
  for (std::string key : {"nope:1", "t:", "t"}) {
    SCOPED_TRACE(key);
    Follower f(node, key);
    JoinResult r = f.join();
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.response, (Json(JsonObject{{"reason", "unknown_store"}, {"key", key}})));
  }
}

TEST(StoreChannelJoin, AnEditorCreatesAKeyAtItsInitialStateAndOthersFindItOnceItExists) {
  Node node;
  Follower stranger(node, "t:new");
  JoinResult refused = stranger.join();
  EXPECT_FALSE(refused.ok);
  EXPECT_EQ(refused.response, (Json(JsonObject{{"reason", "not_found"}, {"key", "t:new"}})));
  node.settle();
  EXPECT_EQ(node.stores.counters().keys_loaded.load(), 0) << "nothing of a key that does not exist is kept";

  Follower editor(node, "t:new", {{"params", JsonObject{{"token", node.token(editor_claims())}}}});
  JoinResult created = editor.join();
  ASSERT_TRUE(created.ok) << created.response;
  EXPECT_EQ(created.response.at("version"), 0);
  EXPECT_EQ(created.response.at("state"), (Json(JsonObject{{"n", 0}, {"by", ""}})));
  EXPECT_EQ(created.response.at("locks"), Json(JsonObject{}));
  EXPECT_FALSE(created.response.as_object().contains("patches"));

  Reply set = editor.op("set", JsonObject{{"n", 5}});
  ASSERT_EQ(set.kind(), Reply::Kind::ok) << set.response();
  EXPECT_EQ(set.response(), (Json(JsonObject{{"version", 1}})));
  Follower later(node, "t:new");
  JoinResult found = later.join();
  ASSERT_TRUE(found.ok) << "a key that exists is followed by whoever can_join allows: " << found.response;
  EXPECT_EQ(found.response.at("version"), 1);
  EXPECT_EQ(found.response.at("state"), (Json(JsonObject{{"n", 5}, {"by", "ed"}})));
}

TEST(StoreChannelJoin, CanJoinRefusesBeforeAnyKeyIsRead) {
  Node node;
  Follower outsider(node, "priv:club", {{"params", JsonObject{{"token", node.token(editor_claims())}}}});
  JoinResult r = outsider.join();
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.response, (Json(JsonObject{{"reason", "forbidden"}, {"key", "priv:club"}})));
  EXPECT_EQ(node.stores.counters().key_loads.load(), 0u) << "the refused join read nothing";

  Follower member(node, "priv:club", {{"params", JsonObject{{"token", node.token({{"sub", "m"}, {"roles", json::array{"member"}}})}}}});
  JoinResult ok = member.join();
  EXPECT_TRUE(ok.ok) << ok.response;
  EXPECT_EQ(node.stores.counters().key_loads.load(), 1u);
}

TEST(StoreChannelJoin, SinceGivesThePatchesAfterItOrRefusesAFutureOrInvalidVersion) {
  Node node;
  JsonObject assigns{{"auth_token", node.token(editor_claims())}};
  Follower writer(node, "t:s", assigns);
  ASSERT_TRUE(writer.join().ok);
  for (int n = 1; n <= 3; ++n) ASSERT_EQ(writer.op("set", JsonObject{{"n", n * 10}}).kind(), Reply::Kind::ok);

  Follower catching_up(node, "t:s");
  JoinResult r = catching_up.join(JsonObject{{"since", 1}});
  ASSERT_TRUE(r.ok) << r.response;
  EXPECT_EQ(r.response.at("version"), 3);
  EXPECT_FALSE(r.response.as_object().contains("state")) << "patches instead of the state";
  const auto& patches = r.response.at("patches").as_array();
  ASSERT_EQ(patches.size(), 2u);
  EXPECT_EQ(patches[0].at("from"), 1);
  EXPECT_EQ(patches[0].at("to"), 2);
  EXPECT_EQ(patches[1].at("to"), 3);
  EXPECT_EQ(patches[1].at("ops").as_array()[0], (Json(JsonObject{{"op", "replace"}, {"path", "/n"}, {"value", 30}})));

  Follower current(node, "t:s");
  JoinResult none = current.join(JsonObject{{"since", 3}});
  ASSERT_TRUE(none.ok);
  EXPECT_EQ(none.response.at("patches"), Json(json::array{})) << "up to date: nothing to catch up";

  Follower ahead(node, "t:s");
  JoinResult future = ahead.join(JsonObject{{"since", 9}});
  EXPECT_FALSE(future.ok);
  EXPECT_EQ(future.response, (Json(JsonObject{{"reason", "future_version"}, {"since", 9}, {"version", 3}})));

  for (Json bad : {Json(-1), Json("2"), Json(true)}) {
    SCOPED_TRACE(json::serialize(bad));
    Follower f(node, "t:s");
    JoinResult invalid = f.join(JsonObject{{"since", bad}});
    EXPECT_FALSE(invalid.ok);
    EXPECT_EQ(invalid.response, (Json(JsonObject{{"reason", "invalid"}, {"field", "since"}})));
  }
  Follower null_since(node, "t:s");
  JoinResult full = null_since.join(JsonObject{{"since", nullptr}});
  ASSERT_TRUE(full.ok);
  EXPECT_EQ(full.response.at("state").at("n"), 30) << "since: null asks for the state";
}

// ---------------------------------------------------------------- who the actor is

TEST(StoreChannelActor, TheJoinTokenWinsOverTheConnectParamWhichWinsOverTheAuthToken) {
  Node node;
  const JsonObject all{{"params", JsonObject{{"token", node.token(editor_claims("bob"))}}},
                       {"auth_token", node.token(editor_claims("carol"))}};
  struct Case {
    const char* expected;
    JsonObject assigns;
    JsonObject join;
  };
  const std::vector<Case> cases{
      {"alice", all, {{"token", node.token(editor_claims("alice"))}}},
      {"bob", all, {}},
      {"carol", {{"params", JsonObject{}}, {"auth_token", node.token(editor_claims("carol"))}}, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.expected);
    Follower f(node, "t:who", c.assigns);
    ASSERT_TRUE(f.join(c.join).ok);
    Reply r = f.op("set", JsonObject{{"n", 1}});
    ASSERT_EQ(r.kind(), Reply::Kind::ok) << r.response();
    EXPECT_EQ(state_of(node, "t:who").at("by"), c.expected);
  }
}

TEST(StoreChannelActor, NoTokenIsAnAnonymousActorThatRunsOnlyAnonymousOps) {
  Node node;
  Follower editor(node, "t:anon", {{"auth_token", node.token(editor_claims())}});
  ASSERT_TRUE(editor.join().ok);
  ASSERT_EQ(editor.op("set", JsonObject{{"n", 1}}).kind(), Reply::Kind::ok);

  // The official client without authToken: the auth_token assign is null.
  std::int64_t version = 1;
  for (JsonObject assigns : {JsonObject{}, JsonObject{{"auth_token", nullptr}, {"params", JsonObject{}}},
                             JsonObject{{"auth_token", ""}}}) {
    SCOPED_TRACE(json::serialize(assigns));
    Follower anonymous(node, "t:anon", assigns);
    ASSERT_TRUE(anonymous.join().ok);
    Reply refused = anonymous.op("set", JsonObject{{"n", 2}});
    ASSERT_EQ(refused.kind(), Reply::Kind::error);
    EXPECT_EQ(at(refused, "reason"), "forbidden");
    EXPECT_EQ(at(refused, "detail"), "sign in first");
    EXPECT_EQ(at(refused, "version"), version) << "an error reply carries the key's version";
    Reply open = anonymous.op("open_set", JsonObject{{"n", 3}});
    ASSERT_EQ(open.kind(), Reply::Kind::ok) << open.response();
    EXPECT_EQ(at(open, "version"), ++version);
    EXPECT_EQ(state_of(node, "t:anon").at("by"), "");
  }
}

TEST(StoreChannelActor, ATokenThatIsThereButNotValidIsUnauthorized) {
  Node node;
  std::string good = node.token(editor_claims());
  std::string tampered = good;
  tampered[tampered.size() / 3] = tampered[tampered.size() / 3] == 'A' ? 'B' : 'A';
  const std::string expired = node.signer.sign_until(TokenKind::socket, editor_claims(), 1'000'000);
  const std::string other_secret = TokenSigner(std::string(kSecret) + "x").sign(TokenKind::socket, editor_claims(), 1h);
  struct Case {
    std::string token;
    const char* detail;
  };
  for (const auto& [token, detail] : std::vector<Case>{{node.token(editor_claims(), TokenKind::session), "wrong kind"},
                                                       {expired, "expired"},
                                                       {other_secret, "bad signature"},
                                                       {"not-a-token", "malformed"}}) {
    SCOPED_TRACE(detail);
    Follower f(node, "t:tok");
    JoinResult r = f.join(JsonObject{{"token", token}});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.response, (Json(JsonObject{{"reason", "unauthorized"}, {"detail", detail}})));
  }
  Follower f(node, "t:tok", {{"auth_token", good}});
  JoinResult bad_join_token = f.join(JsonObject{{"token", tampered}});
  EXPECT_FALSE(bad_join_token.ok) << "a bad join token is not replaced by a good connect token";
  EXPECT_EQ(bad_join_token.response.at("reason"), "unauthorized");
  EXPECT_EQ(node.stores.counters().key_loads.load(), 0u) << "no refused join read the key";
}

// ---------------------------------------------------------------- ops

TEST(StoreChannelOp, MalformedPushesAreAnsweredWithoutReachingTheStore) {
  Node node;
  Follower f(node, "t:bad", {{"auth_token", node.token(editor_claims())}});
  ASSERT_TRUE(f.join().ok);
  ASSERT_EQ(f.op("set", JsonObject{{"n", 1}}).kind(), Reply::Kind::ok);

  Reply other = f.push(JsonObject{{"name", "set"}}, "shout");
  EXPECT_EQ(other.response(), (Json(JsonObject{{"reason", "unhandled event"}, {"event", "shout"}})));
  Reply binary = run_on(f.reactor(), [&] {
    Payload p{nullptr, "bytes"};
    return f.channel().handle_in("op", p, f.context());
  });
  EXPECT_EQ(binary.kind(), Reply::Kind::error);
  EXPECT_EQ(binary.response().at("reason"), "invalid");
  for (Json payload : {Json(JsonObject{}), Json(JsonObject{{"name", 7}}), Json(json::array{"set"}), Json("set")}) {
    SCOPED_TRACE(json::serialize(payload));
    Reply r = f.push(payload);
    EXPECT_EQ(r.kind(), Reply::Kind::error);
    EXPECT_EQ(r.response(), (Json(JsonObject{{"reason", "invalid"}, {"field", "name"}})));
  }
  Reply server_only = f.op("server_set", JsonObject{{"n", 9}});
  EXPECT_EQ(server_only.response(),
            (Json(JsonObject{{"reason", "forbidden"}, {"op", "server_set"}, {"detail", "server_only"}})));
  for (Json ev : {Json(-1), Json("1")}) {
    Reply r = f.op("set", JsonObject{{"n", 9}}, {{"expect_version", ev}});
    EXPECT_EQ(r.response(), (Json(JsonObject{{"reason", "invalid"}, {"field", "expect_version"}})));
  }
  for (Json id : {Json(""), Json(std::string(65, 'x')), Json(12)}) {
    Reply r = f.op("set", JsonObject{{"n", 9}}, {{"op_id", id}});
    EXPECT_EQ(r.response().at("field"), "op_id");
  }
  Reply unknown = f.op("no_such_op");
  EXPECT_EQ(unknown.response().at("reason"), "unknown_op");
  EXPECT_EQ(at(unknown, "version"), 1);
  EXPECT_EQ(state_of(node, "t:bad").at("n"), 1) << "none of them changed the key";
}

TEST(StoreChannelOp, ExpectVersionAndAnOpIdSentAgain) {
  Node node;
  Follower f(node, "t:ids", {{"auth_token", node.token(editor_claims())}});
  ASSERT_TRUE(f.join().ok);
  Reply first = f.op("set", JsonObject{{"n", 1}}, {{"op_id", std::string(64, 'a')}, {"expect_version", 0}});
  ASSERT_EQ(first.kind(), Reply::Kind::ok) << first.response();
  EXPECT_EQ(at(first, "version"), 1);
  Reply again = f.op("set", JsonObject{{"n", 1}}, {{"op_id", std::string(64, 'a')}});
  ASSERT_EQ(again.kind(), Reply::Kind::ok);
  EXPECT_EQ(again.response(), first.response()) << "the same op id: the first outcome, not a second op";
  Reply stale = f.op("set", JsonObject{{"n", 2}}, {{"expect_version", 0}});
  ASSERT_EQ(stale.kind(), Reply::Kind::error);
  EXPECT_EQ(stale.response(), (Json(JsonObject{{"reason", "conflict"}, {"expected", 0}, {"version", 1}})));
  Reply fresh = f.op("set", JsonObject{{"n", 3}}, {{"expect_version", 1}, {"op_id", nullptr}});
  EXPECT_EQ(fresh.response(), (Json(JsonObject{{"version", 2}})));
}

TEST(StoreChannelOp, AnAnswerForAChannelThatEndedMeanwhileGoesNowhereAndTheOpStillApplies) {
  Node node;
  Follower watcher(node, "t:gone", {{"auth_token", node.token(editor_claims("watcher"))}}, 1);
  ASSERT_TRUE(watcher.join().ok);
  auto channel = node.factory();
  auto context = std::make_shared<FakeContext>("store:t:gone", JsonObject{{"auth_token", node.token(editor_claims())}},
                                               node.pubsub);
  ASSERT_TRUE(run_on(node.reactors.at(0), [&] { return channel->join(JsonObject{}, *context).deferred; }));
  ASSERT_TRUE(context->joins.next("the join answer").ok);
  run_on(node.reactors.at(0), [&] {
    Json op = JsonObject{{"name", "set"}, {"args", JsonObject{{"n", 4}}}};
    EXPECT_EQ(channel->handle_in("op", Payload{&op, {}}, *context).kind(), Reply::Kind::none);
    channel->terminate("closed", *context);
    context.reset();  // the socket is gone before the op's answer comes back
    return 0;
  });
  EXPECT_EQ(watcher.received.next("the op's patch").payload.at("to"), 1) << "the op was applied";
  node.settle();  // the owner reactor answered the op ...
  node.settle();  // ... and the channel's reactor dropped the answer
  EXPECT_EQ(state_of(node, "t:gone").at("n"), 4);
}

// ---------------------------------------------------------------- broadcasts and locks

TEST(StoreChannelBroadcast, PatchesTheJoinAlreadyHoldsAreKeptFromTheJoiner) {
  Node node;
  Follower writer(node, "t:b", {{"auth_token", node.token(editor_claims())}}, 1);
  ASSERT_TRUE(writer.join().ok);
  ASSERT_EQ(writer.op("set", JsonObject{{"n", 1}}).kind(), Reply::Kind::ok);
  EXPECT_EQ(writer.received.next("the patch of version 1").payload.at("to"), 1);

  // The reader is subscribed and its join under way (broadcasts held) when version 2 commits:
  // its patch reaches the socket before the join's answer, which already holds version 2.
  Follower reader(node, "t:b");
  reader.hold();
  ASSERT_EQ(writer.op("set", JsonObject{{"n", 2}}).kind(), Reply::Kind::ok);
  reader.held.next("the patch of version 2, held");
  JoinResult joined = reader.join();
  ASSERT_TRUE(joined.ok);
  EXPECT_EQ(joined.response.at("version"), 2);
  EXPECT_EQ(joined.response.at("state").at("n"), 2);
  ASSERT_EQ(writer.op("set", JsonObject{{"n", 3}}).kind(), Reply::Kind::ok);
  Broadcast next = reader.received.next("the patch of version 3");
  EXPECT_EQ(next.event, "patch");
  EXPECT_EQ(next.payload.at("from"), 2) << "the patch of version 2 was not sent: the join held it";
  EXPECT_EQ(next.payload.at("to"), 3);
  EXPECT_EQ(reader.received.size(), 0u);
  EXPECT_EQ(writer.received.next("version 2 for the writer").payload.at("to"), 2);
  EXPECT_EQ(writer.received.next("version 3 for the writer").payload.at("to"), 3);
}

TEST(StoreChannelBroadcast, ALockKeepsOthersOffItsPathAndEndsWithItsChannel) {
  Node node;
  Follower holder(node, "t:l", {{"auth_token", node.token(editor_claims("holder"))}}, 0);
  Follower other(node, "t:l", {{"auth_token", node.token(editor_claims("other"))}}, 1);
  ASSERT_TRUE(holder.join().ok);
  ASSERT_EQ(holder.op("set", JsonObject{{"n", 1}}).kind(), Reply::Kind::ok);
  ASSERT_TRUE(other.join().ok);

  Reply locked = holder.op("lock", JsonObject{{"path", "/n"}});
  ASSERT_EQ(locked.kind(), Reply::Kind::ok) << locked.response();
  EXPECT_EQ(at(locked, "version"), 1) << "a lock makes no version";
  Broadcast lock = other.received.next("the lock event");
  EXPECT_EQ(lock.event, "lock");
  EXPECT_EQ(lock.payload, (Json(JsonObject{{"path", "/n"}, {"holder", "holder"}, {"reason", "acquired"}})));
  Follower late(node, "t:l");
  JoinResult view = late.join();
  ASSERT_TRUE(view.ok);
  EXPECT_EQ(view.response.at("locks"), (Json(JsonObject{{"/n", JsonObject{{"holder", "holder"}}}})))
      << "a joiner sees the locks";

  Reply refused = other.op("set", JsonObject{{"n", 2}});
  ASSERT_EQ(refused.kind(), Reply::Kind::error);
  EXPECT_EQ(refused.response(), (Json(JsonObject{{"reason", "locked"}, {"path", "/n"}, {"holder", "holder"}, {"version", 1}})));
  Reply own = holder.op("set", JsonObject{{"n", 5}});
  EXPECT_EQ(own.kind(), Reply::Kind::ok) << "the holder's own session writes under its lock";

  holder.leave();
  Broadcast unlock = other.received.next("the patch of version 2");
  ASSERT_EQ(unlock.event, "patch");
  unlock = other.received.next("the unlock event");
  EXPECT_EQ(unlock.event, "unlock");
  EXPECT_EQ(unlock.payload, (Json(JsonObject{{"path", "/n"}, {"holder", "holder"}, {"reason", "disconnected"}})));
  Reply after = other.op("set", JsonObject{{"n", 6}});
  EXPECT_EQ(after.response(), (Json(JsonObject{{"version", 3}}))) << "the path is free once its holder left";
  EXPECT_EQ(state_of(node, "t:l").at("by"), "other");
}

}  // namespace
}  // namespace cohort::store
