// moderators.hpp — /moderators, the page for quiz and whiteboard moderators: what they can do,
// and where. Only a visitor with the role "moderator" (given by the grant link the server prints
// at start-up) sees it: an on_mount hook on "/moderators" sends anyone else to the dashboard,
// with a flash that says why, before the view mounts (so nothing of it is rendered for them).
#pragma once

#include <memory>

#include "cohort/live.hpp"

namespace cohort::apps {

// The view and its guard; before live.install().
void install_moderators(live::Live& live);
// The guard alone: for tests.
live::OnMount moderators_only(const live::Params& params, const live::Session& session, live::Socket& socket);
std::unique_ptr<live::View> moderators_view();

}  // namespace cohort::apps
