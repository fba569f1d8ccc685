// static_files_test.cpp — the static root's canonicalizer (src/net/static_files.cpp).
#include "net/static_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "net/route_pattern.hpp"

namespace fs = std::filesystem;
using cohort::net::decode_path;
using cohort::net::StaticFiles;

namespace {

void write(const fs::path& p, std::string_view text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  StaticFilesTest() {
    dir_ = fs::temp_directory_path() / ("cohort_static_test_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    write(dir_ / "static/index.html", "index");
    write(dir_ / "static/assets/app.js", "app");
    write(dir_ / "static/.env", "dot");
    write(dir_ / "static/.git/config", "git");
    write(dir_ / "static/data/secret", "in-data-dir");
    write(dir_ / "static-old/leak.txt", "sibling");
    write(dir_ / "outside.txt", "outside");
    fs::create_symlink(dir_ / "outside.txt", dir_ / "static/escape.txt");
    fs::create_symlink(dir_ / "static/assets/app.js", dir_ / "static/inside.js");
    fs::create_symlink(dir_ / "static/.git/config", dir_ / "static/to-dot");
    fs::create_directory_symlink(dir_ / "static-old", dir_ / "static/old");
    files_ = StaticFiles((dir_ / "static").string(), {(dir_ / "static/data").string()});
  }
  ~StaticFilesTest() override { fs::remove_all(dir_); }

  // The body served for a raw request path, or nothing.
  std::optional<std::string> get(std::string_view raw) {
    auto d = decode_path(raw);
    if (d.error) return std::nullopt;
    auto r = files_.serve(d.segments);
    if (!r) return std::nullopt;
    return r->body;
  }

  fs::path dir_;
  StaticFiles files_;
};

}  // namespace

TEST_F(StaticFilesTest, ServesFilesAndIndexesUnderTheRoot) {
  EXPECT_EQ(get("/"), "index");
  EXPECT_EQ(get("/assets/app.js"), "app");
  EXPECT_EQ(get("//assets//app.js"), "app");
  EXPECT_EQ(get("/assets/app%2Ejs"), "app");
  EXPECT_EQ(get("/inside.js"), "app");  // a symlink that stays inside the root
}

TEST_F(StaticFilesTest, RefusesEverythingOutsideTheRoot) {
  for (std::string_view path :
       {"/../outside.txt", "/assets/../../outside.txt", "/%2e%2e/outside.txt", "/%2E%2E/outside.txt",
        "/assets/%2e%2e/%2e%2e/outside.txt", "/..%2foutside.txt", "/..%2Foutside.txt", "/..%5coutside.txt",
        "/..\\outside.txt", "/assets%2f..%2f..%2foutside.txt", "/escape.txt", "/old/leak.txt",
        "/%2fetc%2fpasswd", "//etc/passwd", "/etc/passwd", "/static-old/leak.txt", "/assets/app.js%00.png",
        "/./index.html", "/assets/./app.js"})
    EXPECT_FALSE(get(path)) << path;
}

TEST_F(StaticFilesTest, NeverServesDotFilesOrTheExcludedDirectory) {
  for (std::string_view path : {"/.env", "/%2eenv", "/.git/config", "/.git", "/to-dot", "/data/secret"})
    EXPECT_FALSE(get(path)) << path;
}

TEST_F(StaticFilesTest, ARootThatDoesNotExistServesNothing) {
  StaticFiles none((dir_ / "missing").string(), {});
  EXPECT_FALSE(none.serve({}));
  StaticFiles empty;
  EXPECT_FALSE(empty.serve({"index.html"}));
}

// The CSP hash sources of a static page's import maps: SHA-256 of the element's exact text, in
// standard base64 (`printf '%s' '<text>' | openssl dgst -sha256 -binary | base64`).
TEST(ImportMapSources, HashTheTextOfEachImportMap) {
  using cohort::net::import_map_sources;
  const std::string map = R"({"imports": {"a": "/a.js"}})";
  const std::string hash = "'sha256-EULL9WVlrqJ9ctnsg+C7ATiB+U0GetVJwNcYByCq7d0='";
  EXPECT_EQ(import_map_sources("<html><script src=\"/x.js\"></script></html>"), "");
  EXPECT_EQ(import_map_sources("<head><script type=\"importmap\">" + map + "</script></head>"), hash);
  EXPECT_EQ(import_map_sources("<SCRIPT TYPE=\"importmap\">" + map + "</Script>"), hash) << "tags in any case";
  EXPECT_EQ(import_map_sources("<script type=\"importmap\">" + map + "</script><script type=\"importmap\">" + map +
                               " </script>"),
            hash + " 'sha256-" + "II/sbcXUMMC9X8yTx708NF1C5yk4PUc57h8E+Pp6dEc=" + "'")
      << "each map (whitespace counts)";
  EXPECT_EQ(import_map_sources("<script>alert(1)</script>"), "") << "plain inline scripts are never hashed";
  EXPECT_EQ(import_map_sources("<script type=\"importmap\">" + map), "") << "an unterminated map is not";
}
