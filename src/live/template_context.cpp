// template_context.cpp — the HTML context of template tags: see template_context.hpp.
#include "live/template_context.hpp"

#include <array>

namespace cohort::live {

namespace {

bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }
bool letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Attributes whose value the browser reads as a URL it may navigate to, load or submit to.
bool url_attribute(std::string_view name) {
  static constexpr std::array<std::string_view, 16> kNames = {
      "href",  "src",      "action",  "formaction", "xlink:href", "poster", "cite",   "data",
      "ping",  "srcset",   "background", "manifest", "codebase",  "longdesc", "usemap", "archive"};
  for (auto n : kNames)
    if (n == name) return true;
  return false;
}

}  // namespace

void HtmlContext::feed(std::string_view html) {
  for (char c : html) step(c);
}

void HtmlContext::dynamic() {
  if (state_ == State::value_dq || state_ == State::value_sq) value_has_dynamic_ = true;
}

HtmlContext::Where HtmlContext::where() const {
  switch (state_) {
    case State::text:
    case State::tag_open: return Where::text;  // a lone '<' followed by a value is text
    case State::markup:
    case State::markup_dash:
    case State::comment:
    case State::bogus: return Where::comment;
    case State::raw_text: return Where::raw_text;
    case State::value_dq:
    case State::value_sq: return Where::attr_value;
    default: return Where::tag;
  }
}

Dynamic::UrlCheck HtmlContext::url_check() const {
  if (where() != Where::attr_value || !url_attribute(attr_name_)) return Dynamic::UrlCheck::none;
  // Text before the value that holds ':', '/', '?' or '#' has decided what kind of URL this is
  // ("/polls/{{id}}", "https://x/{{p}}", "#{{anchor}}").
  if (value_text_.find_first_of(":/?#") != std::string::npos) return Dynamic::UrlCheck::none;
  bool at_start = !value_has_dynamic_ && value_text_.find_first_not_of(" \t\n\r\f") == std::string::npos;
  return at_start ? Dynamic::UrlCheck::scheme : Dynamic::UrlCheck::no_scheme;
}

void HtmlContext::end_tag() {
  std::string name = tag_name_;
  bool closing = end_tag_;
  tag_name_.clear();
  end_tag_ = false;
  state_ = State::text;
  if (!closing && (name == "script" || name == "style")) {
    state_ = State::raw_text;
    raw_end_ = "</" + name;
    raw_matched_ = 0;
  }
}

void HtmlContext::start_attribute(char c) {
  attr_name_.assign(1, lower(c));
  value_text_.clear();
  value_has_dynamic_ = false;
  state_ = State::attr_name;
}

void HtmlContext::step(char c) {
  switch (state_) {
    case State::text:
      if (c == '<') state_ = State::tag_open;
      return;
    case State::tag_open:
      if (c == '!') {
        state_ = State::markup;
      } else if (c == '/') {
        end_tag_ = true;
        state_ = State::tag_name;
      } else if (letter(c)) {
        tag_name_.assign(1, lower(c));
        state_ = State::tag_name;
      } else {
        state_ = c == '<' ? State::tag_open : State::text;
      }
      return;
    case State::markup:
      state_ = c == '-' ? State::markup_dash : c == '>' ? State::text : State::bogus;
      return;
    case State::markup_dash:
      comment_dashes_ = 0;
      state_ = c == '-' ? State::comment : c == '>' ? State::text : State::bogus;
      return;
    case State::comment:
      if (c == '>' && comment_dashes_ >= 2) state_ = State::text;
      comment_dashes_ = c == '-' ? comment_dashes_ + 1 : 0;
      return;
    case State::bogus:
      if (c == '>') state_ = State::text;
      return;
    case State::tag_name:
      if (space(c) || c == '/') state_ = State::before_attr;
      else if (c == '>') end_tag();
      else tag_name_ += lower(c);
      return;
    case State::before_attr:
      if (c == '>') end_tag();
      else if (!space(c) && c != '/') start_attribute(c);
      return;
    case State::attr_name:
      if (space(c)) state_ = State::after_attr_name;
      else if (c == '=') state_ = State::before_value;
      else if (c == '>') end_tag();
      else if (c == '/') state_ = State::before_attr;
      else attr_name_ += lower(c);
      return;
    case State::after_attr_name:
      if (c == '=') state_ = State::before_value;
      else if (c == '>') end_tag();
      else if (c == '/') state_ = State::before_attr;
      else if (!space(c)) start_attribute(c);
      return;
    case State::before_value:
      if (c == '"') state_ = State::value_dq;
      else if (c == '\'') state_ = State::value_sq;
      else if (c == '>') end_tag();
      else if (!space(c)) state_ = State::value_unquoted;
      return;
    case State::value_dq:
    case State::value_sq:
      if (c == (state_ == State::value_dq ? '"' : '\'')) state_ = State::before_attr;
      else value_text_ += c;
      return;
    case State::value_unquoted:
      if (space(c)) state_ = State::before_attr;
      else if (c == '>') end_tag();
      return;
    case State::raw_text:
      raw_matched_ = lower(c) == raw_end_[raw_matched_] ? raw_matched_ + 1 : (c == '<' ? 1 : 0);
      if (raw_matched_ == raw_end_.size()) {
        tag_name_ = raw_end_.substr(2);
        end_tag_ = true;
        state_ = State::tag_name;
      }
      return;
  }
}

}  // namespace cohort::live
