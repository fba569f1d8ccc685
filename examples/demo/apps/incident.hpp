// incident.hpp — shared form editing (/incident): one incident report edited by several people.
//
// Each field carries a lease: focusing a field asks the store for a lock on /fields/<name>
// (the demo option incident_lease_ms, 15 s by default), every change renews it and commits the value,
// leaving the field releases it; an idle lease runs out and a closed tab loses its leases at
// once. Others see "<name> is editing" on the field, which is read-only for them; an edit to it
// anyway is refused by the store, and the page says who holds it. Committed values appear live
// in every other browser. A page that reconnects does not replay its form
// (phx-auto-recover="ignore"), so it holds no lease then. State lives in the store
// "incident:main" (incident_store.hpp), so it is saved in SQLite.
#pragma once

#include <cstdint>
#include <memory>

#include "cohort/live.hpp"

namespace cohort {
class Node;
}

namespace cohort::apps {

// Defines the store kind and registers the view; before live.install() and node.start().
// lease_ms: how long a field stays its editor's without typing (the option incident_lease_ms).
void install_incident(Node& node, live::Live& live, std::int64_t lease_ms);
// The /incident page alone (its store kind is incident_kind, incident_store.hpp): for tests.
std::unique_ptr<live::View> incident_view(std::int64_t lease_ms);

}  // namespace cohort::apps
