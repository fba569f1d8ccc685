// quiz.cpp — the live quiz page. See quiz.hpp.
#include "apps/quiz.hpp"

#include <algorithm>
#include <chrono>

#include "apps/quiz_store.hpp"
#include "apps/refusal.hpp"
#include "apps/view_support.hpp"
#include "cohort/input.hpp"
#include "cohort/node.hpp"

namespace cohort::apps {

namespace {

constexpr std::string_view kKey = "quiz:main";
constexpr std::string_view kHere = "presence:quiz";
constexpr auto kTick = std::chrono::milliseconds(250);  // display only: the deadline is the store's

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t num(const Json& state, std::string_view name) {
  return input::integer(state, name).value_or(0);
}

class QuizView final : public live::View {
 public:
  explicit QuizView(std::int64_t question_ms) : question_ms_(question_ms) {}

  void mount(const live::Params&, const live::Session&, live::Socket& s) override {
    me_ = user_field(s, "id");
    s.assign("question_seconds", count_of((question_ms_ + 999) / 1000, "second", "seconds"));
    assign_me(s);
    s.assign("moderator", s.actor().has_role("moderator"));
    s.assign("message", "");
    join_here(s, std::string(kHere));
    if (s.connected()) s.send_after(kTick, JsonObject{{"tick", true}});
    s.follow_store(std::string(kKey), "quiz");
    derive(s);
  }

  void handle_event(std::string_view event, const Json& value, live::Socket& s) override {
    if (event == "answer") {
      return ask(s, "answer",
                 JsonObject{{"choice", input::text(value, "choice")}, {"color", user_field(s, "color")}});
    }
    for (auto op : {"start", "next", "pause", "resume", "reset"})
      if (event == op) return ask(s, op, JsonObject{});
  }

  // Each message re-derives only what it can change: a view's tick reads the clock, a presence
  // change the people here, a store change the quiz. (Every view re-deriving everything — the
  // list of everyone here included — on its 250 ms tick kept a node's two cores busy with 500
  // players, and the 501st could not join.)
  void handle_info(const live::Info& info, live::Socket& s) override {
    if (info.kind == live::Info::Kind::timer) {
      s.send_after(kTick, JsonObject{{"tick", true}});
      return tick(s);
    }
    if (info.kind == live::Info::Kind::presence) return derive_here(s);
    derive(s);
  }

 private:
  void ask(live::Socket& s, std::string_view op, JsonObject args) {
    std::string name(op);
    s.op(std::string(kKey), name, std::move(args), [&s, name](const OpOutcome& o) {
      if (o.ok) return s.assign("message", "");
      if (o.rejection() == Rejection::forbidden)
        return s.assign("message", "Only the moderator can " + name + " the quiz.");
      s.assign("message", error_text(o.error));
    });
  }

  // What the clock shows now: the time left, and whether the question is still open.
  struct Clock {
    std::int64_t left = 0;
    bool running = false, paused = false, time_up = false;
    bool open() const { return running && !paused && !time_up; }
  };
  static Clock clock_of(const Json& state) {
    Clock c;
    c.running = input::text(state, "phase") == "question";
    c.paused = input::boolean(state, "paused").value_or(false);
    c.left = c.paused ? num(state, "remaining_ms") : std::max<std::int64_t>(0, num(state, "deadline_ms") - now_ms());
    c.time_up = c.running && !c.paused && c.left == 0;
    return c;
  }

  // A tick: the countdown moves; only when the question closes does anything else change.
  void tick(live::Socket& s) {
    const Json& state = s.get("quiz");
    if (!state.is_object()) return;
    Clock c = clock_of(state);
    if (s.get("time_up") != Json(c.time_up) || s.get("open") != Json(c.open())) return derive(s);
    assign_clock(c, s);
  }

  void assign_clock(const Clock& c, live::Socket& s) {
    s.assign("seconds_left", std::to_string((c.left + 999) / 1000));
    s.assign("time_pct", std::to_string(std::clamp<std::int64_t>(c.left * 100 / question_ms_, 0, 100)));
  }

  void derive_here(live::Socket& s) {
    assign_here(s);
    s.assign("audience", count_of(static_cast<std::int64_t>(s.get("here").as_array().size()), "person here", "people here"));
  }

  void derive(live::Socket& s) {
    const Json& state = s.get("quiz");
    if (!state.is_object()) return derive_here(s);
    std::string phase = input::text(state, "phase");
    Clock c = clock_of(state);
    bool running = c.running, paused = c.paused, time_up = c.time_up;
    s.assign("lobby", phase == "lobby");
    s.assign("running", running);
    s.assign("finished", phase == "finished");
    s.assign("paused", running && paused);
    s.assign("open", c.open());
    s.assign("time_up", time_up);
    assign_clock(c, s);
    s.assign("controls", controls(phase, paused));
    if (running) derive_question(state, time_up, c.open(), s);
    s.assign("scores", leaderboard(state));
    if (s.get("here").is_null()) derive_here(s);  // the first derive; later, presence changes do it
  }

