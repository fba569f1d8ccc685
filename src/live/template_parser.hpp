// template_parser.hpp — turns one template's source into pieces (text, tags, open partials).
//
// Owns: the tag syntax of Cohort templates and the errors it can find in one file (bad tag,
// unterminated tag, unclosed or mismatched section, sections nested deeper than
// kMaxSectionDepth). Partials stay unresolved here; linking (template.cpp) inlines them. The
// parse itself never recurses, whatever the source; the depth bound keeps the recursive walks
// after it (linking, rendering, destruction) shallow. Pure function; no shared state.
#pragma once

#include "live/template.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cohort::live {

// Sections (and streams) open inside each other, in one file or across inlined partials.
inline constexpr std::size_t kMaxSectionDepth = 64;

struct Piece {
  enum class Kind { text, dynamic, partial };
  Kind kind = Kind::text;
  std::string text;             // text: the HTML; partial: the partial's name
  Dynamic dynamic;              // kind == dynamic (body and deps are filled in by link)
  std::vector<Piece> children;  // section, inverted and stream bodies
  int line = 0;
};

struct ParsedTemplate {
  std::string name;
  std::string file;
  std::vector<Piece> pieces;
  bool ok = true;  // false: the file had errors; it is not linked
};

// Parses source into out.pieces; every error found is appended to errors.
void parse_template(std::string_view source, ParsedTemplate& out,
                    std::vector<TemplateError>& errors);

}  // namespace cohort::live
