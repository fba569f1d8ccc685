// config_shown.hpp — the node's settings as its start line shows them.
//
// Owns: one object of every setting of the table in config.cpp, key → effective value, with
// secrets redacted: the HMAC secret only as "(set)", the cluster's and the storage's URLs
// without their passwords (auth/redact.hpp). It must never hold a secret's value. Pure.
#pragma once

#include "cohort/config.hpp"
#include "cohort/json.hpp"

namespace cohort {

JsonObject shown_settings(const Config& config);

}  // namespace cohort
