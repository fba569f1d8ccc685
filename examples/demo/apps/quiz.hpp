// quiz.hpp — the live quiz (/quiz): a moderator runs it, everyone answers.
//
// The moderator (role "moderator" in the signed visitor cookie, given by a grant link that the
// server prints at start-up) starts the quiz, moves to the next question, pauses and resumes;
// every viewer sees the "paused" banner with the next render. The countdown is the store's
// deadline (quiz_store.hpp), each question open the demo option quiz_question_ms (--quiz-question-ms,
// 20 s by default); each page only displays the time left, ticking every 250 ms. A
// late joiner reads the store and so sees the current question, the time left and the pause.
// Answers are counted once per person by the store.
#pragma once

#include <cstdint>
#include <memory>

#include "cohort/live.hpp"

namespace cohort {
class Node;
}

namespace cohort::apps {

// question_ms: how long each question is open (the option quiz_question_ms).
void install_quiz(Node& node, live::Live& live, std::int64_t question_ms);
// The /quiz page alone (its store kind is quiz_kind, quiz_store.hpp): for tests.
std::unique_ptr<live::View> quiz_view(std::int64_t question_ms);

}  // namespace cohort::apps
