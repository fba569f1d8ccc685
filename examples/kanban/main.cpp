// main.cpp — kanban: a shared kanban board, an app built on an installed Cohort (docs/apps.md).
// `kanban serve` runs it; people sign in with a name at /login and meet on /board/<name>.
#include "board_store.hpp"
#include "board_view.hpp"
#include "cohort/app.hpp"
#include "login.hpp"

int main(int argc, char** argv) {
  cohort::App app(argc, argv, {.name = "kanban", .summary = "A shared kanban board."});
  const std::uint64_t& wip = app.option("wip_limit", 3, "most cards the Doing column may hold", 1, 100);
  app.store(kanban::board_kind(wip));
  app.live("/board/:id", "board", [&wip] { return kanban::board_view(wip); }, "Board");
  app.setup([](cohort::Node& node, cohort::live::Live& live) -> std::optional<std::string> {
    kanban::route_login(node);  // GET /, GET and POST /login
    live.page({.title_suffix = " · Kanban", .styles = {"/assets/cohort.css", "/kanban.css"},
               .template_name = "layout"});  // templates/layout.html: the page around each board
    live.identify([&node](const cohort::HttpRequest& request, const cohort::JsonObject& /*visitor*/) {
      return kanban::signed_in(request, node.signer());  // the signed-in person, or a redirect to /login
    });
    return std::nullopt;
  });
  return app.run();
}
