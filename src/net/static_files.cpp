// static_files.cpp — static file serving: see static_files.hpp.
#include "net/static_files.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <sstream>

namespace cohort::net {

namespace fs = std::filesystem;

namespace {

// A segment that could name something other than a plain child of its directory.
bool refused(std::string_view segment) {
  return segment.empty() || segment.front() == '.' || segment.find_first_of(std::string_view("/\\\0", 3)) != std::string_view::npos;
}

// Whether path lies at or under dir (both canonical), compared component by component, so
// "/srv/static-old" is not inside "/srv/static".
bool under(const fs::path& path, const fs::path& dir) {
  auto [d, p] = std::mismatch(dir.begin(), dir.end(), path.begin(), path.end());
  return d == dir.end();
}

// ASCII lower case, for matching tag text written in any case.
std::string lowered(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "'sha256-<standard base64>'" of text, as CSP writes a hash source.
std::string sha256_source(std::string_view text) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha256(), nullptr);
  std::array<unsigned char, 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1> b64{};
  int n = EVP_EncodeBlock(b64.data(), digest.data(), static_cast<int>(length));
  return "'sha256-" + std::string(reinterpret_cast<const char*>(b64.data()), static_cast<std::size_t>(n)) + "'";
}

}  // namespace

std::string import_map_sources(std::string_view html) {
  constexpr std::string_view kOpen = "<script type=\"importmap\">", kClose = "</script>";
  const std::string lower = lowered(html);
  std::string out;
  for (std::size_t at = lower.find(kOpen); at != std::string::npos; at = lower.find(kOpen, at)) {
    std::size_t begin = at + kOpen.size();
    std::size_t end = lower.find(kClose, begin);
    if (end == std::string::npos) break;
    out += (out.empty() ? "" : " ") + sha256_source(html.substr(begin, end - begin));
    at = end + kClose.size();
  }
  return out;
}

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

StaticFiles::StaticFiles(const std::string& root, const std::vector<std::string>& excluded) {
  std::error_code ec;
  if (!root.empty()) root_ = fs::canonical(root, ec);
  if (ec) root_.clear();  // a root that does not exist serves nothing
  for (const auto& e : excluded) {
    if (e.empty()) continue;
    auto path = fs::weakly_canonical(fs::absolute(e, ec), ec);
    if (!ec) excluded_.push_back(path.lexically_normal());
  }
}

bool StaticFiles::inside_root(const fs::path& file) const {
  if (!under(file, root_)) return false;
  for (const auto& part : file.lexically_relative(root_))
    if (part.native().starts_with('.')) return false;  // a symlink may lead into a dot-directory
  for (const auto& e : excluded_)
    if (under(file, e)) return false;
  return true;
}

std::optional<fs::path> StaticFiles::resolve(const std::vector<std::string>& segments) const {
  if (root_.empty()) return std::nullopt;
  fs::path candidate = root_;
  for (const auto& s : segments) {
    if (refused(s)) return std::nullopt;
    candidate /= s;
  }
  std::error_code ec;
  fs::path file = fs::canonical(candidate, ec);  // follows every symlink; fails when absent
  if (ec) return std::nullopt;
  if (fs::is_directory(file, ec)) file = fs::canonical(file / "index.html", ec);
  if (ec || !fs::is_regular_file(file, ec) || !inside_root(file)) return std::nullopt;
  return file;
}

std::optional<HttpResponse> StaticFiles::serve(const std::vector<std::string>& segments) const {
  auto file = resolve(segments);
  if (!file) return std::nullopt;
  std::ifstream in(*file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream body;
  body << in.rdbuf();
  HttpResponse r;
  r.content_type = std::string(content_type_for(file->native()));
  r.body = std::move(body).str();
  return r;
}

}  // namespace cohort::net
