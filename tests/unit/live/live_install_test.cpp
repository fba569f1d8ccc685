// live_install_test.cpp — cohort::live::Live::install(): the start-up checks of the live layer
// (src/live/live.cpp). A template naming a component type nobody registered is refused when the
// node is set up, with the file and line of the tag, instead of at the view's first render; so
// is one naming a nested view nobody registered.
#include "cohort/live.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "cohort/node.hpp"

namespace cohort::live {
namespace {

namespace fs = std::filesystem;

class LiveInstall : public ::testing::Test {
 protected:
  LiveInstall() {
    dir_ = fs::temp_directory_path() / ("cohort_live_install_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "templates" / "components");
    write("components/card.html", "<div class=\"card\">{{title}}</div>");
  }
  ~LiveInstall() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / "templates" / name) << text;
  }
  // Installs a Live whose view at path uses template "page"; more() registers anything else.
  std::optional<std::string> install(bool register_card, std::string path = "/page",
                                     const std::function<void(Live&)>& more = {}) {
    Config c;
    c.host = "127.0.0.1";
    c.data_dir = (dir_ / "data").string();
    c.templates_dir = (dir_ / "templates").string();
    c.assets_dir = COHORT_SOURCE_DIR "/node_modules";
    Node node(c);
    Live live(node);
    live.view(path, "page", [] { return std::make_unique<View>(); });
    if (register_card) live.component("card", "components/card", [] { return std::make_unique<Component>(); });
    if (more) more(live);
    return live.install();
  }
  fs::path dir_;
};

TEST_F(LiveInstall, RegisteredComponentsInstall) {
  write("page.html", "<main>\n{{@card box}}\n</main>");
  auto err = install(true);
  EXPECT_FALSE(err) << *err;
}

TEST_F(LiveInstall, UnknownComponentTypeIsRefusedWithFileAndLine) {
  write("page.html", "<main>\n<h1>x</h1>\n{{#rows}}{{@card .}}{{/rows}}\n{{@nowhere box}}\n</main>");
  write("unused.html", "<p>\n{{@ghost me}}</p>");  // in the directory, so checked though no view uses it
  auto err = install(true);
  ASSERT_TRUE(err);
  std::string page = (dir_ / "templates" / "page.html").string();
  std::string unused = (dir_ / "templates" / "unused.html").string();
  EXPECT_NE(err->find(page + ":4: unknown component type 'nowhere'"), std::string::npos) << *err;
  EXPECT_NE(err->find(unused + ":2: unknown component type 'ghost'"), std::string::npos) << *err;
  EXPECT_EQ(err->find("'card'"), std::string::npos) << *err;  // registered: fine
}

TEST_F(LiveInstall, AnUnregisteredTypeUsedByAViewIsRefused) {
  write("page.html", "<main>\n{{@card box}}\n</main>");
  auto err = install(false);
  ASSERT_TRUE(err);
  EXPECT_NE(err->find((dir_ / "templates" / "page.html").string() + ":2: unknown component type 'card'"),
            std::string::npos)
      << *err;
}

// A nested view ({{%name path}}) names a view registered with Live::child_view: an unknown name
// stops the start with file and line; a registered one installs.
TEST_F(LiveInstall, AnUnregisteredNestedViewIsRefusedWithFileAndLine) {
  write("page.html", "<main>\n{{%clock face}}\n{{%ghost here}}\n</main>");
  write("clock.html", "<p>{{time}}</p>");
  auto err = install(false, "/page", [](Live& live) {
    live.child_view("clock", "clock", [] { return std::make_unique<View>(); });
  });
  ASSERT_TRUE(err);
  std::string page = (dir_ / "templates" / "page.html").string();
  EXPECT_NE(err->find(page + ":3: unknown nested view 'ghost'"), std::string::npos) << *err;
  EXPECT_EQ(err->find("'clock'"), std::string::npos) << *err;  // registered: fine
}

// A view at "/" or "/:id" leaves /assets/ alone; one whose pattern takes every path would answer
// the page's own scripts with HTML (the page would never go live) and is refused at start-up.
TEST_F(LiveInstall, AViewThatWouldHideTheAssetsIsRefused) {
  write("page.html", "<main>x</main>");
  for (const char* fine : {"/", "/:id", "/board/:id"}) EXPECT_FALSE(install(false, fine)) << fine;
  for (const char* hiding : {"/*path", "/:a/:b", "/assets/*rest"}) {
    auto err = install(false, hiding);
    ASSERT_TRUE(err) << hiding;
    EXPECT_NE(err->find(std::string("live view ") + hiding + " would hide /assets/"), std::string::npos) << *err;
  }
}

}  // namespace
}  // namespace cohort::live
