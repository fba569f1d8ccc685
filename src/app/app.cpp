// app.cpp — cohort::App: the command table, the app's options, and serve / check over a Node.
//
// run() picks the command, reads the node's settings with the app's options (load_config with
// ExtraSettings that write into the App's own storage), builds the Node and its Live, runs
// every registered setup in order, installs the live views, then serves or checks. The
// commands that only need the settings (token, grant) or none (backup, restore) are rows of
// the same table.
#include "cohort/app.hpp"

#include <cstdio>
#include <deque>
#include <string_view>
#include <vector>

#include "app/backup_commands.hpp"
#include "app/credential_commands.hpp"
#include "app/scaffold.hpp"
#include "app/status_command.hpp"
#include "auth/secret_file.hpp"
#include "cohort/config.hpp"

namespace cohort {

namespace {

// One subcommand: `<app> <name> ...` runs run(the arguments after the name).
struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(App::Impl&, const std::vector<std::string>&);
};

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "cohort: %s\n", message.c_str());
  return code;
}

int print(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  return 0;
}

bool asks_help(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}

std::optional<std::string> parse_unsigned(std::string_view text, std::uint64_t min, std::uint64_t max,
                                          std::uint64_t& out) {
  std::uint64_t v = 0;
  if (text.empty()) return "'' is not a whole number";
  for (char c : text) {
    if (c < '0' || c > '9') return "'" + std::string(text) + "' is not a whole number";
    if (v > (UINT64_MAX - static_cast<unsigned>(c - '0')) / 10) return "'" + std::string(text) + "' is too large";
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v < min || v > max)
    return "'" + std::string(text) + "' is out of range [" + std::to_string(min) + ", " + std::to_string(max) + "]";
  out = v;
  return std::nullopt;
}

}  // namespace

struct App::Impl {
  Info info;
  std::vector<std::string> args;
  std::deque<std::uint64_t> numbers;  // deques: option references stay valid as more are added
  std::deque<std::string> texts;
  std::deque<bool> flags;
  std::vector<ExtraSetting> options;
  std::vector<Setup> setups;
  std::vector<Setup> starts;

  std::string usage_head(std::string_view command, std::string_view what) const {
    return "usage: " + info.name + " " + std::string(command) + " [options]\n\n" + std::string(what) + "\n\n";
  }

  // Reads the settings, builds the node and what the app serves, then hands them to use.
  template <class Use>
  int with_node(Use&& use) {
    Config config;
    if (auto err = load_config(args, config, options)) return fail(2, *err);
    Node node(config);
    live::Live live(node);
    for (auto& define : setups)
      if (auto err = define(node, live)) return fail(1, *err);
    if (auto err = live.install()) return fail(1, *err);
    return use(node, live, config);
  }
};

