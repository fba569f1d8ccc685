// config_test.cpp — include/cohort/config.hpp (src/config.cpp): defaults, precedence
// flags > environment > config file, clear errors for bad values, validate() relationships.
#include "cohort/config.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace cohort {
namespace {

namespace fs = std::filesystem;

// Every environment variable load_config reads.
const char* const kEnvVars[] = {
    "COHORT_HOST",      "COHORT_PORT",        "COHORT_THREADS",      "COHORT_DATA_DIR",
    "COHORT_STATIC_DIR", "COHORT_MAX_FRAME",  "COHORT_OUTBOUND_QUEUE_LIMIT", "COHORT_MAX_CONNECTIONS",
    "COHORT_IDLE_TIMEOUT_MS", "COHORT_MAX_HEADER_BYTES", "COHORT_PRESENCE_TICK_MS", "COHORT_SHUTDOWN_GRACE_MS",
    "COHORT_PRESENCE_MAX_STRETCH",
    "COHORT_SECRET", "COHORT_PRINT_GRANT", "COHORT_GRANT_TTL_S", "COHORT_ROLE_TTL_S",
};

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* v : kEnvVars) unsetenv(v);
    // validate() compares max_connections (default 18000) with the descriptor limit: raise the
    // soft limit as far as the hard one allows so the defaults are valid here.
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < 18064) {
      lim.rlim_cur = lim.rlim_max == RLIM_INFINITY ? 65536 : std::min<rlim_t>(lim.rlim_max, 65536);
      setrlimit(RLIMIT_NOFILE, &lim);
    }
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
    ASSERT_TRUE(lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur >= 18064)
        << "these tests need a descriptor limit of at least 18064 (the default max_connections + 64); "
        << "this process has " << lim.rlim_cur << " and cannot raise it";
    dir_ = fs::temp_directory_path() /
           ("cohort_config_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    for (const char* v : kEnvVars) unsetenv(v);
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  std::string write_file(const std::string& name, const std::string& text) {
    auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }
  static std::optional<std::string> load(std::vector<std::string> args, Config& c) { return load_config(args, c); }

  fs::path dir_;
};

// Expects an error that contains every one of parts.
#define EXPECT_ERROR_MENTIONS(result, ...)                                          \
  do {                                                                              \
    auto r_ = (result);                                                             \
    ASSERT_TRUE(r_.has_value()) << "expected an error";                             \
    for (const std::string& part : std::initializer_list<std::string>{__VA_ARGS__})                                          \
      EXPECT_NE(r_->find(part), std::string::npos) << "'" << *r_ << "' lacks '" << part << "'"; \
  } while (0)

TEST_F(ConfigTest, DefaultsWithNoSources) {
  Config c;
  auto err = load({}, c);
  ASSERT_FALSE(err) << *err;
  Config d;
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 4000);
  EXPECT_EQ(c.threads, 0u);
  EXPECT_EQ(c.max_frame, d.max_frame);
  EXPECT_EQ(c.max_frame, 1u << 20);
  EXPECT_EQ(c.idle_timeout_ms, 60000u);
  EXPECT_EQ(c.presence_tick_ms, 50u);
}

TEST_F(ConfigTest, FlagsInBothForms) {
  Config c;
  auto err = load({"--port", "5000", "--host=0.0.0.0", "--data-dir", "/tmp/x", "--max-frame=2048",
                   "--idle-timeout-ms", "1500", "--threads=3", "--static-dir", "www"},
                  c);
  ASSERT_FALSE(err) << *err;
  EXPECT_EQ(c.port, 5000);
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.data_dir, "/tmp/x");
  EXPECT_EQ(c.max_frame, 2048u);
  EXPECT_EQ(c.idle_timeout_ms, 1500u);
  EXPECT_EQ(c.threads, 3u);
  EXPECT_EQ(c.static_dir, "www");
  EXPECT_EQ(c.reactor_count(), 3u);
}

TEST_F(ConfigTest, EnvironmentVariables) {
  setenv("COHORT_PORT", "6000", 1);
  setenv("COHORT_DATA_DIR", "/var/cohort", 1);
  setenv("COHORT_PRESENCE_TICK_MS", "20", 1);
  setenv("COHORT_UNKNOWN_THING", "ignored", 1);
  Config c;
  auto err = load({}, c);
  unsetenv("COHORT_UNKNOWN_THING");
  ASSERT_FALSE(err) << *err;
  EXPECT_EQ(c.port, 6000);
  EXPECT_EQ(c.data_dir, "/var/cohort");
  EXPECT_EQ(c.presence_tick_ms, 20u);
}

