// backup_commands.hpp — the `cohort backup` and `cohort restore` subcommands (flags, messages,
// exit codes) over storage/sqlite_backup.hpp.
//
// Exit codes: 0 done; 1 failed, with a message on stderr naming the file concerned; 2 bad usage.
#pragma once

#include <string>
#include <vector>

namespace cohort::commands {

// cohort backup --data-dir D [--force] [--max-rate MIB_PER_S] OUT
int backup(const std::vector<std::string>& args);

// cohort restore --data-dir D [--force] IN
int restore(const std::vector<std::string>& args);

}  // namespace cohort::commands
