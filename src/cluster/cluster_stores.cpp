// cluster_stores.cpp — store calls routed to each key's owner node: see cluster_stores.hpp.
#include "cluster/cluster_stores.hpp"

#include <stdexcept>

#include "cluster/cluster.hpp"
#include "log/log.hpp"

namespace cohort::cluster {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kRetryDelay = std::chrono::milliseconds(100);  // a dead owner's lease still runs
constexpr unsigned kSessionShift = 40;   // session ids: node id above, a counter below

JsonObject unavailable(std::string detail) { return {{"reason", "unavailable"}, {"detail", std::move(detail)}}; }

}  // namespace

struct ClusterStores::Call {
  StoreRequest::Kind kind = StoreRequest::Kind::op;
  OpCall call;  // the whole op, or the key of a view
  std::optional<std::uint64_t> since;
  bool must_exist = false;  // a view_existing()
  bool checked = false;     // storage said the key exists (check_exists)
  net::Reactor* origin = nullptr;
  std::function<void(OpOutcome)> op_done;
  std::function<void(StoreView)> view_done;
  Clock::time_point deadline;  // for finding an owner
  std::uint32_t owner = 0;     // while forwarded
  Clock::time_point sent;
  unsigned moves = 0;
  ClusterCounters* counters = nullptr;

  void finish_op(OpOutcome r) {
    origin->post([done = std::move(op_done), r = std::move(r)]() mutable { done(std::move(r)); });
  }
  void finish_view(StoreView v) {
    origin->post([done = std::move(view_done), v = std::move(v)]() mutable { done(std::move(v)); });
  }
  void fail(JsonObject error) {
    if (auto* r = error.if_contains("reason"); r && *r == "unavailable") bump(counters->store_unavailable);
    if (kind == StoreRequest::Kind::op) return finish_op(OpOutcome{false, 0, std::move(error)});
    StoreView v;
    v.error = std::move(error);
    finish_view(std::move(v));
  }
};

ClusterStores::~ClusterStores() = default;

void ClusterStores::attach(Cluster& cluster, Storage* storage, bool shared_storage, std::chrono::milliseconds lease,
                           std::chrono::milliseconds idle_release, std::chrono::milliseconds forward_timeout) {
  cluster_ = &cluster;
  forward_timeout_ = forward_timeout;
  local_.set_session_base((std::uint64_t{cluster.node_id()} << kSessionShift) + 1);
  if (!shared_storage)
    refused_ = "stores in a cluster need storage the nodes share: start every node with --storage postgres://...";
  leases_ = std::make_unique<StoreLeases>(cluster.reactor(), cluster.command_link(), storage, cluster.node_id(),
                                          cluster.key_prefix(), lease, idle_release);
  leases_->can_release([this](const std::string& key, std::function<void(bool)> answer) {
    local_.quiet(key, std::move(answer));
  });
  leases_->on_won([this](const std::string& key) {
    bump(cluster_->counters().store_keys_won);
    bump(cluster_->counters().store_keys_owned);
    local_.retire(key, "the key was taken over");
  });
  leases_->on_lost([this](const std::string& key) {
    cluster_->counters().store_keys_owned.fetch_sub(1, std::memory_order_relaxed);
    local_.retire(key, "this node lost the key's lease");
  });
  leases_->on_renewed([this] { bump(cluster_->counters().store_renewals); });
  local_.on_unloaded([this](const std::string& key) {
    cluster_->reactor().post([this, key, at = StoreLeases::Clock::now()] { leases_->unloaded(key, at); });
  });
  // A write refused by the key's fence: the key is another node's now (Redis may have forgotten
  // our lease and granted it again). That write stored nothing: its op goes on to the new owner.
  if (storage)
    storage->on_fenced([this](const std::string& key) {
      cluster_->reactor().post([this, key] {
        ++fenced_[key];
        leases_->fenced_out(key);
      });
    });
  watchdog_ = std::make_unique<boost::asio::steady_timer>(cluster.reactor().context());
  cluster.set_store_hooks([this](std::string_view payload) { on_inbox(payload); },
                          [this](std::uint32_t node) { node_down(node); },
                          [this](bool starting) {
                            if (starting) return leases_->start();
                            leases_->release_all();
                            leases_->stop();
                            watchdog_->cancel();
                          });
}

void ClusterStores::apply(OpCall call, std::function<void(OpOutcome)> done) {
  if (!cluster_) return local_.apply(std::move(call), std::move(done));
  auto c = std::make_shared<Call>();
  c->call = std::move(call);
  c->origin = &store::calling_reactor();
  c->op_done = std::move(done);
  c->counters = &cluster_->counters();
  c->deadline = Clock::now() + kResolveTimeout;
  cluster_->reactor().post([this, c] { route(c); });
}