TEST_F(ConfigTest, ConfigFile) {
  auto path = write_file("c.json", R"({"port": 7000, "host": "0.0.0.0", "idle_timeout_ms": "2500",
                                       "max_frame": 4096, "shutdown_grace_ms": 0})");
  for (auto args : {std::vector<std::string>{"--config", path}, std::vector<std::string>{"--config=" + path}}) {
    Config c;
    auto err = load(args, c);
    ASSERT_FALSE(err) << *err;
    EXPECT_EQ(c.port, 7000);
    EXPECT_EQ(c.host, "0.0.0.0");
    EXPECT_EQ(c.idle_timeout_ms, 2500u);
    EXPECT_EQ(c.max_frame, 4096u);
    EXPECT_EQ(c.shutdown_grace_ms, 0u);
  }
}

TEST_F(ConfigTest, FlagsBeatEnvironmentWhichBeatsTheFile) {
  auto path = write_file("c.json", R"({"port": 7000, "threads": 7, "data_dir": "from-file", "host": "10.0.0.7"})");
  setenv("COHORT_PORT", "6000", 1);
  setenv("COHORT_THREADS", "6", 1);
  Config c;
  // The flag comes before --config on the command line: position must not matter.
  auto err = load({"--port", "5000", "--config", path}, c);
  ASSERT_FALSE(err) << *err;
  EXPECT_EQ(c.port, 5000);            // flag
  EXPECT_EQ(c.threads, 6u);           // env over file
  EXPECT_EQ(c.data_dir, "from-file");  // file only
  EXPECT_EQ(c.host, "10.0.0.7");

  Config no_flag;
  err = load({"--config", path}, no_flag);
  ASSERT_FALSE(err) << *err;
  EXPECT_EQ(no_flag.port, 6000);

  unsetenv("COHORT_PORT");
  Config file_only;
  err = load({"--config", path}, file_only);
  ASSERT_FALSE(err) << *err;
  EXPECT_EQ(file_only.port, 7000);
}

TEST_F(ConfigTest, BadFlagValuesNameTheFlagAndTheProblem) {
  Config c;
  EXPECT_ERROR_MENTIONS(load({"--port", "abc"}, c), "--port", "'abc'", "not a whole number");
  EXPECT_ERROR_MENTIONS(load({"--port", "70000"}, c), "--port", "out of range", "65535");
  EXPECT_ERROR_MENTIONS(load({"--port", "-1"}, c), "--port", "not a whole number");
  EXPECT_ERROR_MENTIONS(load({"--port", "80x"}, c), "--port", "not a whole number");
  EXPECT_ERROR_MENTIONS(load({"--port", ""}, c), "--port", "not a whole number");
  EXPECT_ERROR_MENTIONS(load({"--threads=65"}, c), "--threads", "out of range [0, 64]");
  EXPECT_ERROR_MENTIONS(load({"--max-frame", "10"}, c), "--max-frame", "out of range");
  EXPECT_ERROR_MENTIONS(load({"--idle-timeout-ms", "99"}, c), "--idle-timeout-ms", "out of range");
  EXPECT_ERROR_MENTIONS(load({"--max-connections", "0"}, c), "--max-connections", "out of range");
  EXPECT_ERROR_MENTIONS(load({"--max-frame", "99999999999999999999999"}, c), "--max-frame");
}

TEST_F(ConfigTest, UnknownOptionsAndMissingValues) {
  Config c;
  EXPECT_ERROR_MENTIONS(load({"--prot", "1"}, c), "unknown option '--prot'");
  EXPECT_ERROR_MENTIONS(load({"port", "1"}, c), "unknown option 'port'");
  EXPECT_ERROR_MENTIONS(load({"--port"}, c), "--port needs a value");
  EXPECT_ERROR_MENTIONS(load({"--config"}, c), "--config needs a file");
  EXPECT_ERROR_MENTIONS(load({"--data_dir", "x"}, c), "unknown option '--data_dir'");  // flags use dashes
}

