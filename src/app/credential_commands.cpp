// credential_commands.cpp — `cohort token` and `cohort grant`: see credential_commands.hpp.
#include "app/credential_commands.hpp"

#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string_view>
#include <variant>

#include "auth/api_auth.hpp"
#include "auth/grants.hpp"
#include "auth/secret_file.hpp"
#include "cohort/config.hpp"
#include "cohort/token.hpp"
#include "live/signin.hpp"

namespace cohort::commands {

namespace {

constexpr std::int64_t kDay = 24 * 3600;

// The command's own flags, taken out of args; what is left goes to load_config.
struct Flags {
  std::vector<std::pair<std::string, std::string>> values;
  std::vector<std::string> rest;
  std::optional<std::string> error;
  std::optional<std::string> get(std::string_view name) const {
    for (const auto& [k, v] : values)
      if (k == name) return v;
    return std::nullopt;
  }
};

Flags split_flags(const std::vector<std::string>& args, const std::vector<std::string_view>& own) {
  Flags f;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    auto eq = arg.find('=');
    std::string name = arg.substr(0, eq);
    bool mine = false;
    for (auto o : own) mine = mine || name == o;
    if (!mine) {
      f.rest.push_back(arg);
      continue;
    }
    if (eq != std::string::npos) f.values.emplace_back(name, arg.substr(eq + 1));
    else if (i + 1 < args.size()) f.values.emplace_back(name, args[++i]);
    else f.error = name + " needs a value";
  }
  return f;
}

// "90s", "10m", "1h", "7d" or plain seconds -> seconds; nullopt when malformed or out of range.
std::optional<std::int64_t> parse_duration(std::string_view text, std::int64_t max) {
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n <= 0) return std::nullopt;
  std::string_view unit(end, text.data() + text.size() - end);
  std::int64_t scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? kDay : 0;
  if (scale == 0 || n > max / scale) return std::nullopt;
  return n * scale;
}

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

bool valid_role(std::string_view role) {
  for (char c : role)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' && c != ':') return false;
  return !role.empty() && role.size() <= 64;
}

// An error naming the first role that is not a role name, or nullopt.
std::optional<std::string> invalid_role(const std::vector<std::string>& roles) {
  for (const auto& r : roles)
    if (!valid_role(r)) return "'" + r + "' is not a role name (letters, digits, _ - . :)";
  return std::nullopt;
}

// The "topics" claim of --topics 'room:*,lobby', or what is wrong with it.
std::variant<json::array, std::string> topic_claim(std::string_view text) {
  auto patterns = split_list(text);
  if (patterns.empty()) return std::string("--topics needs at least one pattern");
  json::array list;
  for (const auto& p : patterns) {
    if (!auth::valid_topic_pattern(p)) return "'" + p + "' is not a topic pattern ('*' only at the end)";
    list.emplace_back(p);
  }
  return list;
}

std::string utc(std::int64_t unix_time) {
  std::time_t t = static_cast<std::time_t>(unix_time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "cohort: %s\n", message.c_str());
  return 2;
}

// The node's settings and its secret, read as `serve` reads them (never created here).
std::optional<std::string> node_secret(const std::vector<std::string>& rest, const std::vector<ExtraSetting>& extra,
                                       Config& config, std::string& secret) {
  if (auto err = load_config(rest, config, extra)) return err;
  auto loaded = auth::load_secret(config.secret, config.data_dir, /*create=*/false);
  if (!loaded.error.empty()) return loaded.error;
  secret = std::move(loaded.secret);
  return std::nullopt;
}

constexpr const char* kTokenUsage =
    "usage: cohort token --roles ROLES [--topics PATTERNS] [--ttl DURATION] [--sub NAME] [serve options]\n\n"
    "Prints an API token (Authorization: Bearer <token>) signed with the node's secret, found as\n"
    "`cohort serve` finds it (--secret, --data-dir, --config, COHORT_* environment).\n"
    "  --roles     comma-separated: publish (POST /api/broadcast), metrics (GET /metrics)\n"
    "  --topics    comma-separated topics the token may publish to; 'room:*' = any topic\n"
    "              starting with 'room:' (default: every topic)\n"
    "  --ttl       how long it is valid: 90s, 10m, 1h, 30d (default 1h, at most 365d)\n"
    "  --sub       who it is for, shown in logs (default \"api\")\n";

