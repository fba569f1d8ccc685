// static_files.cpp — static file serving: see static_files.hpp.
#include "net/static_files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace cohort::net {

namespace fs = std::filesystem;

std::string_view content_type_for(std::string_view path) {
  struct Type {
    std::string_view ext, type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},  {".svg", "image/svg+xml"},
      {".png", "image/png"},          {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"}, {".map", "application/json"},
  };
  for (const auto& t : kTypes)
    if (path.ends_with(t.ext)) return t.type;
  return "application/octet-stream";
}

std::optional<HttpResponse> serve_static(const std::string& root, std::string_view path) {
  if (root.empty() || path.empty() || path[0] != '/') return std::nullopt;
  if (path.find("..") != std::string_view::npos || path.find('\\') != std::string_view::npos ||
      path.find('\0') != std::string_view::npos)
    return std::nullopt;
  fs::path file = fs::path(root) / std::string(path.substr(1));
  std::error_code ec;
  if (fs::is_directory(file, ec)) file /= "index.html";
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream body;
  body << in.rdbuf();
  HttpResponse r;
  r.content_type = std::string(content_type_for(file.string()));
  r.body = std::move(body).str();
  return r;
}

}  // namespace cohort::net
