// status_command.hpp — `cohort status`: a node's (and its cluster's) figures on one screen, read
// from a running node's GET /admin/status (node_status.hpp; docs/operations.md).
//
// Owns: the command's flags, one small blocking HTTP/1.1 client (Boost.Beast, bounded by a
// deadline: it never hangs on a silent node), two samples a second apart for the message rates,
// and the summary's layout. Exit codes: 0 printed; 1 the node could not be read (refused
// connection, 401/403 without a good token, an answer that is not a Cohort status), with one
// line on stderr saying which and what to do; 2 bad usage.
#pragma once

#include <string>
#include <vector>

namespace cohort::commands {

// cohort status --url URL [--token T]
int status(const std::vector<std::string>& args);

}  // namespace cohort::commands
