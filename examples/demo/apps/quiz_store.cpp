// quiz_store.cpp — the live quiz's store kind. See quiz_store.hpp.
#include "apps/quiz_store.hpp"

#include <chrono>

#include "apps/refusal.hpp"
#include "cohort/input.hpp"
#include "cohort/patch.hpp"

namespace cohort::apps {

namespace {

using Clock = std::function<std::int64_t()>;

std::int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const std::vector<std::string> kModerator = {"moderator"};

std::string phase(const Json& state) { return std::string(state.at("phase").as_string()); }
bool paused(const Json& state) { return state.at("paused").as_bool(); }
std::int64_t number(const Json& state, std::string_view name) { return state.at(name).to_number<std::int64_t>(); }

// The question time and the clock of one quiz kind.
struct Timing {
  std::int64_t question_ms;
  Clock now;
};

// The patch that opens question index with a full countdown.
json::array open_question(std::int64_t index, const Timing& t) {
  std::int64_t now = t.now();
  return {patch::replace("/phase", "question"), patch::replace("/index", index),
          patch::replace("/paused", false),     patch::replace("/deadline_ms", now + t.question_ms),
          patch::replace("/remaining_ms", t.question_ms), patch::replace("/answers", JsonObject{})};
}

OpResult start(const OpRequest& r, const Timing& t) {
  json::array p = open_question(0, t);
  p.push_back(patch::replace("/scores", JsonObject{}));
  return OpResult::change(std::move(p));
}

OpResult next(const OpRequest& r, const Timing& t) {
  if (phase(r.state) != "question") return OpResult::reject(Rejection::invalid, invalid("The quiz is not running."));
  std::int64_t index = number(r.state, "index") + 1;
  if (index >= static_cast<std::int64_t>(quiz_questions().size()))
    return OpResult::change({patch::replace("/phase", "finished"), patch::replace("/paused", false)});
  return OpResult::change(open_question(index, t));
}

OpResult pause(const OpRequest& r, const Clock& now) {
  if (phase(r.state) != "question") return OpResult::reject(Rejection::invalid, invalid("There is no question to pause."));
  if (paused(r.state)) return OpResult::reject(Rejection::invalid, invalid("The quiz is already paused."));
  std::int64_t left = std::max<std::int64_t>(0, number(r.state, "deadline_ms") - now());
  return OpResult::change({patch::replace("/paused", true), patch::replace("/remaining_ms", left)});
}

OpResult resume(const OpRequest& r, const Clock& now) {
  if (phase(r.state) != "question" || !paused(r.state))
    return OpResult::reject(Rejection::invalid, invalid("The quiz is not paused."));
  return OpResult::change({patch::replace("/paused", false),
                           patch::replace("/deadline_ms", now() + number(r.state, "remaining_ms"))});
}

OpResult reset(const OpRequest&) {
  return OpResult::change({patch::replace("/phase", "lobby"), patch::replace("/index", 0),
                           patch::replace("/paused", false), patch::replace("/answers", JsonObject{}),
                           patch::replace("/scores", JsonObject{})});
}

OpResult answer(const OpRequest& r, const Clock& now) {
  if (r.actor.id.empty()) return OpResult::reject(Rejection::forbidden, invalid("Only signed visitors can answer."));
  if (phase(r.state) != "question") return OpResult::reject(Rejection::invalid, invalid("No question is open."));
  if (paused(r.state)) return OpResult::reject(Rejection::invalid, invalid("The quiz is paused."));
  if (now() >= number(r.state, "deadline_ms")) return OpResult::reject(Rejection::invalid, invalid("Time is up for this question."));
  if (r.state.at("answers").as_object().contains(r.actor.id))
    return OpResult::reject(Rejection::invalid, invalid("You have already answered this question."));
  const QuizQuestion& q = quiz_questions().at(static_cast<std::size_t>(number(r.state, "index")));
  auto choice = input::integer(r.args, "choice");
  if (!choice || *choice < 0 || *choice >= static_cast<std::int64_t>(q.choices.size()))
    return OpResult::reject(Rejection::invalid, invalid("Pick one of the choices."));
  json::array p{patch::add(patch::path("answers", r.actor.id), *choice)};
  const Json* score = r.state.at("scores").as_object().if_contains(r.actor.id);
  std::int64_t points = score ? score->at("points").to_number<std::int64_t>() : 0;
  if (static_cast<std::size_t>(*choice) == q.correct) ++points;
  // The name others see on the scoreboard is the signed one; the colour is only a colour.
  std::string name = r.actor.name.empty() ? r.actor.id : r.actor.name;
  std::string color = input::text(r.args, "color");
  if (!input::is_hex_color(color)) color = "#888888";
  p.push_back(patch::add(patch::path("scores", r.actor.id), JsonObject{{"name", name}, {"color", color}, {"points", points}}));
  return OpResult::change(std::move(p));
}

}  // namespace

const std::vector<QuizQuestion>& quiz_questions() {
  static const std::vector<QuizQuestion> kQuestions = {
      {"Which protocol lets a browser and a server keep one connection open both ways?",
       {"WebSocket", "FTP", "SMTP", "DNS"}, 0},
      {"What does a JSON Patch \"replace\" operation need besides its path?",
       {"A \"from\" pointer", "A \"value\"", "A version number", "Nothing else"}, 1},
      {"In Phoenix Presence, one user open in two tabs is…",
       {"Two keys", "One key with two metas", "Refused", "Merged into one meta"}, 1},
      {"Which of these is NOT a SQLite journal mode?", {"WAL", "DELETE", "MEMORY", "STREAM"}, 3},
      {"What keeps two people from typing into the same form field at once?",
       {"A lease on the field", "A bigger server", "Refreshing the page", "Luck"}, 0},
  };
  return kQuestions;
}

StoreKind quiz_kind(std::function<std::int64_t()> now_ms, std::int64_t question_ms) {
  if (!now_ms) now_ms = system_ms;
  Timing timing{question_ms, now_ms};
  StoreKind k;
  k.name = "quiz";
  k.initial = JsonObject{{"phase", "lobby"},  {"index", 0},          {"paused", false},
                         {"deadline_ms", 0},  {"remaining_ms", 0},   {"answers", JsonObject{}},
                         {"scores", JsonObject{}}};
  k.ops["start"] = OpSpec{kModerator, [timing](const OpRequest& r) { return start(r, timing); }};
  k.ops["next"] = OpSpec{kModerator, [timing](const OpRequest& r) { return next(r, timing); }};
  k.ops["pause"] = OpSpec{kModerator, [now_ms](const OpRequest& r) { return pause(r, now_ms); }};
  k.ops["resume"] = OpSpec{kModerator, [now_ms](const OpRequest& r) { return resume(r, now_ms); }};
  k.ops["reset"] = OpSpec{kModerator, [](const OpRequest& r) { return reset(r); }};
  k.ops["answer"] = OpSpec{{}, [now_ms](const OpRequest& r) { return answer(r, now_ms); }};
  // Who answered what is open while the question is: only a moderator follows it over /socket
  // (players see the quiz through /quiz, whose view reads the store on the server).
  k.can_join = [](const Actor& a, std::string_view id) { return id == "main" && a.has_role("moderator"); };
  k.can_create = [](const Actor&, std::string_view id) { return id == "main"; };
  return k;
}

}  // namespace cohort::apps
