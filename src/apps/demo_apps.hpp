// demo_apps.hpp — the five shared-state demo apps of issue #6, installed together: the presence
// dashboard (/dashboard), shared incident form (/incident), live quiz (/quiz), whiteboard
// (/board) and live voting (/polls). Each is a live view built only on Cohort's public API; its
// state lives in stores, so every browser sees the same thing and a restart keeps it.
#pragma once

#include <string>

#include "cohort/live.hpp"

namespace cohort {
class Node;
}

namespace cohort::apps {

// The presence topic every live view's visitor is tracked on (the dashboard follows it).
inline constexpr const char* kVisitorsTopic = "presence:app";

// Defines the stores, registers the views and turns on visitor tracking; call before
// live.install() and node.start().
void install_demo_apps(Node& node, live::Live& live);

}  // namespace cohort::apps