TEST_F(ConfigTest, BadEnvironmentValueNamesTheVariable) {
  setenv("COHORT_PORT", "lots", 1);
  Config c;
  EXPECT_ERROR_MENTIONS(load({}, c), "COHORT_PORT", "'lots'", "not a whole number");
  setenv("COHORT_PORT", "4000", 1);
  setenv("COHORT_MAX_HEADER_BYTES", "5", 1);
  EXPECT_ERROR_MENTIONS(load({}, c), "COHORT_MAX_HEADER_BYTES", "out of range");
}

TEST_F(ConfigTest, BadConfigFilesSayWhatIsWrong) {
  Config c;
  auto missing = (dir_ / "nope.json").string();
  EXPECT_ERROR_MENTIONS(load({"--config", missing}, c), "cannot read config file", missing);
  auto not_json = write_file("bad.json", "{port: 1");
  EXPECT_ERROR_MENTIONS(load({"--config", not_json}, c), not_json, "not a JSON object");
  auto array = write_file("array.json", "[1,2]");
  EXPECT_ERROR_MENTIONS(load({"--config", array}, c), array, "not a JSON object");
  auto unknown = write_file("unknown.json", R"({"prot": 1})");
  EXPECT_ERROR_MENTIONS(load({"--config", unknown}, c), "unknown key 'prot'");
  auto boolean = write_file("bool.json", R"({"port": true})");  // booleans are for boolean settings
  EXPECT_ERROR_MENTIONS(load({"--config", boolean}, c), "'port'", "string or a number");
  auto list = write_file("list.json", R"({"port": [4000]})");
  EXPECT_ERROR_MENTIONS(load({"--config", list}, c), "'port'", "string or a number");
  auto range = write_file("range.json", R"({"port": 123456})");
  EXPECT_ERROR_MENTIONS(load({"--config", range}, c), "key port", "out of range");
  auto negative = write_file("negative.json", R"({"threads": -2})");
  EXPECT_ERROR_MENTIONS(load({"--config", negative}, c), "key threads", "not a whole number");
}

TEST_F(ConfigTest, FractionalNumberInTheFileIsCalledOutAsNotWhole) {
  // 4000.5 is a JSON number: an error saying it "must be a string or a number" would be wrong.
  auto path = write_file("fraction.json", R"({"port": 4000.5})");
  Config c;
  EXPECT_ERROR_MENTIONS(load({"--config", path}, c), "port", "whole number");
}

TEST_F(ConfigTest, ValidateChecksTheQueueAgainstTheFrameSize) {
  Config c;
  c.max_frame = 1 << 20;
  c.outbound_queue_limit = 1 << 20;
  EXPECT_ERROR_MENTIONS(c.validate(), "outbound_queue_limit", "max_frame", "1048576");
  c.outbound_queue_limit = (1 << 20) + 16;
  EXPECT_FALSE(c.validate());

  Config via_flags;
  EXPECT_ERROR_MENTIONS(load({"--max-frame", "1048576", "--outbound-queue-limit", "65536"}, via_flags),
                        "outbound_queue_limit", "max_frame");
}

TEST_F(ConfigTest, ValidateChecksTheExposureSettings) {
  Config c;
  EXPECT_ERROR_MENTIONS(load({"--tls-cert", "cert.pem"}, c), "tls_cert and tls_key go together");
  Config redirect;
  EXPECT_ERROR_MENTIONS(load({"--tls-redirect-port", "8080"}, redirect), "tls_redirect_port", "needs tls_cert");
  Config origins;
  EXPECT_ERROR_MENTIONS(load({"--allowed-origins", "example.com"}, origins), "allowed_origins entry 'example.com'");
  Config hosts;
  EXPECT_ERROR_MENTIONS(load({"--allowed-hosts", "a.example, bad host"}, hosts), "allowed_hosts entry 'bad host'");
  Config check;
  ASSERT_FALSE(load({"--check-origin", "false", "--allowed-origins", "https://*.example.com", "--allowed-hosts", "*"}, check));
  EXPECT_FALSE(check.check_origin);
}

