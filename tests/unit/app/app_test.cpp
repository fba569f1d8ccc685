// app_test.cpp — include/cohort/app.hpp (src/app/app.cpp): an app's options are read like the
// node's settings (flag, environment, config file, default), checked (range, type, a key defined
// twice or shadowing a node setting), and visible to setup functions; commands and exit codes.
#include "cohort/app.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

namespace cohort {
namespace {

namespace fs = std::filesystem;

class AppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("COHORT_WIP_LIMIT");
    // The node's settings are validated too: max_connections (18000) needs the descriptor room.
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < 18064) {
      lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? 65536 : std::min<rlim_t>(lim.rlim_max, 65536);
      setrlimit(RLIMIT_NOFILE, &lim);
    }
    dir_ = fs::temp_directory_path() / ("cohort_app_test_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    unsetenv("COHORT_WIP_LIMIT");
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Runs `app <args...>` (check: reads the settings, builds the node, runs the setups, never
  // serves) with the option wip_limit (default 5, range 1..100) and a setup that records the
  // value it sees and stops the command. Returns the exit code; seen is the recorded value.
  int run_with_wip(std::vector<std::string> args, std::uint64_t& seen) {
    std::vector<std::string> argv_text = {"kanban", "check", "--data-dir", dir_.string()};
    argv_text.insert(argv_text.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    App app(static_cast<int>(argv.size()), argv.data(), {.name = "kanban"});
    const std::uint64_t& wip = app.option("wip_limit", 5, "most cards in the doing column", 1, 100);
    app.setup([&](Node&, live::Live&) -> std::optional<std::string> {
      seen = wip;
      return "stopped by the test";
    });
    return app.run();
  }

  fs::path dir_;
};

TEST_F(AppTest, AnOptionTakesItsDefaultFlagEnvironmentAndConfigFile) {
  std::uint64_t seen = 0;
  EXPECT_EQ(run_with_wip({}, seen), 1);  // 1: the setup's error stopped the command
  EXPECT_EQ(seen, 5u);
  EXPECT_EQ(run_with_wip({"--wip-limit", "7"}, seen), 1);
  EXPECT_EQ(seen, 7u);
  setenv("COHORT_WIP_LIMIT", "9", 1);
  EXPECT_EQ(run_with_wip({}, seen), 1);
  EXPECT_EQ(seen, 9u);
  EXPECT_EQ(run_with_wip({"--wip-limit=11"}, seen), 1);  // the flag beats the environment
  EXPECT_EQ(seen, 11u);
  unsetenv("COHORT_WIP_LIMIT");
  auto file = dir_ / "app.json";
  std::ofstream(file) << R"({"wip_limit": 13})";
  EXPECT_EQ(run_with_wip({"--config", file.string()}, seen), 1);
  EXPECT_EQ(seen, 13u);
}

TEST_F(AppTest, ABadValueIsAUsageErrorAndNothingRuns) {
  std::uint64_t seen = 0;
  EXPECT_EQ(run_with_wip({"--wip-limit", "500"}, seen), 2);
  EXPECT_EQ(run_with_wip({"--wip-limit", "many"}, seen), 2);
  EXPECT_EQ(run_with_wip({"--no-such-option", "1"}, seen), 2);
  EXPECT_EQ(seen, 0u) << "no setup runs when the options are wrong";
}

TEST_F(AppTest, AnOptionThatShadowsANodeSettingOrIsDefinedTwiceIsRefused) {
  for (const char* second : {"port", "wip_limit"}) {
    std::string data = dir_.string();
    std::vector<std::string> argv_text = {"kanban", "check", "--data-dir", data};
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    App app(static_cast<int>(argv.size()), argv.data());
    app.option("wip_limit", 5, "most cards");
    app.option(second, 1, "again");
    bool ran = false;
    app.setup([&](Node&, live::Live&) -> std::optional<std::string> {
      ran = true;
      return std::nullopt;
    });
    EXPECT_EQ(app.run(), 2) << second;
    EXPECT_FALSE(ran) << second;
  }
}

TEST_F(AppTest, CommandsAndExitCodes) {
  auto run = [](std::vector<std::string> argv_text) {
    std::vector<char*> argv;
    for (auto& a : argv_text) argv.push_back(a.data());
    App app(static_cast<int>(argv.size()), argv.data(), {.name = "kanban"});
    return app.run();
  };
  EXPECT_EQ(run({"kanban"}), 2);  // no command
  EXPECT_EQ(run({"kanban", "frobnicate"}), 2);
  EXPECT_EQ(run({"kanban", "version"}), 0);
  EXPECT_EQ(run({"kanban", "help"}), 0);
  EXPECT_EQ(run({"kanban", "serve", "--help"}), 0);
}

}  // namespace
}  // namespace cohort
