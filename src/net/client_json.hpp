// client_json.hpp — the one way Cohort parses JSON that a client sent: within a size and a
// depth, every refusal counted.
//
// Owns: ParserLimits (the "Parsers" settings of cohort/config.hpp: json_max_depth,
// json_max_bytes, form_max_depth), parse_client_json(), and the refusal counters shown in
// /metrics as cohort_parser_refusals_total{kind=...}. Every parse of client JSON goes through
// parse_client_json: Phoenix messages on every socket (/socket, /live: the live events'
// payloads are inside them) and the JSON bodies of HTTP routes. Live form values are decoded by
// live/form.hpp under form_max_depth, which counts its refusals here too. Query strings are
// bounded by max_header_bytes before anything parses them (net/query.hpp).
//
// Why a depth bound: Boost.JSON parses without recursion, but a value is destroyed, copied and
// compared recursively, so an unbounded depth is a stack overflow waiting for the first copy.
// Why a size bound on top of max_frame: what one parse may allocate (about 10x the text).
// Numbers must be finite: Boost.JSON reads 1e400 as infinity and writes infinity as
// `Infinity`, which is not JSON, so one such number in a broadcast would break the JSON parse
// of every subscriber. (Phoenix's Jason refuses it too.)
//
// Counters: one process is one node (docs/architecture.md), so the counters are the process's:
// relaxed atomics, statistics only. Pure functions otherwise; any thread; never throws for bad
// input (std::bad_alloc aside); it must never parse client bytes without these limits.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cohort/config.hpp"
#include "cohort/json.hpp"

namespace cohort::net {

// The bounds every parse of client input runs under; the defaults are Config's.
struct ParserLimits {
  std::uint32_t json_max_depth = 64;  // nesting of arrays and objects, the outermost counting 1
  std::size_t json_max_bytes = 1 << 20;  // the JSON text
  std::uint32_t form_max_depth = 32;  // brackets in one form field name: a[b][c] is 2
};
ParserLimits parser_limits(const Config& config);

enum class JsonRefusal { malformed, too_deep, too_big };

struct ClientJson {
  Json value;  // null when refused
  std::optional<JsonRefusal> refusal;
  // With a refusal, why, naming the setting: "JSON nests deeper than json_max_depth (64)".
  std::string reason;
  explicit operator bool() const { return !refusal; }
};

// Parses text as one JSON value under limits; a refusal is counted before it is returned.
// A number out of a double's range is refused as malformed.
ClientJson parse_client_json(std::string_view text, const ParserLimits& limits);

// Parses text as one JSON value nesting at most max_depth levels, with finite numbers, into
// out; false otherwise. Counts nothing: for a fast path whose caller falls back to
// parse_client_json (which counts and says why) when it returns false.
bool parse_json_within(std::string_view text, std::uint32_t max_depth, Json& out);

// True when no number in v is infinite (or NaN). Walks v without recursion.
bool numbers_finite(const Json& v);

// What the parsers refused since start (any thread).
struct ParserRefusals {
  std::atomic<std::uint64_t> json_malformed{0};
  std::atomic<std::uint64_t> json_too_deep{0};
  std::atomic<std::uint64_t> json_too_big{0};
  std::atomic<std::uint64_t> form_too_deep{0};
};
// Read at scrape time as cohort_parser_refusals_total{kind="..."} (net/net_metrics.cpp).
ParserRefusals& parser_refusals();

}  // namespace cohort::net
