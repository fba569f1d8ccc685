// main.cpp — the cohort executable.
//
// `cohort serve` runs one node: N reactor threads (one per core by default) serving HTTP,
// WebSocket and Phoenix Channels, plus the main thread, which only waits for SIGINT/SIGTERM
// and then runs the shutdown sequence (see Node). Exit codes: 0 after a clean stop, 2 for bad
// options, 1 when the node cannot start. The other subcommands are rows of kCommands; each
// runs on the main thread and returns its exit code.
#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "apps/demo_apps.hpp"
#include "apps/doc_store.hpp"
#include "apps/live_pages.hpp"
#include "apps/room.hpp"
#include "backup_commands.hpp"
#include "cohort/live.hpp"
#include "cohort/node.hpp"

namespace {

int serve(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      std::fputs(cohort::serve_usage(), stdout);
      return 0;
    }
  cohort::Config config;
  if (auto err = cohort::load_config(args, config)) {
    std::fprintf(stderr, "cohort: %s\n", err->c_str());
    return 2;
  }
  cohort::Node node(config);
  cohort::apps::install_room(node);
  cohort::apps::install_doc_store(node);
  cohort::live::Live live(node);
  cohort::apps::install_live_pages(node, live);
  cohort::apps::install_demo_apps(node, live);
  if (auto err = live.install()) {
    std::fprintf(stderr, "cohort: %s\n", err->c_str());
    return 1;
  }
  if (auto err = node.start()) {
    std::fprintf(stderr, "cohort: %s\n", err->c_str());
    return 1;
  }
  node.stop_on_signals();
  // The quiz and whiteboard moderator: whoever opens this link (the operator hands it out).
  std::printf("moderator sign-in: http://%s:%u%s\n", config.host.c_str(), node.port(),
              live.grant_link({"moderator"}, std::chrono::hours(12), "/quiz").c_str());
  std::printf("cohort listening on http://%s:%u (%u reactor threads)\n", config.host.c_str(), node.port(),
              config.reactor_count());
  std::fflush(stdout);
  node.wait();
  std::printf("cohort stopped\n");
  return 0;
}

int version(const std::vector<std::string>&) {
  std::printf("cohort 0.1.0\n");
  return 0;
}

// One subcommand: `cohort <name> ...` runs run(the arguments after the name).
struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(const std::vector<std::string>&);
};

constexpr Command kCommands[] = {
    {"serve", "run a node (cohort serve --help for its options)", serve},
    {"backup", "copy a node's SQLite store into one file while it serves (cohort backup --help)", cohort::commands::backup},
    {"restore", "put a backup in place as a data directory's store (cohort restore --help)", cohort::commands::restore},
    {"version", "print the version", version},
};

std::string usage() {
  std::string text = "usage: cohort <command> [options]\n\ncommands:\n";
  for (const Command& c : kCommands) {
    text += "  " + std::string(c.name) + std::string(c.name.size() < 10 ? 10 - c.name.size() : 1, ' ');
    text += std::string(c.summary) + "\n";
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::fputs(usage().c_str(), args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") return version({});
  for (const Command& c : kCommands)
    if (args[0] == c.name) return c.run({args.begin() + 1, args.end()});
  std::fprintf(stderr, "cohort: unknown command '%s'\n%s", args[0].c_str(), usage().c_str());
  return 2;
}
