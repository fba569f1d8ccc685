// line.cpp — text and JSON log lines (line.hpp).
#include "log/line.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <ctime>

namespace cohort::log {

namespace {

boost::json::value json_of(const Field::Value& v) {
  return std::visit(
      [](const auto& x) -> boost::json::value {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, const boost::json::value*>) return x ? *x : boost::json::value();
        else if constexpr (std::is_same_v<T, std::string_view>) return boost::json::string(x);
        else return boost::json::value(x);
      },
      v);
}

bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  for (unsigned char c : s)
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7F) return true;
  return false;
}

void append_text_value(std::string& out, const Field::Value& v) {
  if (auto s = std::get_if<std::string_view>(&v)) {
    if (needs_quotes(*s)) out += boost::json::serialize(boost::json::string(*s));
    else out += *s;
    return;
  }
  out += boost::json::serialize(json_of(v));
}

std::string json_line(const std::string& time, Level level, std::string_view node, Category category,
                      std::string_view event, Fields fields) {
  boost::json::object o;
  o.reserve(5 + fields.size());
  o.emplace("time", time);
  o.emplace("level", name_of(level));
  o.emplace("node", node);
  o.emplace("category", name_of(category));
  o.emplace("event", event);
  for (const auto& f : fields) o.emplace(f.key, json_of(f.value));  // emplace never replaces a key
  return boost::json::serialize(o);
}

std::string text_line(const std::string& time, Level level, Category category, std::string_view event, Fields fields) {
  std::string out = time;
  out += ' ';
  for (char c : name_of(level)) out += static_cast<char>(c - 'a' + 'A');
  out += ' ';
  out += name_of(category);
  out += ' ';
  out += event;
  for (const auto& f : fields) {
    out += ' ';
    out += f.key;
    out += '=';
    append_text_value(out, f.value);
  }
  return out;
}

}  // namespace

std::string rfc3339_ms(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(time.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

std::string format_line(Options::Format format, std::chrono::system_clock::time_point time, Level level,
                        std::string_view node, Category category, std::string_view event, Fields fields) {
  const std::string stamp = rfc3339_ms(time);
  return format == Options::Format::json ? json_line(stamp, level, node, category, event, fields)
                                         : text_line(stamp, level, category, event, fields);
}

}  // namespace cohort::log