void ClusterStores::view(std::string key, std::optional<std::uint64_t> since, std::function<void(StoreView)> done) {
  if (!cluster_) return local_.view(std::move(key), since, std::move(done));
  view_call(std::move(key), since, false, std::move(done));
}

void ClusterStores::view_existing(std::string key, std::optional<std::uint64_t> since,
                                  std::function<void(StoreView)> done) {
  if (!cluster_) return local_.view_existing(std::move(key), since, std::move(done));
  view_call(std::move(key), since, true, std::move(done));
}

void ClusterStores::view_call(std::string key, std::optional<std::uint64_t> since, bool must_exist,
                              std::function<void(StoreView)> done) {
  auto c = std::make_shared<Call>();
  c->kind = StoreRequest::Kind::view;
  c->call.key = std::move(key);
  c->since = since;
  c->must_exist = must_exist;
  c->origin = &store::calling_reactor();
  c->view_done = std::move(done);
  c->counters = &cluster_->counters();
  c->deadline = Clock::now() + kResolveTimeout;
  cluster_->reactor().post([this, c] { route(c); });
}

void ClusterStores::end_session(std::string key, std::uint64_t session) {
  if (!cluster_) return local_.end_session(std::move(key), session);
  cluster_->reactor().post([this, key = std::move(key), session] {
    if (refused_) return;
    leases_->resolve(key, [this, key, session](KeyOwner owner) {
      if (owner.kind == KeyOwner::Kind::mine) return local_.end_session(key, session);
      if (owner.kind != KeyOwner::Kind::theirs) return;  // nobody can own it now: no lock to end
      StoreRequest r{StoreRequest::Kind::end, 0, cluster_->node_id(), {}, {}};
      r.call.key = key;
      r.call.session = session;
      send(owner.node, encode_store_request(r), {});
    });
  });
}

void ClusterStores::route(CallPtr c) {
  if (refused_) return c->fail({{"reason", "unavailable"}, {"detail", *refused_}});
  if (!local_.knows(c->call.key)) return c->fail({{"reason", "unknown_store"}, {"key", c->call.key}});
  if (Clock::now() >= c->deadline)
    return c->fail(unavailable("no node could take " + c->call.key + " over in time"));
  if (c->must_exist && !c->checked && !leases_->known(c->call.key)) return check_exists(c);
  leases_->resolve(c->call.key, [this, c](KeyOwner owner) {
    switch (owner.kind) {
      case KeyOwner::Kind::mine:
        return run_here(c);
      case KeyOwner::Kind::theirs:
        return forward(c, owner.node);
      case KeyOwner::Kind::error:
        return c->fail(std::move(owner.error));
    }
  });
}

void ClusterStores::check_exists(CallPtr c) {
  if (existence_checks_ >= kMaxExistenceChecks) return c->fail(local_.too_many_keys());
  ++existence_checks_;
  c->checked = true;
  local_.read_exists(c->call.key, [this, c](bool exists) {
    cluster_->reactor().post([this, c, exists] {
      --existence_checks_;
      if (exists) return route(c);
      local_.count_not_found();
      c->fail({{"reason", "not_found"}, {"key", c->call.key}});
    });
  });
}

void ClusterStores::run_here(CallPtr c) {
  // From the cluster reactor: LocalStores answers here, and Call posts on to the origin.
  if (c->kind == StoreRequest::Kind::op)
    return local_.apply(c->call, [this, c](OpOutcome r) {
      if (!take_fenced(c->call.key, r)) return c->finish_op(std::move(r));
      if (++c->moves > kMaxMoves) return c->fail(unavailable(c->call.key + " keeps moving between nodes"));
      route(c);
    });
  auto done = [c](StoreView v) { c->finish_view(std::move(v)); };
  if (c->must_exist) return local_.view_existing(c->call.key, c->since, std::move(done));
  local_.view(c->call.key, c->since, std::move(done));
}

void ClusterStores::forward(CallPtr c, std::uint32_t owner) {
  std::uint64_t id = next_id_++;
  c->owner = owner;
  c->sent = Clock::now();
  forwarded_[id] = c;
  bump(cluster_->counters().store_forwarded);
  StoreRequest r{c->kind, id, cluster_->node_id(), c->call, c->since, c->must_exist};
  bool queued = send(owner, encode_store_request(r), [this, id](bool heard) {
    if (heard) return;
    auto it = forwarded_.find(id);
    if (it == forwarded_.end()) return;
    CallPtr call = std::move(it->second);
    forwarded_.erase(it);
    // Nobody listens on that inbox: the owner is gone and applied nothing. Its lease may still
    // run: look again shortly (bounded by the call's deadline).
    leases_->forget(call->call.key);
    retry_later(std::move(call));
  });
  if (!queued) {
    forwarded_.erase(id);
    return c->fail(unavailable("the cluster's Redis is unreachable: " + c->call.key + " lives on node " +
                               std::to_string(owner) + " and this call cannot reach it"));
  }
  if (forwarded_.size() == 1) check_forwards();
}

