// runtime_files.cpp — the search for a node's runtime directories: see runtime_files.hpp.
#include "net/runtime_files.hpp"

#include <filesystem>
#include <system_error>

namespace cohort::net {

std::optional<std::string> find_runtime_dir(std::string_view name, std::string& tried) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  const fs::path root = exe.parent_path().parent_path();
  tried.clear();
  for (const fs::path& dir : {root / "share" / "cohort" / name, root / name}) {
    if (fs::is_directory(dir, ec)) return dir.string();
    tried += (tried.empty() ? "" : " or ") + dir.string();
  }
  return std::nullopt;
}

}  // namespace cohort::net
