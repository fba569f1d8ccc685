// main.cpp — the `cohort` executable: Cohort's demo apps on an App (see apps/demo_apps.hpp).
// `cohort serve` runs them; `cohort new` writes a new app (scaffold/); `cohort help` lists the rest.
#include "apps/demo_apps.hpp"
#include "cohort/app.hpp"

int main(int argc, char** argv) {
  cohort::App app(argc, argv, {.name = "cohort", .summary = "Runs a Cohort node with the demo apps.", .project_commands = true});
  cohort::apps::install_demo(app);
  return app.run();
}
