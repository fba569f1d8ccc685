// html_query.cpp — HTML by CSS selector through libxml2: see html_query.hpp.
#include "testing/html_query.hpp"

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/xpath.h>

#include <cctype>

#include "cohort/testing.hpp"

namespace cohort::testing {

namespace {

const xmlChar* x(const char* s) { return reinterpret_cast<const xmlChar*>(s); }
std::string str(const xmlChar* s) { return s ? reinterpret_cast<const char*>(s) : ""; }
xmlNode* node_of(HtmlDocument::Element e) { return const_cast<xmlNode*>(static_cast<const xmlNode*>(e)); }

// Reads one selector, compound by compound.
class SelectorReader {
 public:
  explicit SelectorReader(std::string_view s) : s_(s) {}

  std::string xpath() {
    std::string out = "//";
    skip_spaces();
    compound(out);
    while (i_ < s_.size()) {
      bool spaced = skip_spaces();
      if (i_ < s_.size() && s_[i_] == '>') {
        ++i_;
        skip_spaces();
        out += "/";
      } else if (spaced) {
        out += "//";
      } else {
        refuse("unexpected '" + std::string(1, s_[i_]) + "'");
      }
      compound(out);
    }
    return out;
  }

 private:
  void compound(std::string& out) {
    std::string tag = ident();
    bool any = tag.empty() && i_ < s_.size() && s_[i_] == '*';
    if (any) ++i_;
    out += tag.empty() ? "*" : tag;
    std::size_t parts = tag.empty() && !any ? 0 : 1;
    while (i_ < s_.size() && s_[i_] != ' ' && s_[i_] != '>') {
      char c = s_[i_++];
      if (c == '#') out += "[@id=" + literal(need(ident(), "an id after '#'")) + "]";
      else if (c == '.') out += "[contains(concat(' ', normalize-space(@class), ' '), " + literal(" " + need(ident(), "a class after '.'") + " ") + ")]";
      else if (c == '[') out += attribute();
      else if (c == ':') out += pseudo();
      else refuse("unexpected '" + std::string(1, c) + "'");
      ++parts;
    }
    if (!parts) refuse("nothing to match at offset " + std::to_string(i_));
  }

  std::string attribute() {
    std::string name = need(ident(), "an attribute name after '['");
    if (i_ < s_.size() && s_[i_] == ']') return ++i_, "[@" + name + "]";
    if (i_ >= s_.size() || s_[i_] != '=') refuse("only [name] and [name=value] are supported");
    ++i_;
    std::string value;
    if (i_ < s_.size() && (s_[i_] == '"' || s_[i_] == '\'')) {
      char q = s_[i_++];
      auto end = s_.find(q, i_);
      if (end == std::string_view::npos) refuse("an unclosed quote");
      value = std::string(s_.substr(i_, end - i_));
      i_ = end + 1;
    } else {
      value = ident();
    }
    if (i_ >= s_.size() || s_[i_] != ']') refuse("a missing ']'");
    ++i_;
    return "[@" + name + "=" + literal(value) + "]";
  }

  std::string pseudo() {
    std::string name = ident();
    if (name == "first-child") return "[not(preceding-sibling::*)]";
    if (name == "last-child") return "[not(following-sibling::*)]";
    if (name == "nth-child" && i_ < s_.size() && s_[i_] == '(') {
      auto end = s_.find(')', i_);
      std::string n(s_.substr(i_ + 1, end == std::string_view::npos ? 0 : end - i_ - 1));
      if (end == std::string_view::npos || n.empty() || n.find_first_not_of("0123456789") != std::string::npos || n == "0")
        refuse(":nth-child takes a positive number");
      i_ = end + 1;
      return "[count(preceding-sibling::*) = " + std::to_string(std::stoul(n) - 1) + "]";
    }
    refuse("only :first-child, :last-child and :nth-child(N) are supported");
  }

  std::string ident() {
    std::size_t start = i_;
    while (i_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[i_])) || s_[i_] == '-' || s_[i_] == '_')) ++i_;
    return std::string(s_.substr(start, i_ - start));
  }
  std::string need(std::string v, const std::string& what) {
    if (v.empty()) refuse("expected " + what);
    return v;
  }
  bool skip_spaces() {
    std::size_t start = i_;
    while (i_ < s_.size() && s_[i_] == ' ') ++i_;
    return i_ > start;
  }
  static std::string literal(const std::string& v) {
    if (v.find('"') == std::string::npos) return "\"" + v + "\"";
    if (v.find('\'') == std::string::npos) return "'" + v + "'";
    throw Failure("a selector value with both kinds of quote: " + v);
  }
  [[noreturn]] void refuse(const std::string& why) const {
    throw Failure("selector \"" + std::string(s_) + "\": " + why + " (cohort/testing.hpp, Selectors)");
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

void collect_text(const xmlNode* n, std::string& out) {
  for (; n; n = n->next) {
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) out += str(n->content);
    else if (n->type == XML_ELEMENT_NODE) collect_text(n->children, out);
  }
}

