// demo_apps.cpp — installs the five demo apps. See demo_apps.hpp.
#include "apps/demo_apps.hpp"

#include "apps/board.hpp"
#include "apps/dashboard.hpp"
#include "apps/incident.hpp"
#include "apps/polls.hpp"
#include "apps/quiz.hpp"
#include "cohort/node.hpp"

namespace cohort::apps {

void install_demo_apps(Node& node, live::Live& live) {
  live.track_visitors(kVisitorsTopic);
  install_dashboard(live, kVisitorsTopic, [&node] { return node.stats(); });
  install_incident(node, live);
  install_quiz(node, live);
  install_board(node, live);
  install_polls(node, live);
}

}  // namespace cohort::apps
