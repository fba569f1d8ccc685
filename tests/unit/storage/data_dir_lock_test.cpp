// data_dir_lock_test.cpp — src/storage/data_dir_lock.hpp: one holder at a time, named in the
// refusal, released with its holder.
#include "storage/data_dir_lock.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace cohort::storage {
namespace {

class DataDirLockTest : public ::testing::Test {
 protected:
  DataDirLockTest() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cohort-lock-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
  }
  ~DataDirLockTest() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(DataDirLockTest, SecondHolderIsRefusedNamingTheDirectoryAndTheHolder) {
  std::string error;
  auto first = DataDirLock::acquire(dir_, error);
  ASSERT_TRUE(first) << error;
  auto second = DataDirLock::acquire(dir_, error);  // another open file description, same process
  EXPECT_FALSE(second);
  EXPECT_NE(error.find("data directory " + dir_ + " is in use"), std::string::npos) << error;
  EXPECT_NE(error.find("process " + std::to_string(::getpid()) + " holds " + dir_ + "/cohort.lock"), std::string::npos) << error;
}

TEST_F(DataDirLockTest, ReleasedWhenItsHolderGoes) {
  std::string error;
  auto first = DataDirLock::acquire(dir_, error);
  ASSERT_TRUE(first) << error;
  first.reset();
  EXPECT_TRUE(DataDirLock::acquire(dir_, error)) << error;
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/cohort.lock")) << "the file stays: removing it would race a new holder";
}

TEST_F(DataDirLockTest, MovingKeepsItHeld) {
  std::string error;
  auto first = DataDirLock::acquire(dir_, error);
  ASSERT_TRUE(first) << error;
  std::optional<DataDirLock> moved(std::move(*first));
  first.reset();  // the moved-from lock owns nothing
  EXPECT_FALSE(DataDirLock::acquire(dir_, error));
  moved.reset();
  EXPECT_TRUE(DataDirLock::acquire(dir_, error)) << error;
}

TEST_F(DataDirLockTest, MissingDirectoryIsAnError) {
  std::string error;
  EXPECT_FALSE(DataDirLock::acquire(dir_ + "/absent", error));
  EXPECT_NE(error.find("cannot open the lock file " + dir_ + "/absent/cohort.lock"), std::string::npos) << error;
}

}  // namespace
}  // namespace cohort::storage
