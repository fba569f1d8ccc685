// static_files.hpp — files under one root directory, served read-only over GET and HEAD.
//
// Owns: mapping a request path (its decoded segments, net/route_pattern.hpp) to a file under
// the root and its Content-Type. It must never serve anything outside the root: a segment that
// starts with '.' (dot-files, ".", "..", however they were encoded) or holds '/', '\' or NUL is
// refused; the file the remaining segments name is resolved to its canonical path (symlinks
// followed) and served only if that path lies inside the canonical root, compared component by
// component, passes through no dot-named directory, and lies inside none of the excluded paths
// (the data directory with its secret, the TLS key). Read-only after construction: any thread.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/http.hpp"

namespace cohort::net {

class StaticFiles {
 public:
  StaticFiles() = default;  // serves nothing
  // root: the directory served at "/" (empty = none). excluded: files or directories never
  // served even when they lie under root.
  StaticFiles(const std::string& root, const std::vector<std::string>& excluded);

  // The file's response (200), or nothing when the path is refused or names no file.
  // "/" and directories serve their index.html.
  std::optional<HttpResponse> serve(const std::vector<std::string>& segments) const;
  // The canonical path of the regular file that segments name, when it may be served.
  std::optional<std::filesystem::path> resolve(const std::vector<std::string>& segments) const;

 private:
  bool inside_root(const std::filesystem::path& file) const;
  std::filesystem::path root_;  // canonical; empty = serve nothing
  std::vector<std::filesystem::path> excluded_;  // canonical (as far as they exist)
};

std::string_view content_type_for(std::string_view path);

// The CSP script sources ("'sha256-<base64>'", space-separated; "" when none) that allow the
// inline import maps of a static HTML page: the text of each <script type="importmap"> element.
// For files of the static root only, which the operator wrote: hashing what a rendered page
// holds would let anything injected into it run as script (docs/security.md).
std::string import_map_sources(std::string_view html);

}  // namespace cohort::net
