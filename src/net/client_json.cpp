// client_json.cpp — bounded parsing of client JSON: see client_json.hpp.
#include "net/client_json.hpp"

#include <boost/json/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <cmath>
#include <vector>

namespace cohort::net {

ParserLimits parser_limits(const Config& config) {
  return ParserLimits{config.json_max_depth, config.json_max_bytes, config.form_max_depth};
}

ParserRefusals& parser_refusals() {
  static ParserRefusals counters;
  return counters;
}

namespace {

void count(std::atomic<std::uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }

ClientJson refuse(JsonRefusal why, std::string reason) {
  ParserRefusals& c = parser_refusals();
  count(why == JsonRefusal::too_deep ? c.json_too_deep : why == JsonRefusal::too_big ? c.json_too_big
                                                                                       : c.json_malformed);
  ClientJson out;
  out.refusal = why;
  out.reason = std::move(reason);
  return out;
}

// Boost.JSON's parse, no deeper than max_depth.
Json parse_to_depth(std::string_view text, std::uint32_t max_depth, boost::system::error_code& ec) {
  json::parse_options options;
  options.max_depth = max_depth;
  return json::parse(text, ec, {}, options);
}

}  // namespace

ClientJson parse_client_json(std::string_view text, const ParserLimits& limits) {
  if (text.size() > limits.json_max_bytes)
    return refuse(JsonRefusal::too_big, "JSON text of " + std::to_string(text.size()) + " bytes is over json_max_bytes (" +
                                            std::to_string(limits.json_max_bytes) + ")");
  boost::system::error_code ec;
  ClientJson out;
  out.value = parse_to_depth(text, limits.json_max_depth, ec);
  if (ec == json::error::too_deep)
    return refuse(JsonRefusal::too_deep,
                  "JSON nests deeper than json_max_depth (" + std::to_string(limits.json_max_depth) + ")");
  if (ec) return refuse(JsonRefusal::malformed, "malformed JSON: " + ec.message());
  if (!numbers_finite(out.value))
    return refuse(JsonRefusal::malformed, "malformed JSON: a number out of range (JSON numbers must be finite)");
  return out;
}

bool parse_json_within(std::string_view text, std::uint32_t max_depth, Json& out) {
  boost::system::error_code ec;
  Json value = parse_to_depth(text, max_depth, ec);
  if (ec || !numbers_finite(value)) return false;
  out = std::move(value);
  return true;
}

bool numbers_finite(const Json& v) {
  // Containers still to walk: the first kInline on the stack (a message's payload needs no
  // more), the rest on the heap.
  constexpr std::size_t kInline = 32;
  const Json* inline_todo[kInline];
  std::size_t inline_n = 0;
  std::vector<const Json*> spill;
  bool finite = true;
  auto visit = [&](const Json& x) {
    if (x.is_double()) finite = finite && std::isfinite(x.get_double());
    else if (!x.is_array() && !x.is_object()) return;
    else if (inline_n < kInline) inline_todo[inline_n++] = &x;
    else spill.push_back(&x);
  };
  visit(v);
  while (finite && (inline_n || !spill.empty())) {
    const Json* x = spill.empty() ? inline_todo[--inline_n] : spill.back();
    if (!spill.empty()) spill.pop_back();
    if (x->is_array())
      for (const auto& e : x->get_array()) visit(e);
    else
      for (const auto& m : x->get_object()) visit(m.value());
  }
  return finite;
}

}  // namespace cohort::net
