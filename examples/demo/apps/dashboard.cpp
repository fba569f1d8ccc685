// dashboard.cpp — the presence admin dashboard. See dashboard.hpp.
#include "apps/dashboard.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <set>

#include "apps/view_support.hpp"

namespace cohort::apps {

namespace {

constexpr auto kSample = std::chrono::seconds(1);

// "/polls/ab12" -> "polls-ab12": a DOM id part for a path.
std::string slug(std::string_view path) {
  std::string out;
  for (char c : path)
    if (std::isalnum(static_cast<unsigned char>(c))) out += c;
    else if (!out.empty() && out.back() != '-') out += '-';
  return out.empty() ? "home" : out;
}

std::string rate_text(double per_second) {
  char buf[32];
  std::snprintf(buf, sizeof buf, per_second < 10 ? "%.1f" : "%.0f", per_second);
  return buf;
}

// The node's figures, a view nested in the dashboard ({{%node_figures figures}}): it samples
// the node's counters on its own timer (every "every_ms" of the session its parent gives it) and
// renders without the dashboard rendering; its Pause button reaches it alone.
class NodeFiguresView final : public live::View {
 public:
  explicit NodeFiguresView(StatsSource stats) : stats_(std::move(stats)) {}

  void mount(const live::Params& params, const live::Session&, live::Socket& s) override {
    every_ = std::chrono::milliseconds(std::clamp<std::int64_t>(input::integer(params, "every_ms").value_or(1000), 100, 60'000));
    s.assign("paused", false);
    s.assign("samples", Json(0));
    sample(s);
    if (s.connected()) s.send_after(every_, JsonObject{{"sample", true}});
  }

  void handle_event(std::string_view event, const Json&, live::Socket& s) override {
    if (event == "pause") s.assign("paused", !s.get("paused").as_bool());
  }

  void handle_info(const live::Info& info, live::Socket& s) override {
    if (info.kind != live::Info::Kind::timer) return;
    if (!s.get("paused").as_bool()) sample(s);
    s.send_after(every_, JsonObject{{"sample", true}});
  }

 private:
  // The node's counters now, and the rates since the last sample.
  void sample(live::Socket& s) {
    NodeStats now = stats_();
    auto at = std::chrono::steady_clock::now();
    std::string in_rate = "–", out_rate = "–";
    if (last_) {
      double secs = std::chrono::duration<double>(at - last_at_).count();
      if (secs > 0) {
        in_rate = rate_text(static_cast<double>(now.messages_in - last_->messages_in) / secs);
        out_rate = rate_text(static_cast<double>(now.frames_out - last_->frames_out) / secs);
      }
    }
    last_ = now;
    last_at_ = at;
    s.assign("stats", JsonObject{{"connections", std::to_string(now.connections_open)},
                                 {"websockets", std::to_string(now.websockets_open)},
                                 {"messages_in", std::to_string(now.messages_in)},
                                 {"frames_out", std::to_string(now.frames_out)},
                                 {"in_rate", in_rate},
                                 {"out_rate", out_rate}});
    s.assign("samples", Json(s.get("samples").to_number<std::int64_t>() + 1));
  }

  StatsSource stats_;
  std::chrono::milliseconds every_{kSample};
  std::optional<NodeStats> last_;
  std::chrono::steady_clock::time_point last_at_{};
};

class DashboardView final : public live::View {
 public:
  explicit DashboardView(std::string topic) : topic_(std::move(topic)) {}

  void mount(const live::Params&, const live::Session&, live::Socket& s) override {
    assign_me(s);
    s.follow_presence(topic_, "visitors");
    s.assign("figures", JsonObject{{"id", "node-figures"},
                                   {"class", "tiles"},
                                   {"session", JsonObject{{"every_ms", std::chrono::milliseconds(kSample).count()}}}});
    derive_people(s);
  }

  void handle_info(const live::Info& info, live::Socket& s) override {
    if (info.kind == live::Info::Kind::presence) derive_people(s);
  }

 private:

  // Tabs and people per page, gathered while the people rows are built.
  struct PageUse {
    std::set<std::string> people;
    std::int64_t tabs = 0;
  };
  using Pages = std::map<std::string, PageUse>;

  // One row for a person of the presence list: their pages (with a count when open twice) and tabs.
  static JsonObject person_row(const Json& list, const Json& entry, Pages& pages) {
    std::string id = input::text(entry, "id");
    const Json* metas = input::arg(entry, "metas");
    std::map<std::string, std::int64_t> where;
    std::int64_t tabs = 0;
    if (metas && metas->is_array())
      for (const auto& m : metas->get_array()) {
        std::string page = input::text(m, "page");
        ++where[page];
        ++tabs;
        pages[page].people.insert(id);
        ++pages[page].tabs;
      }
    json::array on;
    for (const auto& [page, n] : where)
      on.push_back(JsonObject{{"id", page}, {"page", page}, {"times", n > 1 ? "×" + std::to_string(n) : std::string()}});
    return JsonObject{{"id", id},
                      {"name", presence_meta(list, id, "name", id)},
                      {"color", presence_meta(list, id, "color", "#888888")},
                      {"tabs", count_of(tabs, "tab", "tabs")},
                      {"tab_count", tabs},
                      {"pages", std::move(on)}};
  }

  // People (one row per user) and pages (one row per path), from the visitors' presence.
  void derive_people(live::Socket& s) {
    const Json& list = s.get("visitors");
    json::array people;
    Pages pages;
    std::int64_t tabs_total = 0;
    if (list.is_array())
      for (const auto& e : list.get_array()) {
        people.push_back(person_row(list, e, pages));
        tabs_total += people.back().at("tab_count").as_int64();
      }
    json::array page_rows;
    for (const auto& [page, use] : pages)
      page_rows.push_back(JsonObject{{"id", page},
                                     {"page", page},
                                     {"slug", slug(page)},
                                     {"people", count_of(static_cast<std::int64_t>(use.people.size()), "person", "people")},
                                     {"tabs", count_of(use.tabs, "tab", "tabs")}});
    s.assign("people_count", std::to_string(people.size()));
    s.assign("tabs_count", std::to_string(tabs_total));
    s.assign("pages_count", std::to_string(page_rows.size()));
    s.assign("people", std::move(people));
    s.assign("pages", std::move(page_rows));
  }

  std::string topic_;
};

}  // namespace

void install_dashboard(live::Live& live, std::string visitors_topic, StatsSource stats) {
  live.view("/dashboard", "dashboard",
            [topic = std::move(visitors_topic)] { return std::make_unique<DashboardView>(topic); }, "Who is online");
  live.child_view("node_figures", "node_figures",
                  [stats = std::move(stats)] { return std::make_unique<NodeFiguresView>(stats); });
}

}  // namespace cohort::apps