void ClusterStores::retry_later(CallPtr c) {
  auto timer = std::make_shared<boost::asio::steady_timer>(cluster_->reactor().context(), kRetryDelay);
  timer->async_wait([this, timer, c](const boost::system::error_code& ec) {
    if (!ec) route(c);
  });
}

bool ClusterStores::send(std::uint32_t node, const std::string& bytes, std::function<void(bool)> heard) {
  RedisLink::ReplyHandler handler;
  if (heard)
    handler = [heard = std::move(heard)](const RedisValue& v) {
      heard(v.kind == RedisValue::Kind::integer && v.integer > 0);
    };
  return cluster_->outbox().publish(cluster_->inbox(node), bytes, std::move(handler));  // sealed
}

void ClusterStores::check_forwards() {
  auto now = Clock::now();
  for (auto it = forwarded_.begin(); it != forwarded_.end();) {
    Call& c = *it->second;
    if (now - c.sent > forward_timeout_) {
      c.fail(unavailable("node " + std::to_string(c.owner) + ", the owner of " + c.call.key +
                         ", did not answer: the call may or may not have been applied"));
      leases_->forget(c.call.key);
      it = forwarded_.erase(it);
    } else {
      ++it;
    }
  }
  if (forwarded_.empty()) return;
  watchdog_->expires_after(kWatchdogTick);
  watchdog_->async_wait([this](const boost::system::error_code& ec) {
    if (!ec) check_forwards();
  });
}

void ClusterStores::on_inbox(std::string_view payload) {
  auto decoded = decode_store_message(payload);
  if (auto* reply = std::get_if<StoreReply>(&decoded)) return on_reply(std::move(*reply));
  if (auto* request = std::get_if<StoreRequest>(&decoded)) return answer(*request);
  static log::Throttled& malformed = log::throttled(log::Category::cluster, log::Level::warn, "malformed_store_message");
  malformed.event({{"error", std::get<WireError>(decoded).reason}});
}

void ClusterStores::answer(const StoreRequest& r) {
  bool mine = !refused_ && leases_->owns(r.call.key);
  if (r.kind == StoreRequest::Kind::end) {
    if (mine) {
      leases_->touch(r.call.key);
      local_.end_session(r.call.key, r.call.session);
    }
    return;
  }
  auto reply = [this, id = r.id, from = r.from, kind = r.kind](StoreReply a) {
    a.id = id;
    a.kind = kind == StoreRequest::Kind::op ? StoreReply::Kind::op : StoreReply::Kind::view;
    send(from, encode_store_reply(a), {});
  };
  if (!mine) {
    StoreReply moved;
    moved.moved = true;
    return reply(std::move(moved));
  }
  leases_->touch(r.call.key);
  bump(cluster_->counters().store_answered);
  if (r.kind == StoreRequest::Kind::op)
    return local_.apply(r.call, [this, reply, key = r.call.key](OpOutcome o) {
      StoreReply a;
      a.moved = take_fenced(key, o);  // nothing applied: the sender looks for the owner again
      if (!a.moved) a.outcome = std::move(o);
      reply(std::move(a));
    });
  auto answered = [reply](StoreView v) {
    StoreReply a;
    a.view = std::move(v);
    reply(std::move(a));
  };
  if (r.must_exist) return local_.view_existing(r.call.key, r.since, std::move(answered));
  local_.view(r.call.key, r.since, std::move(answered));
}

void ClusterStores::on_reply(StoreReply r) {
  auto it = forwarded_.find(r.id);
  if (it == forwarded_.end()) return;  // answered after we gave up on it
  CallPtr c = std::move(it->second);
  forwarded_.erase(it);
  if (r.moved) {
    leases_->forget(c->call.key);
    if (++c->moves > kMaxMoves) return c->fail(unavailable(c->call.key + " keeps moving between nodes"));
    return route(std::move(c));
  }
  if (c->kind == StoreRequest::Kind::op) return c->finish_op(std::move(r.outcome));
  c->finish_view(std::move(r.view));
}

bool ClusterStores::take_fenced(const std::string& key, const OpOutcome& outcome) {
  auto it = fenced_.find(key);
  if (outcome.ok || it == fenced_.end()) return false;
  if (--it->second == 0) fenced_.erase(it);
  return true;
}

void ClusterStores::node_down(std::uint32_t node) {
  leases_->forget_node(node);
  for (auto it = forwarded_.begin(); it != forwarded_.end();) {
    if (it->second->owner != node) {
      ++it;
      continue;
    }
    it->second->fail(unavailable("node " + std::to_string(node) + ", the owner of " + it->second->call.key +
                                 ", is down: the call may or may not have been applied"));
    it = forwarded_.erase(it);
  }
  local_.end_sessions([node](std::uint64_t session) { return (session >> kSessionShift) == node; });
}

}  // namespace cohort::cluster
