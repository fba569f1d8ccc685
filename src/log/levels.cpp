// levels.cpp — the names of categories and levels, and the strict parsing of --log-level,
// --log-levels and --log-format.
//
// Owns: one table of names per enum, so a new category is one enum value and one name. Pure;
// any thread. It must never accept a name it does not know (a typo in --log-levels would
// otherwise silence a category without a word): an unknown name is an error naming it and the
// names that exist.
#include <array>

#include "log/log.hpp"

namespace cohort::log {

namespace {

constexpr std::array<std::string_view, kCategories> kCategoryNames = {
    "node", "net", "channels", "presence", "live", "store", "storage", "cluster", "access"};
constexpr std::array<std::string_view, 6> kLevelNames = {"trace", "debug", "info", "warn", "error", "off"};

template <std::size_t N>
std::string joined(const std::array<std::string_view, N>& names, std::size_t count = N) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) out += (i ? ", " : "") + std::string(names[i]);
  return out;
}

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::string_view name_of(Category c) { return kCategoryNames[static_cast<std::size_t>(c)]; }
std::string_view name_of(Level l) { return kLevelNames[static_cast<std::size_t>(l)]; }

std::optional<Level> parse_level(std::string_view text) {
  for (std::size_t i = 0; i < kLevelNames.size(); ++i)
    if (kLevelNames[i] == text) return static_cast<Level>(i);
  return std::nullopt;
}

std::optional<Category> parse_category(std::string_view text) {
  for (std::size_t i = 0; i < kCategories; ++i)
    if (kCategoryNames[i] == text) return static_cast<Category>(i);
  return std::nullopt;
}

std::optional<Options::Format> parse_format(std::string_view text) {
  if (text == "text") return Options::Format::text;
  if (text == "json") return Options::Format::json;
  return std::nullopt;
}

std::optional<std::string> parse_levels(std::string_view text, Thresholds& thresholds) {
  Thresholds out = thresholds;
  std::string_view rest = text;
  while (!trimmed(rest).empty()) {
    auto comma = rest.find(',');
    std::string_view item = trimmed(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    auto eq = item.find('=');
    if (eq == std::string_view::npos)
      return "'" + std::string(item) + "' is not CATEGORY=LEVEL (e.g. net=debug,cluster=warn)";
    auto category = parse_category(trimmed(item.substr(0, eq)));
    if (!category || category == Category::access)
      return "unknown log category '" + std::string(trimmed(item.substr(0, eq))) + "' (categories: " +
             joined(kCategoryNames, kCategories - 1) + "; the access log is --access-log)";
    auto level = parse_level(trimmed(item.substr(eq + 1)));
    if (!level)
      return "unknown log level '" + std::string(trimmed(item.substr(eq + 1))) + "' for " +
             std::string(name_of(*category)) + " (levels: " + joined(kLevelNames) + ")";
    out[static_cast<std::size_t>(*category)] = *level;
  }
  thresholds = out;
  return std::nullopt;
}

std::optional<std::string> thresholds_of(std::string_view level, std::string_view levels, Thresholds& out) {
  auto base = parse_level(level);
  if (!base) return "unknown log level '" + std::string(level) + "' (levels: " + joined(kLevelNames) + ")";
  out.fill(*base);
  out[static_cast<std::size_t>(Category::access)] = Level::off;
  return parse_levels(levels, out);
}

}  // namespace cohort::log
