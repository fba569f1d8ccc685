// template_fuzz.cpp — fuzz target for the template language: src/live/template_parser.hpp
// (tags, sections, escaping contexts), src/live/template.hpp (linking: partials, cycles, depth
// and size bounds) and src/live/rendering.hpp (full render, diff, dead render to HTML).
//
// Input layout: up to four template sources separated by NUL bytes, named "a", "b", "c" and
// "d" in that order (so that "{{> b}}" in the first one inlines the second).
// Invariants:
//  - no crash, no sanitizer report, no runaway time or memory, whatever the sources: errors
//    are values;
//  - every error names a file and a line within the sources (0 = the whole file);
//  - a template that links renders against kAssigns: full, then a diff of every assign, then
//    to HTML, and a second full render equals the first.
// Rendering is only tried for templates at most kRenderDepth sections deep: nested sections
// over the same list repeat at every level (mustache looks names up outward), so the work is
// the list's length to the power of the depth — 2^64 here at the parser's depth limit. That is
// a template's own cost, like nested loops in code, not an input the node takes from clients.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>

#include "fuzz_check.hpp"
#include "live/rendering.hpp"
#include "live/template.hpp"

namespace {

using namespace cohort;
using namespace cohort::live;

constexpr std::size_t kRenderDepth = 10;  // see the file comment

// Values of every kind, lists of objects with ids (keyed sections), nesting, unsafe URLs.
constexpr std::string_view kAssigns = R"json({
  "a": [{"id": 1, "b": "x", "c": [1, 2]}, {"id": 2, "b": "<y>", "c": []}],
  "b": {"c": {"d": "javascript:alert(1)"}, "e": true}, "c": "", "d": 0, "e": null,
  "f": 1.5, "g": [[1], [2, [3]]], "id": "p1", "x": {"id": "c1", "label": "hi"}
})json";

struct Host final : ComponentHost {
  int place(std::string_view, const Json&) override { return 1; }
};

std::size_t section_depth(const Node& node) {
  std::size_t deepest = 0;
  for (const auto& d : node.dynamics)
    if (d.body) deepest = std::max(deepest, 1 + section_depth(*d.body));
  return deepest;
}

int line_count(std::string_view s) {
  int n = 1;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  static const char* const kNames[] = {"a", "b", "c", "d"};
  TemplateSet set;
  std::vector<TemplateError> errors;
  int max_lines = 0;
  for (int i = 0; i < 4 && (i == 0 || !input.empty()); ++i) {
    auto nul = input.find('\0');
    std::string_view source = input.substr(0, nul);
    input = nul == std::string_view::npos ? std::string_view{} : input.substr(nul + 1);
    max_lines = std::max(max_lines, line_count(source));
    auto more = set.add(kNames[i], source);
    errors.insert(errors.end(), more.begin(), more.end());
  }
  auto more = set.link();
  errors.insert(errors.end(), more.begin(), more.end());
  for (const auto& e : errors) {
    FUZZ_CHECK(!e.file.empty() && !e.message.empty());
    FUZZ_CHECK(e.line >= 0 && e.line <= max_lines);
  }
  static const JsonObject assigns = boost::json::parse(kAssigns).as_object();
  Changed all;
  for (const auto& [k, v] : assigns) all.emplace(k);
  Host host;
  for (const char* name : kNames) {
    const Template* t = set.find(name);
    if (!t || section_depth(t->root()) > kRenderDepth) continue;
    Rendering r(*t);
    JsonObject full = r.render_full(assigns, &host);
    r.render_diff(assigns, all, &host);
    (void)to_html(full);
    Rendering again(*t);
    FUZZ_CHECK(again.render_full(assigns, &host) == full);
  }
  return 0;
}
