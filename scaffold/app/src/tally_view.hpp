// tally_view.hpp — the page at "/": the tally's count, buttons to add to it, who added last,
// and who is here now, live for everyone.
//
// The view never changes the tally itself: a click asks the store (op "add"), and every page,
// the clicker's included, shows the count the store broadcasts. Who is here is presence on
// "tally:here", each visitor once, tracked by its own page while it is open.
#pragma once

#include <memory>

#include "cohort/live.hpp"

namespace @app@ {

std::unique_ptr<cohort::live::View> tally_view();

}  // namespace @app@
