// live_pages.hpp — the first live pages: a shared counter (/counter) and a shared list (/list).
//
// Both keep their state in stores ("counter:main", "list:main"), so every browser on the page
// sees the same thing, and a reconnect or a node restart brings it back. Every op of both kinds
// is for any identified actor (a page visitor, or a /socket client with a signed token; never
// an anonymous one), and /socket joins reach only those two keys. The counter page has
// a component (a panel each browser opens on its own); the list page has a form with
// phx-change validation, keyed rows with reorder, and an activity feed kept as a stream.
// Built only on the public API (cohort/live.hpp, cohort/store.hpp).
#pragma once

#include "cohort/live.hpp"

namespace cohort {
class Node;
}

namespace cohort::apps {

// Defines the stores and registers the views; call before live.install() and node.start().
void install_live_pages(Node& node, live::Live& live);

}  // namespace cohort::apps