TEST_F(ConfigTest, ValidateChecksConnectionsAgainstTheDescriptorLimit) {
  rlimit lim{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  if (lim.rlim_cur == RLIM_INFINITY) {  // give the process a finite soft limit (always allowed)
    lim.rlim_cur = 20000;
    ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lim), 0);
  }
  Config c;
  c.max_connections = lim.rlim_cur;  // no room for the 64 reserved descriptors
  EXPECT_ERROR_MENTIONS(c.validate(), "max_connections", "descriptor limit", std::to_string(lim.rlim_cur));
  c.max_connections = lim.rlim_cur - 64;
  EXPECT_FALSE(c.validate());
}

TEST_F(ConfigTest, ValidateRejectsAnEmptyHost) {
  Config c;
  EXPECT_ERROR_MENTIONS(load({"--host="}, c), "host must not be empty");
}

TEST_F(ConfigTest, ReactorCountResolvesZeroToTheCores) {
  Config c;
  c.threads = 0;
  EXPECT_GE(c.reactor_count(), 1u);
  c.threads = 5;
  EXPECT_EQ(c.reactor_count(), 5u);
}

TEST_F(ConfigTest, UsageListsEveryOptionWithItsVariable) {
  std::string usage = serve_usage();
  for (const char* part : {"--config FILE", "--port", "COHORT_PORT", "--max-frame", "COHORT_MAX_FRAME",
                           "--outbound-queue-limit", "--idle-timeout-ms", "--presence-tick-ms",
                           "--shutdown-grace-ms", "\"data_dir\""})
    EXPECT_NE(usage.find(part), std::string::npos) << part;
}

// The cap on a big presence topic's stretched tick (presence_shard.hpp): 20 by default, 1 never
// stretches, 0 is refused.
TEST_F(ConfigTest, PresenceMaxStretch) {
  Config c;
  EXPECT_EQ(c.presence_max_stretch, 20u);
  ASSERT_FALSE(load({"--presence-max-stretch", "1"}, c));
  EXPECT_EQ(c.presence_max_stretch, 1u);
  setenv("COHORT_PRESENCE_MAX_STRETCH", "5", 1);
  Config e;
  ASSERT_FALSE(load({}, e));
  EXPECT_EQ(e.presence_max_stretch, 5u);
  Config bad;
  auto err = load({"--presence-max-stretch", "0"}, bad);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("--presence-max-stretch"), std::string::npos) << *err;
  EXPECT_NE(std::string(serve_usage()).find("--presence-max-stretch"), std::string::npos);
}

// Sign-in settings (docs/security.md): short single-use grants, expiring roles, and a link that
// is printed only when asked for. A boolean flag may stand alone.
TEST_F(ConfigTest, SigninSettings) {
  Config c;
  EXPECT_EQ(c.grant_ttl_s, 600u);
  EXPECT_EQ(c.role_ttl_s, 43200u);
  EXPECT_FALSE(c.print_grant);
  ASSERT_FALSE(load({"--print-grant", "--grant-ttl-s", "120"}, c));
  EXPECT_TRUE(c.print_grant);
  EXPECT_EQ(c.grant_ttl_s, 120u);
  Config last;
  ASSERT_FALSE(load({"--grant-ttl-s", "60", "--print-grant"}, last));
  EXPECT_TRUE(last.print_grant);
  Config off;
  ASSERT_FALSE(load({"--print-grant", "false"}, off));
  EXPECT_FALSE(off.print_grant);
  auto file = write_file("grant.json", R"({"print_grant": true, "role_ttl_s": 3600})");
  Config f;
  ASSERT_FALSE(load({"--config", file}, f));
  EXPECT_TRUE(f.print_grant);
  EXPECT_EQ(f.role_ttl_s, 3600u);
  Config bad;
  EXPECT_ERROR_MENTIONS(load({"--grant-ttl-s", "0"}, bad), "--grant-ttl-s", "out of range");
}

// A URL setting's error never shows the password it carried.
TEST_F(ConfigTest, URLErrorsHideThePassword) {
  Config c;
  auto err = load({"--storage", "mysql://app:hunter2@db/x"}, c);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->find("hunter2"), std::string::npos) << *err;
  EXPECT_NE(err->find("app:***@db"), std::string::npos) << *err;
}