std::string collapse_spaces(const std::string& text) {
  std::string out;
  for (char c : text) {
    bool space = std::isspace(static_cast<unsigned char>(c));
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

void select_fields(const xmlNode* n, std::vector<std::pair<std::string, std::string>>& out);

void field_of(const xmlNode* n, std::vector<std::pair<std::string, std::string>>& out) {
  auto e = static_cast<HtmlDocument::Element>(n);
  auto name = HtmlDocument::attribute(e, "name");
  std::string tag = HtmlDocument::name(e);
  if (!name || HtmlDocument::attribute(e, "disabled")) return;
  if (tag == "input") {
    std::string type = HtmlDocument::attribute(e, "type").value_or("text");
    if (type == "submit" || type == "button" || type == "file" || type == "reset" || type == "image") return;
    if ((type == "checkbox" || type == "radio") && !HtmlDocument::attribute(e, "checked")) return;
    out.emplace_back(*name, HtmlDocument::attribute(e, "value").value_or(type == "checkbox" ? "on" : ""));
  } else if (tag == "textarea") {
    std::string text;
    collect_text(n->children, text);
    out.emplace_back(*name, text);
  } else if (tag == "select") {
    std::vector<const xmlNode*> options, selected;
    for (const xmlNode* o = n->children; o; o = o->next)
      if (o->type == XML_ELEMENT_NODE && HtmlDocument::name(o) == "option") {
        options.push_back(o);
        if (HtmlDocument::attribute(o, "selected")) selected.push_back(o);
      }
    if (selected.empty() && !options.empty()) selected.push_back(options.front());
    for (const xmlNode* o : selected) {
      std::string label;
      collect_text(o->children, label);
      out.emplace_back(*name, HtmlDocument::attribute(o, "value").value_or(collapse_spaces(label)));
    }
  }
}

void select_fields(const xmlNode* n, std::vector<std::pair<std::string, std::string>>& out) {
  for (; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE) continue;
    std::string tag = HtmlDocument::name(n);
    if (tag == "input" || tag == "textarea" || tag == "select") field_of(n, out);
    else select_fields(n->children, out);
  }
}

}  // namespace

std::string selector_to_xpath(std::string_view selector) { return SelectorReader(selector).xpath(); }

struct HtmlDocument::Doc {
  htmlDocPtr doc = nullptr;
  ~Doc() {
    if (doc) xmlFreeDoc(doc);
  }
};

HtmlDocument::HtmlDocument(const std::string& fragment) : doc_(std::make_unique<Doc>()) {
  std::string page = "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>" + fragment + "</body></html>";
  doc_->doc = htmlReadMemory(page.data(), static_cast<int>(page.size()), nullptr, "UTF-8",
                             HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
  if (!doc_->doc) throw Failure("the page's HTML could not be parsed");
}

HtmlDocument::~HtmlDocument() = default;

std::vector<HtmlDocument::Element> HtmlDocument::select(std::string_view selector) const {
  std::string xpath = "/html/body" + selector_to_xpath(selector);
  std::unique_ptr<xmlXPathContext, void (*)(xmlXPathContextPtr)> ctx(xmlXPathNewContext(doc_->doc), xmlXPathFreeContext);
  std::unique_ptr<xmlXPathObject, void (*)(xmlXPathObjectPtr)> found(xmlXPathEvalExpression(x(xpath.c_str()), ctx.get()),
                                                                    xmlXPathFreeObject);
  if (!found) throw Failure("selector \"" + std::string(selector) + "\" could not be evaluated");
  std::vector<Element> out;
  if (found->nodesetval)
    for (int i = 0; i < found->nodesetval->nodeNr; ++i) out.push_back(found->nodesetval->nodeTab[i]);
  return out;
}

HtmlDocument::Element HtmlDocument::first(std::string_view selector, std::string_view wanted_for) const {
  auto all = select(selector);
  if (all.empty()) throw Failure("no element matches \"" + std::string(selector) + "\" (" + std::string(wanted_for) + ")");
  return all.front();
}

std::string HtmlDocument::name(Element e) { return str(node_of(e)->name); }

std::string HtmlDocument::text(Element e) {
  std::string out;
  collect_text(node_of(e)->children, out);
  return collapse_spaces(out);
}

std::string HtmlDocument::outer_html(Element e) {
  xmlNode* n = node_of(e);
  std::unique_ptr<xmlBuffer, void (*)(xmlBufferPtr)> buf(xmlBufferCreate(), xmlBufferFree);
  htmlNodeDump(buf.get(), n->doc, n);
  return str(xmlBufferContent(buf.get()));
}

std::optional<std::string> HtmlDocument::attribute(Element e, std::string_view name) {
  xmlChar* v = xmlGetProp(node_of(e), x(std::string(name).c_str()));
  if (!v) return std::nullopt;
  std::string out = str(v);
  xmlFree(v);
  return out;
}

std::vector<std::pair<std::string, std::string>> HtmlDocument::attributes(Element e) {
  std::vector<std::pair<std::string, std::string>> out;
  for (xmlAttr* a = node_of(e)->properties; a; a = a->next) {
    auto v = attribute(e, str(a->name));
    out.emplace_back(str(a->name), v.value_or(""));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> HtmlDocument::form_fields(Element form) {
  std::vector<std::pair<std::string, std::string>> out;
  select_fields(node_of(form)->children, out);
  return out;
}

}  // namespace cohort::testing
