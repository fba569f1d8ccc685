// scaffold.hpp — `cohort new` and `cohort gen live`: a new app, or a new view in one, written
// from the scaffold files (scaffold/ in the source tree, share/cohort/scaffold once installed;
// scaffold/README.md says what they hold).
//
// Owns: the rules for names (an app or view name is a C++ identifier and a file name at once:
// [a-z][a-z0-9_]{0,31}, not a C++ keyword), the copy (every file of scaffold/app or
// scaffold/live, its path and text with the scaffold words replaced), and what is printed after
// (the next commands; for a view, the line main.cpp needs). Never overwrites a file: `new`
// refuses a directory that is not empty, `gen` a file that exists, before writing anything.
// Exit codes: 0 done, 2 bad usage or names, 1 the files could not be found or written.
#pragma once

#include <string>
#include <vector>

namespace cohort::commands {

// `cohort new APP [--dir D]`: a project in D (default ./APP) that builds against this Cohort.
int new_app(const std::vector<std::string>& args, const std::string& version);
// `cohort gen live NAME [--dir D]`: a view, its template and its test in the project at D (default .).
int generate(const std::vector<std::string>& args, const std::string& version);

}  // namespace cohort::commands
