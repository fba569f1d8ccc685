// quiz_store.hpp — the store behind the live quiz ("quiz:main"): the moderator's controls, the
// countdown and the answers, all decided here so every viewer sees the same quiz.
//
// State: {"phase": "lobby" | "question" | "finished", "index": <question>, "paused": bool,
//         "deadline_ms": <unix ms the current question closes>, "remaining_ms": <left when paused>,
//         "answers": {<actor id>: <choice>} (current question), "scores": {<actor id>:
//         {"name", "color", "points"}}}.
// The countdown lives in the state as an absolute deadline (Unix ms), so a late joiner and a
// restarted node agree on the time left; pause stores what is left and resume sets a new
// deadline. Ops with role "moderator": start, next, pause, resume, reset. Anyone identified:
// answer {choice, color} — once per person per question (a second is "invalid"), only while the
// question is open (not paused, before the deadline); the scoreboard name is the actor's signed
// name (its id when it has none), the colour a "#rrggbb" or grey. Joins over /socket: key
// "quiz:main", moderators only (the answers of an open question are not for players to see).
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "cohort/store.hpp"

namespace cohort::apps {

struct QuizQuestion {
  std::string_view text;
  std::vector<std::string_view> choices;
  std::size_t correct;  // index into choices
};

const std::vector<QuizQuestion>& quiz_questions();
constexpr std::int64_t kQuizQuestionMs = 20'000;  // default time per question: enough to read four choices

// now_ms: the clock (Unix milliseconds); tests pass their own. question_ms: how long each
// question is open (the demo option quiz_question_ms).
StoreKind quiz_kind(std::function<std::int64_t()> now_ms = {}, std::int64_t question_ms = kQuizQuestionMs);

}  // namespace cohort::apps
