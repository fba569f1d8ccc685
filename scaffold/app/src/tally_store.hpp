// tally_store.hpp — the shared tally: one store key, "tally:main", that everyone adds to.
//
// State: {"count": n, "last": {"by": name, "added": k} | null}. Ops:
//   add {by: 1..10}   anyone signed in (every visitor is): count += by; "last" says who;
//   reset {}          only an "admin" (a role from a signed token or a grant link).
// Who added comes from the signed actor, never from the arguments.
#pragma once

#include "cohort/store.hpp"

namespace @app@ {

cohort::StoreKind tally_kind();

}  // namespace @app@
