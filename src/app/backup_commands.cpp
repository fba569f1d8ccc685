// backup_commands.cpp — `cohort backup` / `cohort restore`: see backup_commands.hpp. Parsing
// and printing only; what is copied and how is storage/sqlite_backup.cpp's.
#include "app/backup_commands.hpp"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "storage/sqlite_backup.hpp"

namespace cohort::commands {
namespace {

constexpr const char* kBackupUsage =
    "usage: cohort backup --data-dir DIR [--force] [--max-rate MIB_PER_S] OUT\n\n"
    "Copies DIR/cohort.db, the SQLite store of a node (running or not), into OUT: one\n"
    "consistent snapshot, written as a single self-contained SQLite file and verified\n"
    "(integrity_check, schema version, row counts) before it is given the name OUT.\n"
    "The node keeps serving and committing while it runs. DIR/secret is not copied.\n\n"
    "  --data-dir DIR        the node's data directory (required)\n"
    "  --force               replace OUT if it exists (refused otherwise)\n"
    "  --max-rate MIB_PER_S  copy at most this many MiB a second, to spare the node's disk\n"
    "                        (default: as fast as it goes)\n\n"
    "Exit codes: 0 done, 1 failed (the message names the file), 2 bad usage.\n";

constexpr const char* kRestoreUsage =
    "usage: cohort restore --data-dir DIR [--force] IN\n\n"
    "Replaces DIR/cohort.db by the backup IN, verified first (integrity_check, a schema\n"
    "this Cohort can load). Refused while a node serves DIR (DIR/cohort.lock is held).\n"
    "DIR/secret is left as it is: tokens signed with it stay valid only if it is kept.\n\n"
    "  --data-dir DIR  the data directory to restore into (created if missing; required)\n"
    "  --force         replace an existing DIR/cohort.db, keeping it as\n"
    "                  DIR/cohort.db.before-restore (refused without --force)\n\n"
    "Exit codes: 0 done, 1 failed (the message names the file), 2 bad usage.\n";

struct Invocation {
  std::string data_dir;
  std::string file;  // OUT or IN
  bool force = false;
  double max_mib_per_s = 0;
  bool help = false;
};

std::optional<std::string> parse_rate(const std::string& text, double& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size() || !(out > 0))
    return "--max-rate: '" + text + "' is not a positive number of MiB a second";
  return std::nullopt;
}

// Flags as `--name value` or `--name=value`; exactly one positional argument.
std::optional<std::string> parse(const std::vector<std::string>& args, bool takes_rate, Invocation& out) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i], value;
    const bool has_inline = arg.starts_with("--") && arg.find('=') != std::string::npos;
    if (has_inline) value = arg.substr(arg.find('=') + 1), arg.resize(arg.find('='));
    auto take_value = [&]() -> std::optional<std::string> {
      if (has_inline) return std::nullopt;
      if (i + 1 >= args.size()) return arg + " needs a value";
      value = args[++i];
      return std::nullopt;
    };
    if (arg == "--help" || arg == "-h") {
      out.help = true;
    } else if (arg == "--force" && !has_inline) {
      out.force = true;
    } else if (arg == "--data-dir") {
      if (auto e = take_value()) return e;
      out.data_dir = value;
    } else if (arg == "--max-rate" && takes_rate) {
      if (auto e = take_value()) return e;
      if (auto e = parse_rate(value, out.max_mib_per_s)) return e;
    } else if (arg.starts_with("-")) {
      return "unknown option '" + args[i] + "'";
    } else if (!out.file.empty()) {
      return "one file only ('" + out.file + "', then '" + arg + "')";
    } else {
      out.file = arg;
    }
  }
  if (out.help) return std::nullopt;
  if (out.data_dir.empty()) return "--data-dir is required";
  if (out.file.empty()) return "the file is missing";
  return std::nullopt;
}

// Parses, or prints usage: nullopt means "go on", a value is the exit code to return.
std::optional<int> parse_or_usage(const char* name, const char* usage, const std::vector<std::string>& args,
                                  bool takes_rate, Invocation& inv) {
  if (auto e = parse(args, takes_rate, inv)) {
    std::fprintf(stderr, "cohort %s: %s\n\n%s", name, e->c_str(), usage);
    return 2;
  }
  if (inv.help) {
    std::fputs(usage, stdout);
    return 0;
  }
  return std::nullopt;
}

std::string rows(const storage::StoreCensus& c) {
  return std::to_string(c.keys) + " keys, " + std::to_string(c.ops) + " ops, " + std::to_string(c.snapshots) +
         " snapshots, " + std::to_string(c.bytes) + " bytes (schema version " + std::to_string(c.schema_version) + ")";
}

}  // namespace

int backup(const std::vector<std::string>& args) {
  Invocation inv;
  if (auto code = parse_or_usage("backup", kBackupUsage, args, true, inv)) return *code;
  storage::StoreCensus copied;
  if (auto e = storage::backup_store(inv.data_dir, inv.file, {inv.force, inv.max_mib_per_s}, copied)) {
    std::fprintf(stderr, "cohort backup: %s\n", e->c_str());
    return 1;
  }
  const auto source = std::filesystem::path(inv.data_dir) / "cohort.db";
  std::printf("cohort backup: %s -> %s: %s\n", source.c_str(), inv.file.c_str(), rows(copied).c_str());
  return 0;
}

int restore(const std::vector<std::string>& args) {
  Invocation inv;
  if (auto code = parse_or_usage("restore", kRestoreUsage, args, false, inv)) return *code;
  storage::RestoreOutcome outcome;
  if (auto e = storage::restore_store(inv.data_dir, inv.file, inv.force, outcome)) {
    std::fprintf(stderr, "cohort restore: %s\n", e->c_str());
    return 1;
  }
  const auto dir = std::filesystem::path(inv.data_dir);
  std::printf("cohort restore: %s -> %s: %s\n", inv.file.c_str(), (dir / "cohort.db").c_str(), rows(outcome.restored).c_str());
  if (!outcome.kept.empty()) std::printf("cohort restore: the replaced store is kept as %s\n", outcome.kept.c_str());
  std::error_code ec;
  if (!std::filesystem::exists(dir / "secret", ec))
    std::printf("cohort restore: note: %s does not exist: the node creates a new secret at its next start, so\n"
                "  tokens signed with the old one are refused (copy the old secret there, or pass --secret, to keep them)\n",
                (dir / "secret").c_str());
  return 0;
}

}  // namespace cohort::commands
