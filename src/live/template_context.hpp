// template_context.hpp — where a template tag sits in the HTML around it: in text, inside a
// quoted attribute value (and which attribute), elsewhere inside a tag, in a comment, or in
// the raw text of a <script> or <style> element.
//
// Owns: a small HTML tokenizer that follows a template's static text in source order, as the
// parser meets it, so the parser can refuse a value where escaping cannot make it safe (inside
// a tag outside quotes, in an event-handler attribute, in script or style) and mark a value
// whose URL scheme the template's own text leaves open (href="{{url}}"). It reads sections as
// if their bodies were always rendered: enough for templates whose sections open and close in
// the same place of the HTML, which is how they are written.
// Must never: decide escaping itself (rendering.cpp does), or accept a context it cannot name.
// Pure, no shared state.
#pragma once

#include <string>
#include <string_view>

#include "live/template.hpp"

namespace cohort::live {

class HtmlContext {
 public:
  enum class Where {
    text,        // between tags
    comment,     // <!-- ... --> or <!...>
    raw_text,    // inside <script> or <style>
    attr_value,  // inside a quoted attribute value
    tag,         // elsewhere inside a tag: names, unquoted values, between attributes
  };

  // The template's static text, in order.
  void feed(std::string_view html);
  // A dynamic was written at this point (so a later one in the same attribute value is not
  // the value's start).
  void dynamic();

  Where where() const;
  // The attribute being written (lowercase), when where() is attr_value.
  const std::string& attribute() const { return attr_name_; }
  // For a value written here: how its URL must be checked (UrlCheck::none outside URL
  // attributes, or when the template's text before it already fixes the scheme).
  Dynamic::UrlCheck url_check() const;

 private:
  enum class State {
    text, tag_open, markup, markup_dash, comment, bogus, tag_name, before_attr, attr_name,
    after_attr_name, before_value, value_dq, value_sq, value_unquoted, raw_text,
  };
  void step(char c);
  void end_tag();
  void start_attribute(char c);

  State state_ = State::text;
  std::string tag_name_;
  bool end_tag_ = false;
  std::string attr_name_;
  std::string value_text_;       // the static text of the current attribute value so far
  bool value_has_dynamic_ = false;
  int comment_dashes_ = 0;       // '-' seen in a row inside a comment
  std::string raw_end_;          // "</script" or "</style" while in raw text
  std::size_t raw_matched_ = 0;  // how much of raw_end_ the text just matched
};

}  // namespace cohort::live
