// main.cpp — the cohort executable.
//
// `cohort serve` runs one node: N reactor threads (one per core by default) serving HTTP,
// WebSocket and Phoenix Channels, plus the main thread, which only waits for SIGINT/SIGTERM
// and then runs the shutdown sequence (see Node). Exit codes: 0 after a clean stop, 2 for bad
// options, 1 when the node cannot start. `cohort check` builds the same app and loads every
// stored key instead of serving. `cohort token` and `cohort grant` print credentials for a node
// (credential_commands.hpp); secrets and tokens are never printed by serve, except the
// moderator's sign-in link when the operator asks for it (--print-grant). `cohort backup` and
// `cohort restore` copy a SQLite store (backup_commands.hpp). Subcommands are rows of
// kCommands; each runs on the main thread and returns its exit code.
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apps/demo_apps.hpp"
#include "apps/doc_store.hpp"
#include "apps/live_pages.hpp"
#include "apps/room.hpp"
#include "auth/secret_file.hpp"
#include "backup_commands.hpp"
#include "cohort/live.hpp"
#include "cohort/node.hpp"
#include "credential_commands.hpp"

namespace {

// The quiz and whiteboard moderator: whoever uses this link (the operator hands it out). It is
// written to <data-dir>/moderator-grant (mode 0600) and printed only with --print-grant.
std::optional<std::string> publish_moderator_grant(const cohort::Config& config, const cohort::live::Live& live,
                                                   std::uint16_t port) {
  if (auto err = live.save_grant_epoch()) return err;
  std::string link = cohort::commands::base_url(config.public_url, config.host, port, !config.tls_cert.empty()) +
                     live.grant_link({"moderator"}, std::chrono::seconds(config.grant_ttl_s), "/quiz");
  std::string path = config.data_dir + "/moderator-grant";
  if (auto err = cohort::auth::write_private_file(path, link + "\n")) return err;
  if (config.print_grant) std::printf("moderator sign-in: %s\n", link.c_str());
  else
    std::printf("moderator sign-in link: in %s (works once, for %u s; `cohort grant` makes another)\n", path.c_str(),
                config.grant_ttl_s);
  return std::nullopt;
}

// Reads the options, builds the node with every store kind, channel and live page of this binary
// (the demo apps), then hands it to run. Exit codes: 2 for bad options, 1 when the app cannot be
// built (a template error), else what run returns.
int with_app(const std::vector<std::string>& args, const char* usage,
             const std::function<int(cohort::Node&, cohort::live::Live&, const cohort::Config&)>& run) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      std::fputs(usage, stdout);
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
  return run(node, live, config);
}

int serve(cohort::Node& node, cohort::live::Live& live, const cohort::Config& config) {
  if (auto err = node.start()) {
    std::fprintf(stderr, "cohort: %s\n", err->c_str());
    return 1;
  }
  node.stop_on_signals();
  if (auto err = publish_moderator_grant(config, live, node.port())) {
    std::fprintf(stderr, "cohort: %s\n", err->c_str());
    node.stop();
    node.wait();
    return 1;
  }
  if (node.admin_port())
    std::printf("cohort admin listening on http://%s:%u\n", config.admin_host.c_str(), node.admin_port());
  std::printf("cohort listening on %s://%s:%u (%u reactor threads)\n", node.scheme(), config.host.c_str(),
              node.port(), config.reactor_count());
  std::fflush(stdout);
  node.wait();
  std::printf("cohort stopped\n");
  return 0;
}

// `cohort check`: every stored key loads, or the ones that do not are named. Exit 0 when all
// load, 1 otherwise (or when the storage cannot be read).
int check(cohort::Node& node, cohort::live::Live&, const cohort::Config& config) {
  std::size_t keys = 0, failed = 0;
  auto error = node.check_storage([&](const cohort::Node::KeyReport& r) {
    ++keys;
    if (!r.error) return;
    ++failed;
    std::printf("FAIL %s: does not load: %s\n", r.key.c_str(), r.error->c_str());
  });
  const std::string where = config.storage.empty() ? config.data_dir : std::string("the PostgreSQL storage");
  if (failed) std::printf("%zu of %zu keys do not load (%s)\n", failed, keys, where.c_str());
  else std::printf("%zu keys load (%s)\n", keys, where.c_str());
  if (error) std::printf("FAIL %s\n", error->c_str());
  return failed || error ? 1 : 0;
}

constexpr const char* kCheckUsage =
    "usage: cohort check [options]\n\n"
    "Loads every stored key the way a node would (the same options as cohort serve: --data-dir,\n"
    "--storage, --store-max-depth, ...) and names each one that does not load. Run it with the\n"
    "node stopped. Exit status 0 when every key loads, 1 otherwise.\n";

int serve_command(const std::vector<std::string>& args) { return with_app(args, cohort::serve_usage(), serve); }
int check_command(const std::vector<std::string>& args) { return with_app(args, kCheckUsage, check); }

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
    {"serve", "run a node (cohort serve --help for its options)", serve_command},
    {"check", "load every stored key and name the ones that do not load (cohort check --help)", check_command},
    {"token", "print an API token for a node (cohort token --help)", cohort::commands::token},
    {"grant", "print a single-use sign-in link for a running node (cohort grant --help)", cohort::commands::grant},
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
