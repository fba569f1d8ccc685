// view_reply.cpp — ViewInstance: an event's reply, and its wait for the store ops it started.
//
// Contract (view_instance.hpp, handle_event): an event whose handler started no store op is
// answered at once with what it changed. One that did is answered when every op it started —
// and every op their callbacks started — has answered, and each followed store those ops
// changed holds at least the version the op made; or when Registry::event_wait has passed
// (counted in event_waits_expired). The reply's diff is rendered when it is sent, so renders
// stay in the order the client applies them; while it waits, frames do not render (the reply
// carries everything). Phoenix gives the same order: a LiveView blocked in a call to the state's
// owner handles nothing else until it returns.
// Never: a second reply wait while one is pending (the channel holds later pushes), or an
// answer after terminate().
#include "live/view_instance.hpp"

#include "log/log.hpp"
#include "net/log_clip.hpp"

namespace cohort::live {

JsonObject ViewInstance::handle_event(std::string_view event, const Json& value, std::optional<int> cid) {
  run_event(event, value, cid);
  return event_response();
}

std::optional<JsonObject> ViewInstance::handle_event(std::string_view event, const Json& value,
                                                     std::optional<int> cid, Answer later) {
  const bool can_wait = channel_ && !ended_ && rendering_ && services_.registry.event_wait.count() > 0;
  if (!can_wait) return handle_event(event, value, cid);
  auto wait = std::make_shared<ReplyWait>();
  {
    collecting_ = wait;
    struct Stop {
      std::shared_ptr<ReplyWait>& collecting;
      ~Stop() { collecting.reset(); }
    } stop{collecting_};
    run_event(event, value, cid);
  }
  if (wait->ops == 0 && holds_result(*wait)) return event_response();  // nothing (more) to wait for
  services_.registry.stats.event_waits.fetch_add(1, std::memory_order_relaxed);
  wait->answer = std::move(later);
  reply_wait_ = wait;
  channel_->after(services_.registry.event_wait, [self = weak_from_this(), wait] {
    auto view = self.lock();
    if (view && !view->ended_ && view->reply_wait_ == wait) view->finish_reply(/*expired=*/true);
  });
  return std::nullopt;
}

// done, wrapped so the op counts in the wait being collected (if any): its outcome, and the ops
// its callback starts, are waited for too.
std::function<void(const OpOutcome&)> ViewInstance::joining_wait(const std::string& key,
                                                                 std::function<void(const OpOutcome&)> done) {
  if (!collecting_) return done;
  auto wait = collecting_;
  ++wait->ops;
  return [this, wait, key, done = std::move(done)](const OpOutcome& outcome) {
    if (outcome.ok) wait->made.emplace_back(key, outcome.version);
    if (done) {  // its ops join the wait too, if the reply still waits
      bool waiting = wait == reply_wait_ || wait == collecting_;  // (collecting: answered inside the handler)
      auto outer = std::exchange(collecting_, waiting ? wait : nullptr);
      struct Restore {
        ViewInstance& view;
        std::shared_ptr<ReplyWait> outer;
        ~Restore() { view.collecting_ = std::move(outer); }
      } restore{*this, std::move(outer)};
      done(outcome);
    }
    // Counted down after the callback: what it assigns must not send the reply before it ends.
    --wait->ops;
    if (wait == reply_wait_) check_reply();
  };
}

// Every followed store an op of the wait changed shows that op's version (or could not be read:
// nothing to wait for then).
bool ViewInstance::holds_result(const ReplyWait& wait) const {
  for (const auto& [key, version] : wait.made)
    for (const auto& follow : stores_followed_)
      if (follow.key == key && follow.loaded && follow.has_state && follow.version < version) return false;
  return true;
}

void ViewInstance::check_reply() {
  if (!reply_wait_ || ended_ || reply_wait_->ops > 0 || !holds_result(*reply_wait_)) return;
  finish_reply(/*expired=*/false);
}

void ViewInstance::finish_reply(bool expired) {
  auto wait = std::exchange(reply_wait_, nullptr);
  if (expired) services_.registry.stats.event_waits_expired.fetch_add(1, std::memory_order_relaxed);
  JsonObject response;
  try {
    response = event_response();
  } catch (const std::exception& e) {
    log::event(log::Category::live, log::Level::error, "render_failed",
               {{"view", route_.path}, {"error", net::log_clip(e.what())}});
    if (auto channel = channel_handle_.lock()) channel->crash(e.what());
    return;
  }
  if (wait->answer) wait->answer(std::move(response));
}

}  // namespace cohort::live
