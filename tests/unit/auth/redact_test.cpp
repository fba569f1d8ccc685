// redact_test.cpp — src/auth/redact.cpp: passwords never survive redact_url, whatever the shape.
#include "auth/redact.hpp"

#include <gtest/gtest.h>

namespace cohort::auth {
namespace {

TEST(RedactTest, HidesTheUserinfoPasswordAndKeepsTheRest) {
  EXPECT_EQ(redact_url("postgres://app:hunter2@db.internal:5432/cohort"), "postgres://app:***@db.internal:5432/cohort");
  EXPECT_EQ(redact_url("postgresql://app:p%40ss@db/x?sslmode=require"), "postgresql://app:***@db/x?sslmode=require");
  EXPECT_EQ(redact_url("redis://:hunter2@127.0.0.1:6379"), "redis://:***@127.0.0.1:6379");
}

TEST(RedactTest, HidesALoneUserinfoSinceRedisReadsItAsAPassword) {
  EXPECT_EQ(redact_url("redis://hunter2@127.0.0.1:6379"), "redis://***@127.0.0.1:6379");
}

TEST(RedactTest, LeavesURLsWithoutCredentialsAlone) {
  for (const char* url : {"postgres://db:5432/cohort", "redis://127.0.0.1:6379", "", "not a url", "postgres://h/db?sslmode=disable"})
    EXPECT_EQ(redact_url(url), url);
}

TEST(RedactTest, HidesPasswordsInQueryParameters) {
  EXPECT_EQ(redact_url("postgres://db/x?user=app&password=hunter2&sslmode=require"),
            "postgres://db/x?user=app&password=***&sslmode=require");
  EXPECT_EQ(redact_url("postgres://db/x?sslpassword=k#frag"), "postgres://db/x?sslpassword=***#frag");
}

TEST(RedactTest, MalformedTextIsRedactedByShape) {
  // Unescaped '/', '?', '#' or '@' in a password: everything up to the last '@' is hidden.
  for (const char* url : {"postgres://app:hun/ter2@db/x", "postgres://app:hun?ter2@db/x", "postgres://app:a@b@db/x",
                          "app:hunter2@db:5432/x", "postgres://app:hun#ter2@db"}) {
    std::string shown = redact_url(url);
    EXPECT_EQ(shown.find("hun"), std::string::npos) << url << " -> " << shown;
    EXPECT_EQ(shown.find("ter2"), std::string::npos) << url << " -> " << shown;
  }
}

}  // namespace
}  // namespace cohort::auth
