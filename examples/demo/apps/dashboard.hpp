// dashboard.hpp — the presence admin dashboard (/dashboard): who is online across the whole
// app, on which page, with how many tabs, and the node's live connection count and message
// rates, updated in real time.
//
// Who is where comes from the visitors topic that every connected live view is tracked on
// (Live::track_visitors); the figures come from Node::stats(), sampled once a second by each
// open dashboard (rates are the difference between two samples).
#pragma once

#include <functional>
#include <string>

#include "cohort/live.hpp"
#include "cohort/node.hpp"

namespace cohort::apps {

using StatsSource = std::function<NodeStats()>;

// visitors_topic: the topic given to Live::track_visitors.
void install_dashboard(live::Live& live, std::string visitors_topic, StatsSource stats);

}  // namespace cohort::apps
