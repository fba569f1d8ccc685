// outbox.cpp — sealed PUBLISHes: see outbox.hpp.
#include "cluster/outbox.hpp"

namespace cohort::cluster {

bool Outbox::publish(std::string_view channel, std::string_view body, RedisLink::ReplyHandler handler) {
  std::string message = unsealed_message(body.size());
  message.append(body);
  return publish_prepared(channel, message, std::move(handler));
}

bool Outbox::publish_prepared(std::string_view channel, std::string& message, RedisLink::ReplyHandler handler) {
  sealer_.seal(channel, message, unix_ms());
  return link_.command({"PUBLISH", channel, message}, std::move(handler));
}

}  // namespace cohort::cluster
