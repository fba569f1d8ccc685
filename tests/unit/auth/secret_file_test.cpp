// secret_file_test.cpp — src/auth/secret_file.cpp: the secret file is created 0600 and
// atomically, refused when group/other can read it or when too short; --secret values shorter
// than 32 bytes are refused; private files are replaced whole with mode 0600; errors never hold
// the secret.
#include "auth/secret_file.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace cohort::auth {
namespace {

namespace fs = std::filesystem;

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cohort-secret-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  mode_t mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  void write(const std::string& path, const std::string& text, mode_t mode) {
    std::ofstream(path) << text;
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
  }
  std::string dir_;
};

TEST_F(SecretFileTest, CreatesA64HexSecretWithMode0600AndReadsItBack) {
  ::umask(0);  // the file's mode must not depend on the umask
  SecretLoad first = load_secret("", dir_, true);
  ASSERT_EQ(first.error, "");
  EXPECT_EQ(first.secret.size(), 64u);
  EXPECT_EQ(first.secret.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(mode_of(dir_ + "/secret"), 0600u);
  SecretLoad again = load_secret("", dir_, true);
  EXPECT_EQ(again.secret, first.secret);
  ::umask(022);
}

TEST_F(SecretFileTest, RefusesASecretFileGroupOrOthersCanRead) {
  std::string secret(64, 'a');
  for (mode_t mode : {0640, 0604, 0660, 0644, 0602}) {
    write(dir_ + "/secret", secret + "\n", mode);
    SecretLoad r = load_secret("", dir_, true);
    EXPECT_EQ(r.secret, "") << std::oct << mode;
    EXPECT_NE(r.error.find("chmod 600"), std::string::npos) << r.error;
    EXPECT_EQ(r.error.find(secret), std::string::npos) << "the error must not show the secret";
  }
  ASSERT_EQ(::chmod((dir_ + "/secret").c_str(), 0600), 0);
  EXPECT_EQ(load_secret("", dir_, true).secret, secret);
  ASSERT_EQ(::chmod((dir_ + "/secret").c_str(), 0400), 0);
  EXPECT_EQ(load_secret("", dir_, true).secret, secret) << "owner read-only is fine";
}

TEST_F(SecretFileTest, RefusesShortSecretsFromFileAndFlag) {
  write(dir_ + "/secret", "short\n", 0600);
  SecretLoad file = load_secret("", dir_, true);
  EXPECT_NE(file.error.find("at least 32"), std::string::npos) << file.error;
  SecretLoad flag = load_secret(std::string(31, 'x'), dir_, true);
  EXPECT_NE(flag.error.find("--secret is 31 bytes"), std::string::npos) << flag.error;
  EXPECT_EQ(flag.error.find(std::string(31, 'x')), std::string::npos);
  EXPECT_EQ(load_secret(std::string(32, 'x'), dir_, true).secret, std::string(32, 'x'));
}

TEST_F(SecretFileTest, DoesNotCreateWhenAskedNotTo) {
  SecretLoad r = load_secret("", dir_, false);
  EXPECT_NE(r.error.find("does not exist"), std::string::npos) << r.error;
  EXPECT_FALSE(fs::exists(dir_ + "/secret"));
}

TEST_F(SecretFileTest, RefusesASymlinkedSecret) {
  write(dir_ + "/target", std::string(64, 'b'), 0600);
  fs::create_symlink(dir_ + "/target", dir_ + "/secret");
  EXPECT_NE(load_secret("", dir_, true).error, "");
}

TEST_F(SecretFileTest, PrivateFilesAreReplacedWholeWithMode0600) {
  std::string path = dir_ + "/moderator-grant";
  write(path, "old and world readable\n", 0644);
  ASSERT_EQ(write_private_file(path, "http://x/signin?grant=abc\n"), std::nullopt);
  EXPECT_EQ(mode_of(path), 0600u);
  std::string error;
  EXPECT_EQ(read_private_file(path, error), "http://x/signin?grant=abc");
  std::size_t files = 0;
  for (auto& e : fs::directory_iterator(dir_)) files += e.is_regular_file();
  EXPECT_EQ(files, 1u) << "no temporary file left behind";
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  EXPECT_EQ(read_private_file(path, error), std::nullopt);
  EXPECT_NE(error.find("mode 0644"), std::string::npos) << error;
}

}  // namespace
}  // namespace cohort::auth
