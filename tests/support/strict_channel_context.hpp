// strict_channel_context.hpp — a ChannelContext for unit tests of one channel handler (the
// store channel, a live view's lv:<id> channel) where every call the test does not expect is a
// test failure: a fake derives from it and overrides only what its handler may use.
// `who` names the handler in the failure ("the store channel called ChannelContext::push(x)").
// Threads: as the handler's; ADD_FAILURE is thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <string_view>

#include "cohort/channel.hpp"

namespace cohort::test_support {

class StrictChannelContext : public cohort::ChannelContext {
 public:
  explicit StrictChannelContext(std::string who) : who_(std::move(who)) {}

  using Json = cohort::Json;
  using JsonObject = cohort::JsonObject;
  void push(std::string_view e, Json) override { unexpected("push", e); }
  void push_binary(std::string_view e, std::string_view) override { unexpected("push_binary", e); }
  void broadcast(std::string_view e, Json) override { unexpected("broadcast", e); }
  void broadcast_from(std::string_view e, Json) override { unexpected("broadcast_from", e); }
  void broadcast_binary(std::string_view e, std::string, bool) override { unexpected("broadcast_binary", e); }
  std::string track(std::string_view k, JsonObject) override { return unexpected("track", k), ""; }
  std::string update_presence(std::string_view k, JsonObject) override { return unexpected("update_presence", k), ""; }
  void untrack(std::string_view k) override { unexpected("untrack", k); }
  void push_presence_state() override { unexpected("push_presence_state", ""); }
  cohort::Presence& presence() override { throw std::logic_error(who_ + " has no presence here"); }
  void finish_join(cohort::JoinResult) override { unexpected("finish_join", ""); }
  cohort::ReplyTo reply_later() override { return unexpected("reply_later", ""), cohort::ReplyTo{}; }
  void reply(const cohort::ReplyTo&, cohort::Reply) override { unexpected("reply", ""); }
  void crash(std::string_view reason) override { unexpected("crash", reason); }
  void stop(std::string_view reason) override { unexpected("stop", reason); }
  void after(std::chrono::milliseconds, std::function<void()>) override { unexpected("after", ""); }

 protected:
  void unexpected(const char* what, std::string_view arg) const {
    ADD_FAILURE() << who_ << " called ChannelContext::" << what << "(" << arg << ")";
  }

 private:
  std::string who_;
};

}  // namespace cohort::test_support
