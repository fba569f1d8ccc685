// live_trace.cpp — prints diff traces of src/live/rendering.hpp for live_client_merge.test.mjs,
// which applies them with the real phoenix_live_view 1.2.12 client (Rendered.mergeDiff) and
// checks that the client's HTML equals an independent full render after every step.
//
// Output: one JSON object per line: {"name", "full": <first full tree>, "html": <its HTML>,
// "steps": [{"diff": <diff>, "html": <HTML of a fresh full render of the same assigns>}]}.
// Seeded random mutations of a keyed table (moves, inserts, deletes, changes, nested
// conditionals and a nested positional list per row, outer names read inside entries), so the
// trace is the same on every run. A last line renders components (the join render only).
#include "live/rendering.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <iostream>
#include <random>

namespace cohort::live {
namespace {

const char* kTable =
    "<table>{{#rows}}<tr id=\"{{id}}\"><td>{{name}}{{suffix}}</td>"
    "{{#hot}}<b>hot {{qty}}</b>{{/hot}}{{^hot}}<i>{{qty}}</i>{{/hot}}"
    "{{#tags}}<s>{{.}}</s>{{/tags}}</tr>{{/rows}}</table>"
    "<p>{{title}}</p>{{#show}}<div>{{title}} {{#rows}}{{name}},{{/rows}}</div>{{/show}}"
    "{{#letters}}<u>{{.}}</u>{{/letters}}";

class Scenario {
 public:
  explicit Scenario(unsigned seed) : rng_(seed) {
    json::array rows;
    for (int i = 0; i < 6; ++i) rows.push_back(new_row());
    assigns_ = {{"rows", rows}, {"title", "T"}, {"suffix", ""}, {"show", false},
                {"letters", json::array{"a", "b"}}};
  }

  // Applies one random mutation; returns the assign names it changed.
  Changed mutate() {
    auto& rows = assigns_["rows"].as_array();
    switch (pick(9)) {
      case 0: rows.insert(rows.begin() + pick(rows.size() + 1), new_row()); return {"rows"};
      case 1: if (!rows.empty()) rows.erase(rows.begin() + pick(rows.size())); return {"rows"};
      case 2: std::shuffle(rows.begin(), rows.end(), rng_); return {"rows"};
      case 3: change_row(rows); return {"rows"};
      case 4: if (rows.size() > 1) std::swap(rows[pick(rows.size())], rows[0]); change_row(rows);
              return {"rows"};
      case 5: assigns_["show"] = !assigns_["show"].as_bool(); return {"show"};
      case 6: assigns_["title"] = "T" + std::to_string(pick(3)); return {"title"};
      case 7: assigns_["suffix"] = pick(2) ? "!" : ""; return {"suffix"};
      default: {
        json::array letters;
        for (std::size_t n = pick(4); n > 0; --n) letters.emplace_back(std::string(1, 'a' + pick(4)));
        assigns_["letters"] = letters;
        return {"letters"};
      }
    }
  }
  const JsonObject& assigns() const { return assigns_; }

 private:
  std::size_t pick(std::size_t n) { return n == 0 ? 0 : rng_() % n; }
  Json new_row() {
    int id = next_id_++;
    return JsonObject{{"id", id}, {"name", "<n" + std::to_string(id) + ">"}, {"qty", 0},
                      {"hot", false}, {"tags", json::array{}}};
  }
  void change_row(json::array& rows) {
    if (rows.empty()) return;
    auto& row = rows[pick(rows.size())].as_object();
    switch (pick(3)) {
      case 0: row["qty"] = row["qty"].as_int64() + 1; break;
      case 1: row["hot"] = !row["hot"].as_bool(); break;
      default: row["tags"].as_array().emplace_back("t" + std::to_string(pick(3)));
    }
  }

  std::mt19937 rng_;
  JsonObject assigns_;
  int next_id_ = 1;
};

void trace(const Template& t, unsigned seed, int steps) {
  Scenario scenario(seed);
  Rendering rendering(t);
  JsonObject out{{"name", "table seed " + std::to_string(seed)}};
  out["full"] = rendering.render_full(scenario.assigns());
  out["html"] = to_html(out["full"].as_object());
  json::array trace;
  for (int i = 0; i < steps; ++i) {
    Changed changed = scenario.mutate();
    JsonObject diff = rendering.render_diff(scenario.assigns(), changed);
    Rendering fresh(t);
    trace.push_back(JsonObject{{"diff", std::move(diff)},
                               {"html", to_html(fresh.render_full(scenario.assigns()))}});
  }
  out["steps"] = std::move(trace);
  std::cout << json::serialize(out) << "\n";
}

// Components: each placed cid gets its own Rendering (component_root, "r":1) whose full tree
// goes under "c". Only the join render is traced: the client skips re-rendering unchanged
// component roots (data-phx-skip), so later HTML is not comparable as a string.
class CardHost : public ComponentHost {
 public:
  explicit CardHost(const Template& card) : card_(card) {}
  int place(std::string_view, const Json& props) override {
    int cid = static_cast<int>(props.at("id").as_int64());
    auto [it, inserted] = renderings_.try_emplace(cid, card_, true);
    components_[std::to_string(cid)] = it->second.render_full(props.as_object());
    return cid;
  }
  JsonObject components_;

 private:
  const Template& card_;
  std::map<int, Rendering> renderings_;
};

void trace_components(const Template& page, const Template& card) {
  CardHost host(card);
  JsonObject assigns{{"users", json::parse(R"([{"id":1,"name":"A&B","tags":["x"]},
                                               {"id":2,"name":"C","tags":[]}])")}};
  JsonObject full = Rendering(page).render_full(assigns, &host);
  std::string html = to_html(full, host.components_);
  full["c"] = host.components_;
  JsonObject out{{"name", "components"}, {"full", std::move(full)}, {"html", html},
                 {"steps", json::array{}}};
  std::cout << json::serialize(out) << "\n";
}

}  // namespace
}  // namespace cohort::live

int main() {
  using namespace cohort::live;
  TemplateSet set;
  auto errors = set.add("table", kTable);
  set.add("page", "<main>{{#users}}{{@card .}}{{/users}}</main>");
  set.add("card", "<div class=\"card\">{{name}}{{#tags}}<i>{{.}}</i>{{/tags}}</div>");
  auto more = set.link();
  if (!errors.empty() || !more.empty() || !set.find("card")->single_root_tag()) return 1;
  for (unsigned seed = 1; seed <= 20; ++seed) trace(*set.find("table"), seed, 150);
  trace_components(*set.find("page"), *set.find("card"));
  return 0;
}
