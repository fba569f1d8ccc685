// html_query.hpp — reading the HTML a live view rendered by CSS selector, for the harnesses.
//
// Owns: parsing an HTML fragment (libxml2's HTML parser, forgiving as a browser's is), the
// selector subset cohort/testing.hpp documents (translated to XPath; anything else is refused
// with a Failure that names it), and what a test reads of an element: its text, outer HTML,
// attributes, and a form's fields as the browser would send them. Never evaluates a script and
// never fetches anything (HTML_PARSE_NONET). Not thread-safe: one document per caller.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cohort::testing {

// A selector as XPath over the document ("#save" → //*[@id="save"]); Failure if unsupported.
std::string selector_to_xpath(std::string_view selector);

class HtmlDocument {
 public:
  using Element = const void*;  // a libxml2 node of this document

  explicit HtmlDocument(const std::string& fragment);
  ~HtmlDocument();
  HtmlDocument(const HtmlDocument&) = delete;
  HtmlDocument& operator=(const HtmlDocument&) = delete;

  std::vector<Element> select(std::string_view selector) const;
  // The first match, or Failure naming the selector and what it was wanted for.
  Element first(std::string_view selector, std::string_view wanted_for) const;

  static std::string name(Element e);  // the tag, lower case
  static std::string text(Element e);  // text nodes joined, white space collapsed, trimmed
  static std::string outer_html(Element e);
  static std::optional<std::string> attribute(Element e, std::string_view name);
  // Every attribute as (name, value), in document order.
  static std::vector<std::pair<std::string, std::string>> attributes(Element e);
  // A form's fields as the browser submits them, in document order: named inputs (a checkbox
  // or radio only when checked; not buttons or files), textareas, selects (the selected
  // options, else the first).
  static std::vector<std::pair<std::string, std::string>> form_fields(Element form);

 private:
  struct Doc;
  std::unique_ptr<Doc> doc_;
};

}  // namespace cohort::testing
