// bindings.hpp — /bindings, a page that shows the official phoenix_live_view client's bindings
// and JS commands working against a Cohort view: JS.push (with a value), JS.show / hide /
// toggle / add_class / transition / dispatch (client-side, kept across server renders),
// phx-click-away, phx-window-keyup with phx-key, phx-throttle, phx-debounce="blur",
// phx-disable-with and page loading (JS.push's page_loading: the client's 1.x form of the old
// phx-page-loading attribute). What the server saw is on the page, so a browser test
// (tests/browser/bindings.test.mjs) reads each binding's effect.
#pragma once

#include "cohort/live.hpp"

namespace cohort::apps {

void install_bindings(live::Live& live);

}  // namespace cohort::apps
