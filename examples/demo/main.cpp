// main.cpp — the `cohort` executable: Cohort's demo apps on an App (see apps/demo_apps.hpp).
// `cohort serve` runs them; `cohort help` lists the other commands.
#include "apps/demo_apps.hpp"
#include "cohort/app.hpp"

int main(int argc, char** argv) {
  cohort::App app(argc, argv, {.name = "cohort", .summary = "Runs a Cohort node with the demo apps."});
  cohort::apps::install_demo(app);
  return app.run();
}
