// main.cpp — @app@: `@app@ serve` runs it; `@app@ help` lists the other commands.
#include "cohort/app.hpp"
#include "tally_store.hpp"
#include "tally_view.hpp"

int main(int argc, char** argv) {
  cohort::App app(argc, argv, {.name = "@app@", .summary = "A shared tally, live for everyone on the page."});
  app.store(@app@::tally_kind());
  app.live("/", "tally", [] { return @app@::tally_view(); }, "Tally");
  app.setup([](cohort::Node&, cohort::live::Live& live) -> std::optional<std::string> {
    live.page({.title_suffix = " · @app@", .styles = {"/assets/cohort.css", "/app.css"}});
    return std::nullopt;
  });
  return app.run();
}
