// runtime_files.hpp — where a node finds the files it reads at start-up when no setting names
// them (static_dir, templates_dir, assets_dir).
//
// Owns: the search order, the same for every such directory <name>:
//   1. <prefix>/share/cohort/<name>, for a binary installed as <prefix>/bin/<app>
//      (`cmake --install`, see docs/apps.md);
//   2. <source>/<name>, for a binary built in <source>/build.
// Never the working directory: what a node serves does not depend on where it was started.
// Pure; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cohort::net {

// The first candidate directory that exists, or nullopt with `tried` set to the candidates
// (for an error message that says where to put the files or which setting to use).
std::optional<std::string> find_runtime_dir(std::string_view name, std::string& tried);

}  // namespace cohort::net
