// poll_store.hpp — the stores behind live voting: the list of polls ("polls:index") and one
// key per poll ("poll:<id>").
//
// "poll:<id>" state: {"question", "options": [{"id", "text"}], "votes": {<actor id>: <option
// id>}, "closed": bool, "_owner": <actor id>} once set up. Ops: "setup" {question, options}
// (once; makes the caller the owner), "vote" {option} — one per person, enforced here (a
// second is "invalid"), refused once closed — and "close", which needs the store's "owner"
// role (the actor named by "_owner").
// "polls:index" state: {"polls": [{"id", "question", "owner", "owner_name", "closed"}]}, newest
// first. Ops: "add" {id, question, owner_name} (the caller becomes the entry's owner) and
// "closed" {id} (only that owner).
#pragma once

#include <string>
#include <string_view>

#include "cohort/store.hpp"

namespace cohort::apps {

constexpr std::size_t kPollMaxOptions = 6;

StoreKind poll_kind();
StoreKind polls_index_kind();

// A poll id as a key part: 1..24 of [a-z0-9].
bool valid_poll_id(std::string_view id);

}  // namespace cohort::apps
