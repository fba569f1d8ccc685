// demo_apps.cpp — installs the demo on an App. See demo_apps.hpp.
#include "apps/demo_apps.hpp"

#include <chrono>
#include <cstdio>

#include "apps/bindings.hpp"
#include "apps/lookup.hpp"
#include "apps/board.hpp"
#include "apps/client_token.hpp"
#include "apps/dashboard.hpp"
#include "apps/doc_store.hpp"
#include "apps/incident.hpp"
#include "apps/live_pages.hpp"
#include "apps/moderators.hpp"
#include "apps/polls.hpp"
#include "apps/quiz.hpp"
#include "apps/room.hpp"
#include "apps/visitors.hpp"
#include "cohort/node.hpp"

namespace cohort::apps {

namespace {

// The quiz and whiteboard moderator: whoever uses this link (the operator hands it out). It is
// written to <data-dir>/moderator-grant (mode 0600) and printed only with --print-grant.
std::optional<std::string> publish_moderator_grant(Node& node, const live::Live& live) {
  const Config& config = node.config();
  if (auto err = live.save_grant_epoch()) return err;
  std::string link = config.base_url(node.port()) +
                     live.grant_link({"moderator"}, std::chrono::seconds(config.grant_ttl_s), "/quiz");
  std::string path = config.data_dir + "/moderator-grant";
  if (auto err = write_private_file(path, link + "\n")) return err;
  if (config.print_grant) std::printf("moderator sign-in: %s\n", link.c_str());
  else
    std::printf("moderator sign-in link: in %s (works once, for %u s; `cohort grant` makes another)\n", path.c_str(),
                config.grant_ttl_s);
  return std::nullopt;
}

}  // namespace

void install_demo(App& app) {
  const std::uint64_t& lease_ms =
      app.option("incident_lease_ms", 15000, "an /incident field idle this long stops being its editor's", 100, 3'600'000);
  const std::uint64_t& question_ms =
      app.option("quiz_question_ms", 20000, "how long each /quiz question is open", 1000, 3'600'000);
  const std::uint64_t& lookup_ms =
      app.option("lookup_ms", 500, "how long the /lookup directory takes to answer", 0, 60'000);
  app.setup([&](Node& node, live::Live& live) -> std::optional<std::string> {
    install_room(node);
    install_doc_store(node);
    install_live_pages(node, live);
    live.new_visitor(name_visitor);
    live.track_visitors(kVisitorsTopic);
    install_dashboard(live, kVisitorsTopic, [&node] { return node.stats(); });
    install_incident(node, live, static_cast<std::int64_t>(lease_ms));
    install_quiz(node, live, static_cast<std::int64_t>(question_ms));
    install_board(node, live);
    install_polls(node, live);
    install_moderators(live);
    install_bindings(live);
    install_lookup(live, std::chrono::milliseconds(lookup_ms));
    install_client_token(node, live);
    return std::nullopt;
  });
  app.on_start(publish_moderator_grant);
}

}  // namespace cohort::apps
