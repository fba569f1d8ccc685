// poll_store.hpp — the stores behind live voting: the list of polls ("polls:index") and one
// key per poll ("poll:<id>").
//
// "poll:<id>" state: {"question", "options": [{"id", "text"}], "votes": {<actor id>: <option
// id>}, "closed": bool, "_owner": <actor id>} once set up. Ops: "setup" {question, options}
// (once; makes the caller the owner; server code only: the /polls page), "vote" {option} — any
// identified actor, one per person, enforced here (a second is "invalid"), refused once closed
// — and "close", which needs the store's "owner" role (the actor named by "_owner"). Joins
// over /socket: any valid poll id that exists (a poll is open to whoever has its link); a poll
// nobody set up answers "not_found" — joining cannot create one.
// "polls:index" state: {"polls": [{"id", "question", "owner", "owner_name", "closed"}]}, newest
// first, the last 200. Ops, server code only (the polls pages, never a /socket client): "add"
// {id, question} (the caller becomes the entry's owner, its signed name the owner_name) and
// "closed" {id} (only that owner). Joins over /socket: the key "polls:index" only.
// Every op refuses an anonymous actor ("forbidden").
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
