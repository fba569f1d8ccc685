// cluster_config_test.cpp — the cluster settings of src/config.cpp (cluster, storage,
// cluster_heartbeat_ms, cluster_down_ms, cluster_password_file) and cluster::parse_redis_url
// (src/cluster/cluster.cpp): where the Redis is and the credentials its URL carries.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstdlib>

#include "cluster/cluster.hpp"
#include "cohort/config.hpp"

namespace cohort {
namespace {

// load_config with only these flags (and no COHORT_* cluster variables in the environment).
std::optional<std::string> load(std::vector<std::string> args, Config& c) {
  for (const char* v : {"COHORT_CLUSTER", "COHORT_STORAGE", "COHORT_CLUSTER_HEARTBEAT_MS", "COHORT_CLUSTER_DOWN_MS"})
    unsetenv(v);
  c.max_connections = 100;  // validate() checks it against the descriptor limit: keep it small
  args.insert(args.begin(), {"--max-connections", "100"});
  return load_config(args, c);
}

TEST(ClusterConfig, AloneByDefault) {
  Config c;
  EXPECT_EQ(load({}, c), std::nullopt);
  EXPECT_TRUE(c.cluster.empty());
  EXPECT_TRUE(c.storage.empty());
  EXPECT_EQ(c.cluster_heartbeat_ms, 1000u);
  EXPECT_EQ(c.cluster_down_ms, 5000u);
}

TEST(ClusterConfig, UrlsAreCheckedAndKept) {
  Config c;
  EXPECT_EQ(load({"--cluster", "redis://127.0.0.1:6380", "--storage", "postgres://u@db:5432/cohort"}, c), std::nullopt);
  EXPECT_EQ(c.cluster, "redis://127.0.0.1:6380");
  EXPECT_EQ(c.storage, "postgres://u@db:5432/cohort");
  Config d;
  EXPECT_EQ(load({"--storage", "postgresql://db/cohort"}, d), std::nullopt);
  for (auto bad : std::vector<std::vector<std::string>>{{"--cluster", "127.0.0.1:6379"},
                                                        {"--cluster", "http://127.0.0.1:6379"},
                                                        {"--cluster", "redis://"},
                                                        {"--storage", "sqlite://x"},
                                                        {"--storage", "not a url"}}) {
    Config e;
    auto err = load(bad, e);
    ASSERT_TRUE(err.has_value()) << bad[1];
    EXPECT_NE(err->find(bad[0]), std::string::npos) << *err;
  }
}

TEST(ClusterConfig, DownBoundMustCoverTwoHeartbeats) {
  Config c;
  auto err = load({"--cluster-heartbeat-ms", "1000", "--cluster-down-ms", "1500"}, c);
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->find("cluster_down_ms"), std::string::npos) << *err;
  Config d;
  EXPECT_EQ(load({"--cluster-heartbeat-ms", "200", "--cluster-down-ms", "1000"}, d), std::nullopt);
}

TEST(ParseRedisUrl, HostAndPort) {
  auto a = cluster::parse_redis_url("redis://127.0.0.1:7000");
  ASSERT_TRUE(std::holds_alternative<cluster::RedisTarget>(a));
  EXPECT_EQ(std::get<cluster::RedisTarget>(a).address.host, "127.0.0.1");
  EXPECT_EQ(std::get<cluster::RedisTarget>(a).address.port, 7000);
  EXPECT_TRUE(std::get<cluster::RedisTarget>(a).auth.password.empty());
  auto b = cluster::parse_redis_url("redis://localhost/");
  ASSERT_TRUE(std::holds_alternative<cluster::RedisTarget>(b));
  EXPECT_EQ(std::get<cluster::RedisTarget>(b).address.port, 6379);
  auto v6 = cluster::parse_redis_url("redis://[::1]:7001");
  ASSERT_TRUE(std::holds_alternative<cluster::RedisTarget>(v6));
  EXPECT_EQ(std::get<cluster::RedisTarget>(v6).address.host, "::1");
  for (auto bad : {"redis://h:1/2", "redis://h:1?password=x", "rediss://h:1", "redis://h:0", "nope", "redis://:@h:1"})
    EXPECT_TRUE(std::holds_alternative<std::string>(cluster::parse_redis_url(bad))) << bad;
}

TEST(ParseRedisUrl, CredentialsFromTheUserinfo) {
  auto pw = cluster::parse_redis_url("redis://:hunter2@127.0.0.1:7000");
  ASSERT_TRUE(std::holds_alternative<cluster::RedisTarget>(pw));
  EXPECT_EQ(std::get<cluster::RedisTarget>(pw).auth.user, "");
  EXPECT_EQ(std::get<cluster::RedisTarget>(pw).auth.password, "hunter2");
  // An ACL user; both parts percent-decoded (a password may hold '@', ':' or '/').
  auto acl = cluster::parse_redis_url("redis://cohort%2Dnode:p%40ss%3Aw%2Frd@db:7000");
  ASSERT_TRUE(std::holds_alternative<cluster::RedisTarget>(acl));
  EXPECT_EQ(std::get<cluster::RedisTarget>(acl).auth.user, "cohort-node");
  EXPECT_EQ(std::get<cluster::RedisTarget>(acl).auth.password, "p@ss:w/rd");
  EXPECT_EQ(std::get<cluster::RedisTarget>(acl).address.host, "db");
  // A user alone: its password comes from --cluster-password-file (Cluster::join checks).
  auto user = cluster::parse_redis_url("redis://cohort@db");
  ASSERT_TRUE(std::holds_alternative<cluster::RedisTarget>(user));
  EXPECT_EQ(std::get<cluster::RedisTarget>(user).auth.user, "cohort");
  EXPECT_TRUE(std::get<cluster::RedisTarget>(user).auth.password.empty());
}

TEST(ParseRedisUrl, ErrorsNeverShowThePassword) {
  for (auto bad : {"redis://:hunter2@h:1/0", "redis://u:hunter2@h:0", "rediss://u:hunter2@h", "redis://u:hunter2@h?x=1"}) {
    auto r = cluster::parse_redis_url(bad);
    ASSERT_TRUE(std::holds_alternative<std::string>(r)) << bad;
    EXPECT_EQ(std::get<std::string>(r).find("hunter2"), std::string::npos) << std::get<std::string>(r);
    EXPECT_NE(std::get<std::string>(r).find("***"), std::string::npos) << std::get<std::string>(r);
  }
}

TEST(ClusterConfig, PasswordFileNeedsACluster) {
  unsetenv("COHORT_CLUSTER_PASSWORD_FILE");
  Config c;
  auto err = load({"--cluster-password-file", "/etc/cohort/redis-password"}, c);
  ASSERT_TRUE(err.has_value());
  EXPECT_NE(err->find("cluster_password_file"), std::string::npos) << *err;
  Config d;
  EXPECT_EQ(load({"--cluster", "redis://cohort@127.0.0.1:6380", "--cluster-password-file", "/x"}, d), std::nullopt);
  EXPECT_EQ(d.cluster_password_file, "/x");
}

}  // namespace
}  // namespace cohort
