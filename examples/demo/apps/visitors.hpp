// visitors.hpp — who the demo's visitors are: each new browser gets a friendly made-up name and
// a colour (Live::new_visitor), kept in Cohort's visitor cookie, so people can tell each other
// apart in presence lists and cursors without accounts. Roles come from sign-in links.
#pragma once

#include "cohort/json.hpp"

namespace cohort::apps {

// Adds "name" and "color" to a new visitor's claims. Any thread.
void name_visitor(JsonObject& visitor);

}  // namespace cohort::apps
