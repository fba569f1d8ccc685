// server_topics.hpp — the PubSub topics the node itself owns, which no client may join or
// broadcast to.
//
// Owns: the reserved prefix "cohort:" and the node status topic under it. A topic with the
// prefix is refused by every socket's channel routing (whatever its patterns, "*" included:
// "unmatched topic") and by the HTTP broadcast API (403); only code inside the node publishes
// on it. Pure; any thread.
#pragma once

#include <string_view>

namespace cohort::net {

inline constexpr std::string_view kServerTopicPrefix = "cohort:";
// Every node publishes its status here once a second (node_status.hpp); the cluster carries it
// to every other node, whose admin dashboard keeps the latest of each.
inline constexpr std::string_view kNodeStatusTopic = "cohort:node_status";

inline bool server_topic(std::string_view topic) { return topic.starts_with(kServerTopicPrefix); }

}  // namespace cohort::net
