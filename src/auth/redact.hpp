// redact.hpp — URLs as they may be printed: without the password (or token) in their userinfo.
//
// Owns: the one function every error message, log line and metric uses before it shows a URL
// that came from the settings (--storage postgres://user:password@host/db, --cluster
// redis://...). It must never return the userinfo's password, nor the value of a query
// parameter whose name says password, secret or token; it keeps the user name in "user:pass",
// so an operator can still tell which account failed. Text that is not a well-formed URL is
// redacted by its shape (everything between "://" and the last '@'), so over-redaction is the
// only possible mistake. Pure; any thread.
#pragma once

#include <string>
#include <string_view>

namespace cohort::auth {

// "postgres://app:hunter2@db:5432/x" -> "postgres://app:***@db:5432/x"; URLs without a
// password come back unchanged.
std::string redact_url(std::string_view url);

}  // namespace cohort::auth
