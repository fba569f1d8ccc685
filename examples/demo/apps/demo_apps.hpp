// demo_apps.hpp — the demo: the example room and doc store, the first live pages (/counter,
// /list) and the five shared-state demo apps — the presence dashboard (/dashboard), shared
// incident form (/incident), live quiz (/quiz), whiteboard (/board) and live voting (/polls).
// GET /api/client-token gives the plain-JavaScript page /js-counter.html its visitor's socket
// token (client_token.hpp). Each is built only on Cohort's public API; its state lives in stores, so every browser sees
// the same thing and a restart keeps it. Registered on an App with its two options
// (incident_lease_ms, quiz_question_ms) and the moderator's sign-in link, announced at start.
#pragma once

#include "cohort/app.hpp"

namespace cohort::apps {

// The presence topic every live view's visitor is tracked on (the dashboard follows it).
inline constexpr const char* kVisitorsTopic = "presence:app";

// Registers the demo's options, what it serves, and its start-up announcement.
void install_demo(App& app);

}  // namespace cohort::apps
