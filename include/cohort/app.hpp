// cohort/app.hpp — an application's entry point: its command line, its settings, what it serves.
//
//   int main(int argc, char** argv) {          // examples/kanban/main.cpp, shortened
//     cohort::App app(argc, argv, {.name = "kanban", .summary = "A shared kanban board."});
//     const std::uint64_t& wip = app.option("wip_limit", 3, "most cards the Doing column may hold", 1, 100);
//     app.store(kanban::board_kind(wip));
//     app.live("/board/:id", "board", [&wip] { return kanban::board_view(wip); }, "Board");
//     app.setup([](cohort::Node& node, cohort::live::Live& live) -> std::optional<std::string> {
//       live.identify(...);  // who each page acts as: the app's own sign-in
//       return std::nullopt;
//     });
//     return app.run();
//   }
//
// Commands: `<app> serve [options]` runs the node until SIGINT/SIGTERM; `check` loads every
// stored key the way the node would and names those that do not load; `token` and `grant` print
// credentials for the node; `backup` and `restore` copy its SQLite store; `version`; `help`.
// Each says its options with --help. The node's settings (cohort/config.hpp) and the app's own
// options are read alike: flags, then environment (COHORT_<KEY>), then the config file
// (--config FILE), then the defaults.
//
// Order: register options and what the app serves, then run(). run() reads the settings before
// anything registered runs, so a setup function or a view factory sees every option parsed (a
// value read before run() is its default). Exit codes: 0 after a clean stop, 2 for bad usage or
// options, 1 when the app cannot start (a template error, a port in use, a setup error).
// Main thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cohort/live.hpp"
#include "cohort/node.hpp"
#include "cohort/store.hpp"

namespace cohort {

// Writes text to path with mode 0600, replacing what was there: for a secret an operator reads,
// like a sign-in link. Returns an error message naming the file, or nullopt.
std::optional<std::string> write_private_file(const std::string& path, const std::string& text);

// What an App says of itself in its usage texts.
struct AppInfo {
  std::string name = "cohort";  // the command's name
  std::string summary = "";     // one line for `serve --help`: what the app is
  // Whether the binary also offers Cohort's project commands, `new` (an app from the scaffold)
  // and `gen live` (a view in one): the `cohort` tool's, not an app's own.
  bool project_commands = false;
};

class App {
 public:
  using Info = AppInfo;
  // Defines what the app serves on a node whose settings are read, before it starts (or before
  // `check` loads its keys). An error message stops the command with exit code 1.
  using Setup = std::function<std::optional<std::string>(Node& node, live::Live& live)>;

  App(int argc, char** argv, Info info = {});
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // The app's own options. key "wip_limit" is --wip-limit, COHORT_WIP_LIMIT and config key
  // "wip_limit"; a key the node already has, or one registered twice, is an error at run().
  // The reference stays valid for the App's life and holds the parsed value once run() starts.
  const std::uint64_t& option(std::string key, std::uint64_t value, std::string help,
                              std::uint64_t min = 0, std::uint64_t max = UINT64_MAX);
  const std::string& option(std::string key, std::string value, std::string help);
  const bool& flag(std::string key, std::string help);  // false unless given

  // What the app serves. store() and live() are shorthands for a setup that defines a store
  // kind or adds a live view (path, template name, factory, page title) or component.
  App& store(StoreKind kind);
  App& live(std::string path, std::string template_name, live::ViewFactory factory, std::string title = "");
  App& component(std::string type, std::string template_name, live::ComponentFactory factory);
  App& setup(Setup define);
  // After the node has started (serve only): e.g. announce a sign-in link. An error stops the
  // node with exit code 1.
  App& on_start(Setup started);

  // Runs the command the arguments name (see above) and returns the process's exit code.
  int run();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace cohort