constexpr const char* kGrantUsage =
    "usage: cohort grant [--roles ROLES] [--then PATH] [--ttl DURATION] [serve options]\n\n"
    "Prints a sign-in link for the node running with this data directory (it reads the node's\n"
    "secret and <data-dir>/grant-epoch, written at each start). The link works once, within\n"
    "--ttl (default: the grant_ttl_s setting, 10 minutes), until the node restarts. The link's\n"
    "origin is --public-url, else http://<host>:<port> of the settings (pass the node's --port).\n"
    "  --roles     comma-separated roles it gives (default moderator)\n"
    "  --then      the local path to land on (default /quiz)\n";

bool wants_help(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}

}  // namespace


int token(const std::vector<std::string>& args, const std::vector<ExtraSetting>& extra) {
  if (wants_help(args)) {
    std::fputs(kTokenUsage, stdout);
    return 0;
  }
  Flags f = split_flags(args, {"--roles", "--topics", "--ttl", "--sub"});
  if (f.error) return fail(*f.error);
  auto roles = split_list(f.get("--roles").value_or(""));
  if (roles.empty()) return fail(std::string("--roles is required\n") + kTokenUsage);
  if (auto bad = invalid_role(roles)) return fail(*bad);
  auto ttl = parse_duration(f.get("--ttl").value_or("1h"), 365 * kDay);
  if (!ttl) return fail("--ttl must be a duration like 90s, 10m, 1h or 30d (at most 365d)");
  JsonObject claims{{"sub", f.get("--sub").value_or("api")}, {"roles", json::array(roles.begin(), roles.end())}};
  std::string topics_text = f.get("--topics").value_or("");
  if (f.get("--topics")) {
    auto topics = topic_claim(topics_text);
    if (auto* err = std::get_if<std::string>(&topics)) return fail(*err);
    claims["topics"] = std::move(std::get<json::array>(topics));
  }
  Config config;
  std::string secret;
  if (auto err = node_secret(f.rest, extra, config, secret)) return fail(*err);
  std::int64_t exp = static_cast<std::int64_t>(std::time(nullptr)) + *ttl;
  std::string t = TokenSigner(secret).sign_until(TokenKind::api, std::move(claims), exp);
  std::printf("%s\n", t.c_str());
  std::string what = "roles " + f.get("--roles").value_or("") + (f.get("--topics") ? ", topics " + topics_text : "");
  std::fprintf(stderr, "cohort: API token (%s), valid until %s; it is a password: keep it out of logs\n",
               what.c_str(), utc(exp).c_str());
  return 0;
}

int grant(const std::vector<std::string>& args, const std::vector<ExtraSetting>& extra) {
  if (wants_help(args)) {
    std::fputs(kGrantUsage, stdout);
    return 0;
  }
  Flags f = split_flags(args, {"--roles", "--then", "--ttl"});
  if (f.error) return fail(*f.error);
  auto roles = split_list(f.get("--roles").value_or("moderator"));
  if (roles.empty()) return fail("--roles needs at least one role");
  if (auto bad = invalid_role(roles)) return fail(*bad);
  std::string then = f.get("--then").value_or("/quiz");
  if (!live::safe_local_path(then)) return fail("--then must be a local path such as /quiz");
  Config config;
  std::string secret;
  if (auto err = node_secret(f.rest, extra, config, secret)) return fail(*err);
  std::int64_t ttl = config.grant_ttl_s;
  if (auto text = f.get("--ttl")) {
    auto parsed = parse_duration(*text, kDay);
    if (!parsed) return fail("--ttl must be a duration like 90s, 10m or 1h (at most 1d)");
    ttl = *parsed;
  }
  std::string error;
  auto epoch = auth::read_private_file(config.data_dir + "/grant-epoch", error);
  if (!epoch) return fail(error + " (is the node running with --data-dir " + config.data_dir + "?)");
  std::string link = live::signin_link(
      auth::mint_grant(TokenSigner(secret), *epoch, roles, std::chrono::seconds(ttl)), then);
  std::printf("%s%s\n", config.base_url(config.port).c_str(),
              link.c_str());
  std::fprintf(stderr, "cohort: sign-in link for %s: works once, within %lld s, until the node restarts\n",
               f.get("--roles").value_or("moderator").c_str(), static_cast<long long>(ttl));
  return 0;
}

}  // namespace cohort::commands
