// bindings.hpp — /bindings, a page that shows the official phoenix_live_view client's bindings
// and JS commands working against a Cohort view: JS.push (with a value), JS.show / hide /
// toggle / add_class / transition / dispatch (client-side, kept across server renders),
// phx-click-away, phx-window-keyup with phx-key, phx-throttle, phx-debounce="blur",
// phx-disable-with and page loading (JS.push's page_loading: the client's 1.x form of the old
// phx-page-loading attribute), and an auto upload (LiveFileUpload with data-phx-auto-upload,
// consumed by its progress callback). What the server saw is on the page, so browser tests
// (tests/browser/bindings.test.mjs, uploads.test.mjs) read each binding's effect.
#pragma once

#include "cohort/live.hpp"

namespace cohort::apps {

void install_bindings(live::Live& live);

}  // namespace cohort::apps
