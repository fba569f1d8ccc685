// polls.hpp — live voting: the list of polls with a form to create one (/polls) and a page per
// poll (/polls/:id) with live result bars.
//
// Creating a poll sets it up in its own store key "poll:<id>" (its creator becomes the store's
// "_owner") and lists it in "polls:index". One vote per person is enforced by the store, not
// the page: a second vote is refused with a message. Only the owner closes the poll (the
// store's "owner" role); a closed poll shows final results. See poll_store.hpp.
#pragma once

#include "cohort/live.hpp"

namespace cohort {
class Node;
}

namespace cohort::apps {

void install_polls(Node& node, live::Live& live);

}  // namespace cohort::apps
