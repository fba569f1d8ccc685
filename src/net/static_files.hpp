// static_files.hpp — files under one root directory, served read-only over GET and HEAD.
//
// Owns: mapping a request path to a file under root and its Content-Type. It must never serve
// anything outside root: paths with "..", backslashes or NUL are refused.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cohort/node.hpp"

namespace cohort::net {

// The file's response (200), or nothing when the path is refused or there is no such file.
// "/" and directories serve their index.html.
std::optional<HttpResponse> serve_static(const std::string& root, std::string_view path);

std::string_view content_type_for(std::string_view path);

}  // namespace cohort::net
