// page_test.cpp — a live view's page on a real node (127.0.0.1, port 0): the app's identity hook
// decides who the page acts as or answers instead of it, a new visitor gets the claims the app's
// new_visitor hook adds, and the app's PageLayout shapes the shell (title suffix, styles, extra
// scripts after Cohort's own).
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>

#include "cohort/live.hpp"
#include "cohort/node.hpp"
#include "loopback_client.hpp"

namespace cohort::live {
namespace {

namespace fs = std::filesystem;
using test_support::header;
using test_support::http_get;

// Shows who the page acts as: the session's user.
class WhoView final : public View {
 public:
  void mount(const Params&, const Session& session, Socket& s) override {
    const Json* user = session.if_contains("user");
    s.assign("who", user ? Json(json::serialize(*user)) : Json("nobody"));
  }
};

class PageTest : public ::testing::Test {
 protected:
  PageTest() {
    dir_ = fs::temp_directory_path() / ("cohort_page_test_" + std::to_string(getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "templates");
    fs::create_directories(dir_ / "static");
    std::ofstream(dir_ / "templates" / "who.html") << "<main><p id=\"who\">{{who}}</p></main>";
    Config c;
    c.host = "127.0.0.1";
    c.port = 0;
    c.threads = 1;
    c.max_connections = 100;
    c.data_dir = (dir_ / "data").string();
    c.static_dir = (dir_ / "static").string();
    c.templates_dir = (dir_ / "templates").string();
    c.assets_dir = COHORT_SOURCE_DIR "/node_modules";
    node_ = std::make_unique<Node>(c);
    live_ = std::make_unique<Live>(*node_);
    live_->view("/who", "who", [] { return std::make_unique<WhoView>(); }, "Who");
  }
  ~PageTest() override {
    if (started_) {
      node_->stop();
      node_->wait();
    }
    live_.reset();
    node_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::uint16_t start() {
    if (auto err = live_->install()) throw std::runtime_error(*err);
    if (auto err = node_->start()) throw std::runtime_error(*err);
    started_ = true;
    return node_->port();
  }
  // GET path with an optional Cookie header.
  static test_support::HttpReply get(std::uint16_t port, std::string_view path, std::string_view cookie = "") {
    test_support::Client c(port);
    c.write("GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
            (cookie.empty() ? std::string() : "Cookie: " + std::string(cookie) + "\r\n") + "\r\n");
    std::string all = c.read_to_eof();
    auto end = all.find("\r\n\r\n");
    return {static_cast<unsigned>(std::stoi(all.substr(9, 3))), all.substr(0, end + 4), all.substr(end + 4)};
  }

  fs::path dir_;
  std::unique_ptr<Node> node_;
  std::unique_ptr<Live> live_;
  bool started_ = false;
};

TEST_F(PageTest, WithoutHooksTheVisitorIsARandomIdInASignedCookie) {
  auto port = start();
  auto r = http_get(port, "/who");
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find("{&quot;id&quot;:&quot;u-"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("&quot;name&quot;"), std::string::npos) << "no made-up name without the app's hook";
  EXPECT_NE(header(r.head, "Set-Cookie").find("cohort_user="), std::string::npos);
}

TEST_F(PageTest, NewVisitorAddsClaimsThatTheCookieKeeps) {
  live_->new_visitor([](JsonObject& v) {
    v["name"] = "Ada";
    v["id"] = "forged";  // the id stays Cohort's
  });
  auto port = start();
  auto first = http_get(port, "/who");
  ASSERT_EQ(first.status, 200u);
  EXPECT_NE(first.body.find("&quot;name&quot;:&quot;Ada&quot;"), std::string::npos) << first.body;
  EXPECT_EQ(first.body.find("forged"), std::string::npos) << first.body;
  std::string cookie = header(first.head, "Set-Cookie");
  cookie = cookie.substr(0, cookie.find(';'));
  auto again = get(port, "/who", cookie);
  EXPECT_NE(again.body.find("&quot;name&quot;:&quot;Ada&quot;"), std::string::npos);
  EXPECT_EQ(header(again.head, "Set-Cookie"), "") << "a known visitor gets no new cookie";
}

TEST_F(PageTest, IdentifyDecidesWhoThePageActsAsOrAnswersInstead) {
  live_->identify([](const HttpRequest& req, const JsonObject& visitor) {
    Identity who;
    std::string me = req.cookie_value("app_user");
    if (me == "grace") {
      who.user = JsonObject{{"id", "grace"}, {"roles", json::array{"editor"}}};
    } else if (me == "broken") {
      who.user = JsonObject{{"name", "no id"}};
    } else {
      who.answer = HttpResponse{302, "text/plain", "", {{"Location", "/login"}}};
    }
    (void)visitor;
    return who;
  });
  auto port = start();
  auto signed_in = get(port, "/who", "app_user=grace");
  ASSERT_EQ(signed_in.status, 200u);
  EXPECT_NE(signed_in.body.find("&quot;id&quot;:&quot;grace&quot;"), std::string::npos) << signed_in.body;
  EXPECT_NE(signed_in.body.find("editor"), std::string::npos);
  auto stranger = http_get(port, "/who");
  EXPECT_EQ(stranger.status, 302u);
  EXPECT_EQ(header(stranger.head, "Location"), "/login");
  auto broken = get(port, "/who", "app_user=broken");
  EXPECT_EQ(broken.status, 500u);
  EXPECT_EQ(broken.body.find("no id"), std::string::npos) << "the user's claims are not shown";
}

// Live::identity: the same visitor a page acts as, for a route that hands them a credential.
TEST_F(PageTest, IdentityIsTheVisitorThePagesActAs) {
  live_->new_visitor([](JsonObject& v) { v["name"] = "Ada"; });
  auto port = start();
  HttpRequest stranger;
  stranger.path = "/api/whoever";
  PageIdentity fresh = live_->identity(stranger);
  ASSERT_FALSE(fresh.answer);
  std::string id(fresh.user.at("id").get_string());
  EXPECT_EQ(id.rfind("u-", 0), 0u) << id;
  EXPECT_EQ(fresh.user.at("name"), "Ada");
  EXPECT_EQ(fresh.roles_until, 0);
  ASSERT_EQ(fresh.set_cookie.rfind("cohort_user=", 0), 0u) << "a new visitor's cookie, for the answer to set";
  // With that cookie: the same visitor, who is also who a page of the app renders for.
  HttpRequest known;
  known.cookie = fresh.set_cookie.substr(0, fresh.set_cookie.find(';'));
  PageIdentity again = live_->identity(known);
  EXPECT_EQ(again.user.at("id").get_string(), id);
  EXPECT_EQ(again.set_cookie, "") << "a known visitor's cookie stays";
  auto page = get(port, "/who", known.cookie);
  EXPECT_NE(page.body.find("&quot;id&quot;:&quot;" + id + "&quot;"), std::string::npos) << page.body;
  // A forged cookie is a stranger.
  HttpRequest forged;
  forged.cookie = "cohort_user=eyJ1c2VyIjp7ImlkIjoiYWRtaW4ifX0.AAAA";
  EXPECT_NE(live_->identity(forged).user.at("id"), "admin");
}

TEST_F(PageTest, IdentityRunsTheAppsIdentifyHook) {
  live_->identify([](const HttpRequest& req, const JsonObject&) {
    Identity who;
    if (req.cookie_value("app_user") == "grace") who.user = JsonObject{{"id", "grace"}, {"roles", json::array{"editor"}}};
    else if (req.cookie_value("app_user") == "broken") who.user = JsonObject{{"name", "no id"}};
    else who.answer = HttpResponse{401, "application/json", "{}", {}};
    return who;
  });
  start();
  HttpRequest grace;
  grace.cookie = "app_user=grace";
  PageIdentity g = live_->identity(grace);
  ASSERT_FALSE(g.answer);
  EXPECT_EQ(g.user, (JsonObject{{"id", "grace"}, {"roles", json::array{"editor"}}}));
  PageIdentity nobody = live_->identity(HttpRequest{});
  ASSERT_TRUE(nobody.answer);
  EXPECT_EQ(nobody.answer->status, 401u);
  EXPECT_TRUE(nobody.user.empty());
  HttpRequest broken;
  broken.cookie = "app_user=broken";
  PageIdentity b = live_->identity(broken);
  ASSERT_TRUE(b.answer);
  EXPECT_EQ(b.answer->status, 500u) << "a user without an id is nobody";
}

TEST_F(PageTest, TheLayoutShapesTheShellAroundCohortsOwnScripts) {
  live_->page({.title_suffix = " · Kanban", .styles = {"/kanban.css"}, .scripts = {"/hooks.js?v=\"1\""}});
  auto port = start();
  auto r = http_get(port, "/who");
  ASSERT_EQ(r.status, 200u);
  EXPECT_NE(r.body.find("<title data-suffix=\" · Kanban\">Who · Kanban</title>"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("<link rel=\"stylesheet\" href=\"/kanban.css\">"), std::string::npos);
  EXPECT_EQ(r.body.find("/assets/cohort.css"), std::string::npos);
  auto live_js = r.body.find("/assets/cohort_live.js");
  auto app_js = r.body.find("/hooks.js?v=&quot;1&quot;");  // escaped: an app's path cannot break out
  ASSERT_NE(live_js, std::string::npos);
  ASSERT_NE(app_js, std::string::npos) << r.body;
  EXPECT_LT(live_js, app_js) << "the app's scripts load after Cohort's";
}

TEST_F(PageTest, AnAppLayoutTemplateWritesThePageAroundTheView) {
  std::ofstream(dir_ / "templates" / "layout.html")
      << "<!DOCTYPE html><html><head>{{{head}}}</head><body><nav id=\"site\">{{title}}</nav>{{{main}}}"
         "<footer>kanban</footer></body></html>";
  live_->page({.title_suffix = " · <Board>", .template_name = "layout"});
  auto port = start();
  auto r = http_get(port, "/who");
  ASSERT_EQ(r.status, 200u);
  const std::string& page = r.body;
  auto nav = page.find("<nav id=\"site\">Who · &lt;Board&gt;</nav>");  // {{title}} is escaped
  auto container = page.find("data-phx-main");
  auto view = page.find("<p id=\"who\">");
  auto footer = page.find("<footer>kanban</footer>");
  ASSERT_NE(nav, std::string::npos) << page;
  ASSERT_NE(container, std::string::npos) << page;
  EXPECT_LT(nav, container);
  EXPECT_LT(container, view) << "the view renders inside the container";
  EXPECT_LT(view, footer);
  auto head_end = page.find("</head>");
  for (std::string_view in_head : {"name=\"csrf-token\"", "/assets/cohort_live.js", "/assets/vendor/phoenix_live_view.min.js"})
    EXPECT_LT(page.find(in_head), head_end) << in_head;
  EXPECT_EQ(page.find("<body>\n<div"), std::string::npos) << "not Cohort's plain page";
}

TEST_F(PageTest, ALayoutWithoutHeadOrMainIsRefusedAtStartUp) {
  std::ofstream(dir_ / "templates" / "nomain.html") << "<html><head>{{{head}}}</head><body>{{title}}</body></html>";
  live_->page({.template_name = "nomain"});
  auto err = live_->install();
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("layout template 'nomain' must print {{{head}}} (inside <head>) and {{{main}}}"), std::string::npos)
      << *err;
}

TEST_F(PageTest, AMissingLayoutTemplateIsRefusedAtStartUp) {
  live_->page({.template_name = "nowhere"});
  auto err = live_->install();
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("page layout: no template 'nowhere'"), std::string::npos) << *err;
}

}  // namespace
}  // namespace cohort::live