  // The current question's display; each choice carries what its template slot reads (open,
  // reveal), so a list item never depends on assigns outside it.
  void derive_question(const Json& state, bool time_up, bool open, live::Socket& s) {
    auto index = static_cast<std::size_t>(num(state, "index"));
    const auto& questions = quiz_questions();
    if (index >= questions.size()) return;
    const QuizQuestion& q = questions[index];
    const JsonObject& answers = state.at("answers").as_object();
    std::vector<std::int64_t> counts = tally(answers, q.choices.size());
    const Json* mine = answers.if_contains(me_);
    bool reveal = time_up || s.get("moderator").as_bool();
    json::array choices;
    for (std::size_t i = 0; i < q.choices.size(); ++i) {
      std::int64_t pct = answers.empty() ? 0 : counts[i] * 100 / static_cast<std::int64_t>(answers.size());
      choices.push_back(JsonObject{{"id", std::to_string(i)},
                                   {"letter", std::string(1, static_cast<char>('A' + i))},
                                   {"text", q.choices[i]},
                                   {"count", counts[i]},
                                   {"pct", std::to_string(pct)},
                                   {"mine", mine && mine->to_number<std::size_t>() == i},
                                   {"correct", time_up && i == q.correct},
                                   {"reveal", reveal},
                                   {"open", open}});
    }
    s.assign("question", JsonObject{{"number", std::to_string(index + 1)},
                                    {"total", std::to_string(questions.size())},
                                    {"text", q.text}});
    s.assign("choices", std::move(choices));
    s.assign("answered", mine != nullptr);
    s.assign("answer_count", count_of(static_cast<std::int64_t>(answers.size()), "answer", "answers"));
  }

  // How many answered each choice (answers: {actor: choice index}).
  static std::vector<std::int64_t> tally(const JsonObject& answers, std::size_t choices) {
    std::vector<std::int64_t> counts(choices, 0);
    for (const auto& [who, choice] : answers)
      if (choice.is_int64() && choice.get_int64() >= 0 && static_cast<std::size_t>(choice.get_int64()) < choices)
        ++counts[static_cast<std::size_t>(choice.get_int64())];
    return counts;
  }

  // The moderator's buttons for this phase: [{id, label, primary}].
  static json::array controls(const std::string& phase, bool paused) {
    json::array out;
    auto add = [&](std::string_view id, std::string_view label, bool primary) {
      out.push_back(JsonObject{{"id", id}, {"label", label}, {"primary", primary}});
    };
    if (phase != "question") add("start", phase == "finished" ? "Start again" : "Start the quiz", true);
    if (phase == "question") {
      if (paused) add("resume", "Resume", true);
      else add("pause", "Pause", false);
      add("next", "Next question", !paused);
      add("reset", "End and reset", false);
    }
    if (phase == "finished") add("reset", "Back to the lobby", false);
    return out;
  }

  static json::array leaderboard(const Json& state) {
    const Json* scores = input::arg(state, "scores");
    std::vector<JsonObject> rows;
    if (scores && scores->is_object())
      for (const auto& [id, v] : scores->get_object())
        rows.push_back(JsonObject{{"id", id},
                                  {"name", input::text(v, "name")},
                                  {"color", input::text(v, "color")},
                                  {"points_n", input::integer(v, "points").value_or(0)}});
    std::stable_sort(rows.begin(), rows.end(), [](const JsonObject& a, const JsonObject& b) {
      return a.at("points_n").as_int64() > b.at("points_n").as_int64();
    });
    json::array out;
    for (auto& r : rows) {
      r["points"] = count_of(r.at("points_n").as_int64(), "point", "points");
      r.erase("points_n");
      out.push_back(std::move(r));
    }
    return out;
  }

  std::int64_t question_ms_;  // how long each question is open (the demo option quiz_question_ms)
  std::string me_;
};

}  // namespace

void install_quiz(Node& node, live::Live& live, std::int64_t question_ms) {
  node.stores().define(quiz_kind({}, question_ms));
  live.view("/quiz", "quiz", [question_ms] { return quiz_view(question_ms); }, "Live quiz");
}

std::unique_ptr<live::View> quiz_view(std::int64_t question_ms) { return std::make_unique<QuizView>(question_ms); }

}  // namespace cohort::apps