TEST_F(ConfigTest, ParserLimits) {
  Config d;
  EXPECT_EQ(d.json_max_depth, 64u);
  EXPECT_EQ(d.json_max_bytes, 1u << 20);
  EXPECT_EQ(d.form_max_depth, 32u);
  Config c;
  ASSERT_FALSE(load({"--json-max-depth", "100", "--json-max-bytes", "4096", "--form-max-depth", "4"}, c));
  EXPECT_EQ(c.json_max_depth, 100u);
  EXPECT_EQ(c.json_max_bytes, 4096u);
  EXPECT_EQ(c.form_max_depth, 4u);
  Config range;
  EXPECT_ERROR_MENTIONS(load({"--json-max-depth", "100000"}, range), "--json-max-depth", "out of range");
  // A client must be able to send an op that writes the deepest state a store accepts.
  Config store;
  EXPECT_ERROR_MENTIONS(load({"--store-max-depth", "64"}, store), "json_max_depth (64)", "store_max_depth (64) + 8");
  Config both;
  EXPECT_FALSE(load({"--store-max-depth", "64", "--json-max-depth", "72"}, both));
  // A decoded form nests one level per bracket: it must fit the JSON depth.
  Config form;
  EXPECT_ERROR_MENTIONS(load({"--json-max-depth", "40", "--form-max-depth", "39"}, form), "form_max_depth (39)",
                        "json_max_depth (40)");
}

TEST_F(ConfigTest, AConfigFileNestedTooDeeplyIsAnErrorNotACrash) {
  auto path = write_file("deep.json", std::string(100'000, '[') + std::string(100'000, ']'));
  Config c;
  EXPECT_ERROR_MENTIONS(load({"--config", path}, c), "is not a JSON object");
  auto garbage = write_file("garbage.json", std::string("{\"port\": \"\xff\xfe\"}"));  // not UTF-8
  Config g;
  EXPECT_ERROR_MENTIONS(load({"--config", garbage}, g), "is not a JSON object");
}

}  // namespace
}  // namespace cohort

// The per-client limits (docs/security.md, "Limits per client"): defaults safe for the internet,
// 0 turning the rates and the per-address count off, trusted proxies checked at start.
namespace cohort {
namespace {

TEST_F(ConfigTest, PerClientLimits) {
  Config d;
  EXPECT_EQ(d.socket_messages_per_s, 100u);
  EXPECT_EQ(d.socket_message_burst, 200u);
  EXPECT_EQ(d.socket_max_channels, 100u);
  EXPECT_EQ(d.socket_max_presences, 100u);
  EXPECT_EQ(d.socket_max_pending_replies, 100u);
  EXPECT_EQ(d.ip_max_connections, 256u);
  EXPECT_EQ(d.ip_connections_per_s, 50u);
  EXPECT_EQ(d.ip_connection_burst, 100u);
  EXPECT_EQ(d.trusted_proxies, "");
  EXPECT_EQ(d.presence_max_meta_bytes, 1024u);
  EXPECT_EQ(d.presence_max_topic_entries, 20000u);
  EXPECT_FALSE(d.validate());

  Config off;
  ASSERT_FALSE(load({"--socket-messages-per-s", "0", "--ip-max-connections", "0", "--ip-connections-per-s", "0",
                     "--trusted-proxies", "127.0.0.1, 10.0.0.0/8, ::1"},
                    off));
  EXPECT_EQ(off.socket_messages_per_s, 0u);
  EXPECT_EQ(off.ip_max_connections, 0u);
  EXPECT_EQ(off.trusted_proxies, "127.0.0.1, 10.0.0.0/8, ::1");

  Config burst;
  EXPECT_ERROR_MENTIONS(load({"--socket-message-burst", "0"}, burst), "--socket-message-burst");
  Config proxies;
  EXPECT_ERROR_MENTIONS(load({"--trusted-proxies", "10.0.0.0/33"}, proxies), "trusted_proxies", "10.0.0.0/33");
  Config meta;
  EXPECT_ERROR_MENTIONS(load({"--max-frame", "4096", "--outbound-queue-limit", "8192", "--presence-max-meta-bytes", "8192"}, meta),
                        "presence_max_meta_bytes", "outbound_queue_limit");
  for (const char* flag : {"--socket-messages-per-s", "--ip-max-connections", "--trusted-proxies", "--presence-max-topic-entries"})
    EXPECT_NE(std::string(serve_usage()).find(flag), std::string::npos) << flag;
}

}  // namespace
}  // namespace cohort
