// credential_commands.hpp — `cohort token` and `cohort grant`: credentials for a node, made
// offline by its operator from the same secret the node reads.
//
// Owns: the options of both commands (their own flags, then every `serve` setting and the app's options, so the
// secret is found exactly as serve finds it: --secret, --data-dir, --config, COHORT_* env),
// durations ("90s", "10m", "1h", "7d"), and printing the credential on stdout alone (a note
// on stderr says what it allows and until when). Never creates a secret: a command pointed at
// the wrong data directory fails instead of minting tokens no node accepts.
#pragma once

#include <string>
#include <vector>

#include "cohort/config.hpp"

namespace cohort::commands {

// `cohort token --roles publish[,metrics] [--topics 'room:*'] [--ttl 1h] [--sub NAME] [serve options]`
int token(const std::vector<std::string>& args, const std::vector<ExtraSetting>& extra = {});
// `cohort grant [--roles moderator] [--then /quiz] [--ttl 10m] [serve options]`
int grant(const std::vector<std::string>& args, const std::vector<ExtraSetting>& extra = {});

}  // namespace cohort::commands