namespace {

int serve(App::Impl& app, const std::vector<std::string>& args) {
  app.args = args;
  std::string what = app.info.summary.empty() ? "Runs the app's node." : app.info.summary;
  if (asks_help(args)) return print(settings_usage(app.usage_head("serve", what), app.options));
  return app.with_node([&](Node& node, live::Live& live, const Config& config) {
    if (auto err = node.start()) return fail(1, *err);
    node.stop_on_signals();
    for (auto& started : app.starts)
      if (auto err = started(node, live)) {
        node.stop();
        node.wait();
        return fail(1, *err);
      }
    if (node.admin_port())
      std::printf("cohort admin listening on http://%s:%u\n", config.admin_host.c_str(), node.admin_port());
    std::printf("cohort listening on %s://%s:%u (%u reactor threads)\n", node.scheme(), config.host.c_str(),
                node.port(), config.reactor_count());
    std::fflush(stdout);
    node.wait();
    std::printf("cohort stopped\n");
    return 0;
  });
}

constexpr const char* kCheckHelp =
    "Loads every stored key the way a node would (the same options as serve: --data-dir,\n"
    "--storage, --store-max-depth, ...) and names each one that does not load. Run it with the\n"
    "node stopped. Exit status 0 when every key loads, 1 otherwise.";

// `check`: every stored key loads, or the ones that do not are named. Exit 0 when all load.
int check(App::Impl& app, const std::vector<std::string>& args) {
  app.args = args;
  if (asks_help(args)) return print(settings_usage(app.usage_head("check", kCheckHelp), app.options));
  return app.with_node([](Node& node, live::Live&, const Config& config) {
    std::size_t keys = 0, failed = 0;
    auto error = node.check_storage([&](const Node::KeyReport& r) {
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
  });
}

int token(App::Impl& app, const std::vector<std::string>& args) { return commands::token(args, app.options); }
int grant(App::Impl& app, const std::vector<std::string>& args) { return commands::grant(args, app.options); }
int backup(App::Impl&, const std::vector<std::string>& args) { return commands::backup(args); }
int restore(App::Impl&, const std::vector<std::string>& args) { return commands::restore(args); }
int status(App::Impl&, const std::vector<std::string>& args) { return commands::status(args); }
int version(App::Impl& app, const std::vector<std::string>&) {
  if (app.info.name == "cohort") std::printf("cohort %s\n", COHORT_VERSION);
  else std::printf("%s (cohort %s)\n", app.info.name.c_str(), COHORT_VERSION);
  return 0;
}

constexpr Command kCommands[] = {
    {"serve", "run the node (serve --help for its options)", serve},
    {"check", "load every stored key and name the ones that do not load (check --help)", check},
    {"token", "print an API token for the node (token --help)", token},
    {"grant", "print a single-use sign-in link for the running node (grant --help)", grant},
    {"backup", "copy the node's SQLite store into one file while it serves (backup --help)", backup},
    {"restore", "put a backup in place as a data directory's store (restore --help)", restore},
    {"status", "print a running node's and its cluster's figures (status --url URL [--token T])", status},
    {"version", "print the version", version},
};

int new_app(App::Impl&, const std::vector<std::string>& args) { return commands::new_app(args, COHORT_VERSION); }
int generate(App::Impl&, const std::vector<std::string>& args) { return commands::generate(args, COHORT_VERSION); }

// With AppInfo::project_commands.
constexpr Command kProjectCommands[] = {
    {"new", "write a new Cohort app (new --help)", new_app},
    {"gen", "add a live view to an app (gen --help)", generate},
};

std::string usage(const App::Info& info) {
  std::string text = "usage: " + info.name + " <command> [options]\n\ncommands:\n";
  auto line = [&](const Command& c) {
    text += "  " + std::string(c.name) + std::string(c.name.size() < 10 ? 10 - c.name.size() : 1, ' ');
    text += std::string(c.summary) + "\n";
  };
  for (const Command& c : kCommands) line(c);
  if (info.project_commands)
    for (const Command& c : kProjectCommands) line(c);
  return text;
}

}  // namespace

std::optional<std::string> write_private_file(const std::string& path, const std::string& text) {
  return auth::write_private_file(path, text);
}

App::App(int argc, char** argv, Info info) : impl_(std::make_unique<Impl>()) {
  impl_->info = std::move(info);
  for (int i = 1; i < argc; ++i) impl_->args.emplace_back(argv[i]);
}

App::~App() = default;

const std::uint64_t& App::option(std::string key, std::uint64_t value, std::string help, std::uint64_t min,
                                 std::uint64_t max) {
  std::uint64_t& slot = impl_->numbers.emplace_back(value);
  help += " (default " + std::to_string(value) + ")";
  impl_->options.push_back({std::move(key), std::move(help), [&slot, min, max](std::string_view v) {
                              return parse_unsigned(v, min, max, slot);
                            }});
  return slot;
}

const std::string& App::option(std::string key, std::string value, std::string help) {
  if (!value.empty()) help += " (default " + value + ")";
  std::string& slot = impl_->texts.emplace_back(std::move(value));
  impl_->options.push_back({std::move(key), std::move(help), [&slot](std::string_view v) -> std::optional<std::string> {
                              slot = std::string(v);
                              return std::nullopt;
                            }});
  return slot;
}

const bool& App::flag(std::string key, std::string help) {
  bool& slot = impl_->flags.emplace_back(false);
  impl_->options.push_back({std::move(key), std::move(help),
                            [&slot](std::string_view v) -> std::optional<std::string> {
                              if (v == "true" || v == "1") slot = true;
                              else if (v == "false" || v == "0") slot = false;
                              else return "'" + std::string(v) + "' is not true or false";
                              return std::nullopt;
                            },
                            true});
  return slot;
}

App& App::store(StoreKind kind) {
  return setup([kind = std::move(kind)](Node& node, live::Live&) mutable -> std::optional<std::string> {
    node.stores().define(std::move(kind));
    return std::nullopt;
  });
}

App& App::live(std::string path, std::string template_name, live::ViewFactory factory, std::string title) {
  return setup([=](Node&, live::Live& live) -> std::optional<std::string> {
    live.view(path, template_name, factory, title);
    return std::nullopt;
  });
}

App& App::component(std::string type, std::string template_name, live::ComponentFactory factory) {
  return setup([=](Node&, live::Live& live) -> std::optional<std::string> {
    live.component(type, template_name, factory);
    return std::nullopt;
  });
}

App& App::setup(Setup define) {
  impl_->setups.push_back(std::move(define));
  return *this;
}

App& App::on_start(Setup started) {
  impl_->starts.push_back(std::move(started));
  return *this;
}

int App::run() {
  const auto& args = impl_->args;
  if (args.empty()) return fail(2, "no command\n" + usage(impl_->info));
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") return print(usage(impl_->info));
  if (args[0] == "--version") return version(*impl_, {});
  for (const Command& c : kCommands)
    if (args[0] == c.name) return c.run(*impl_, {args.begin() + 1, args.end()});
  if (impl_->info.project_commands)
    for (const Command& c : kProjectCommands)
      if (args[0] == c.name) return c.run(*impl_, {args.begin() + 1, args.end()});
  return fail(2, "unknown command '" + args[0] + "'\n" + usage(impl_->info));
}

}  // namespace cohort
