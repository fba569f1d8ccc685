// line.hpp — one log line as text or JSON, from its parts.
//
// Owns: the two formats (docs/operations.md, Logs). JSON: one object per line, built with
// Boost.JSON (so every value is escaped by the JSON rules), keys in this order: time (RFC 3339,
// UTC, milliseconds), level, node, category, event, then the fields; a field cannot replace one
// of those five (it is left out). Text: `time LEVEL category event key=value ...`, a value quoted
// (JSON escaping) when it is empty or holds a space, a quote, '=', a backslash or a control
// character, so a value can never start a line of its own. Pure; any thread. No trailing newline.
#pragma once

#include <chrono>
#include <string>

#include "log/log.hpp"

namespace cohort::log {

std::string format_line(Options::Format format, std::chrono::system_clock::time_point time, Level level,
                        std::string_view node, Category category, std::string_view event, Fields fields);

// "2025-03-01T12:34:56.789Z"
std::string rfc3339_ms(std::chrono::system_clock::time_point time);

}  // namespace cohort::log
