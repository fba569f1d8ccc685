// moderators.cpp — the moderators' page and its guard: see moderators.hpp.
#include "apps/moderators.hpp"

#include "apps/view_support.hpp"

namespace cohort::apps {

namespace {

class ModeratorsView final : public live::View {
 public:
  void mount(const live::Params&, const live::Session&, live::Socket& s) override { assign_me(s); }
};

}  // namespace

live::OnMount moderators_only(const live::Params&, const live::Session&, live::Socket& s) {
  if (s.actor().has_role("moderator")) return live::OnMount::proceed;
  s.put_flash("error", "That page is for moderators: ask for the moderator sign-in link.");
  s.push_navigate("/dashboard");
  return live::OnMount::halt;
}

std::unique_ptr<live::View> moderators_view() { return std::make_unique<ModeratorsView>(); }

void install_moderators(live::Live& live) {
  live.on_mount("/moderators", moderators_only);
  live.view("/moderators", "moderators", moderators_view, "Moderators");
}

}  // namespace cohort::apps
