// template_parser.cpp — the tag syntax of Cohort templates (see template_parser.hpp).
#include "live/template_parser.hpp"

#include "live/template_context.hpp"

#include <algorithm>
#include <cctype>
#include <optional>

namespace cohort::live {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

bool valid_name(std::string_view s, bool allow_slash = false) {
  if (s.empty()) return false;
  return std::all_of(s.begin(), s.end(),
                     [&](char c) { return name_char(c) || (allow_slash && c == '/'); });
}

// "a.b.c" -> {"a","b","c"}; "." -> {}. False when malformed.
bool split_path(std::string_view s, std::vector<std::string>& out) {
  out.clear();
  if (s == ".") return true;
  while (true) {
    std::size_t dot = s.find('.');
    std::string_view part = s.substr(0, dot);
    if (!valid_name(part)) return false;
    out.emplace_back(part);
    if (dot == std::string_view::npos) return true;
    s.remove_prefix(dot + 1);
  }
}

struct Open {
  std::string label;  // what the closing tag must say: "path" or "stream:name"
  int line;
};

class Parser {
 public:
  Parser(ParsedTemplate& out, std::vector<TemplateError>& errors) : out_(out), errors_(errors) {
    stack_.push_back(&out.pieces);
  }

  void run(std::string_view src);

 private:
  void error(int line, std::string message) {
    errors_.push_back({out_.file, line, std::move(message)});
    out_.ok = false;
  }
  void text(std::string_view s) {
    if (s.empty()) return;
    html_.feed(s);
    auto& v = *stack_.back();
    if (!v.empty() && v.back().kind == Piece::Kind::text) {
      v.back().text += s;
    } else {
      v.push_back({Piece::Kind::text, std::string(s), {}, {}, line_});
    }
  }
  void tag(std::string_view body, bool raw);
  void value(std::string_view body, Dynamic::Kind kind);
  void open(std::string_view body, Dynamic::Kind kind);
  void close(std::string_view body);
  void partial(std::string_view body);
  void component(std::string_view body, Dynamic::Kind kind);
  bool placed_in_text(std::string_view what);
  void push_dynamic(Dynamic d) {
    Piece p{Piece::Kind::dynamic, {}, std::move(d), {}, line_};
    stack_.back()->push_back(std::move(p));
  }

  ParsedTemplate& out_;
  std::vector<TemplateError>& errors_;
  std::vector<std::vector<Piece>*> stack_;  // innermost body last
  std::vector<Open> open_;                  // parallel to stack_[1..]
  HtmlContext html_;                        // where in the HTML the next tag sits
  int line_ = 1;
};

void Parser::run(std::string_view src) {
  std::size_t pos = 0;
  while (pos < src.size()) {
    std::size_t start = src.find("{{", pos);
    if (start == std::string_view::npos) start = src.size();
    std::string_view chunk = src.substr(pos, start - pos);
    text(chunk);
    line_ += static_cast<int>(std::count(chunk.begin(), chunk.end(), '\n'));
    if (start == src.size()) break;
    bool raw = src.substr(start, 3) == "{{{";
    std::string_view closer = raw ? "}}}" : "}}";
    std::size_t body_at = start + (raw ? 3 : 2);
    std::size_t end = src.find(closer, body_at);
    if (end == std::string_view::npos) {
      error(line_, "unterminated tag (no closing " + std::string(closer) + ")");
      return;
    }
    std::string_view body = src.substr(body_at, end - body_at);
    tag(body, raw);
    line_ += static_cast<int>(std::count(body.begin(), body.end(), '\n'));
    pos = end + closer.size();
  }
  for (auto it = open_.rbegin(); it != open_.rend(); ++it) {
    error(it->line, "unclosed section {{#" + it->label + "}}");
  }
}

void Parser::tag(std::string_view body, bool raw) {
  body = trim(body);
  if (raw) return value(body, Dynamic::Kind::raw);
  if (body.empty()) return error(line_, "bad tag: empty {{}}");
  char sigil = body.front();
  std::string_view rest = trim(body.substr(1));
  switch (sigil) {
    case '!': return;
    case '#': return open(rest, Dynamic::Kind::section);
    case '^': return open(rest, Dynamic::Kind::inverted);
    case '/': return close(rest);
    case '>': return partial(rest);
    case '@': return component(rest, Dynamic::Kind::component);
    case '%': return component(rest, Dynamic::Kind::nested);
    default: return value(body, Dynamic::Kind::value);
  }
}

// An escaped value is safe in text, in comments and in a quoted attribute value, except where
// the attribute is itself code or markup; a URL attribute's value is also checked for its
// scheme when it renders (Dynamic::url). Raw values ({{{ }}}) are the author's trusted HTML.
std::optional<std::string> unsafe_place(const HtmlContext& html, const std::string& tag) {
  using W = HtmlContext::Where;
  switch (html.where()) {
    case W::text:
    case W::comment: return std::nullopt;
    case W::raw_text: return tag + " inside <script> or <style>: HTML escaping does not make it safe there";
    case W::tag:
      return tag + " inside a tag must be in a quoted attribute value (name=\"" + tag +
             "\"): unquoted, it could add attributes";
    case W::attr_value: break;
  }
  const std::string& name = html.attribute();
  if (name.starts_with("on"))
    return tag + " in the event handler attribute " + name + ": inline script is refused (use phx-* bindings or a hook)";
  if (name == "srcdoc") return tag + " in srcdoc: its value is parsed as HTML";
  return std::nullopt;
}

void Parser::value(std::string_view body, Dynamic::Kind kind) {
  Dynamic d;
  d.kind = kind;
  d.line = line_;
  if (!split_path(body, d.path)) {
    return error(line_, "bad tag: '" + std::string(body) + "' is not a path (name(.name)* or .)");
  }
  if (kind == Dynamic::Kind::value) {
    if (auto why = unsafe_place(html_, "{{" + std::string(body) + "}}")) return error(line_, *why);
    d.url = html_.url_check();
  }
  html_.dynamic();
  push_dynamic(std::move(d));
}

// Partials and components bring whole elements: they belong between tags.
bool Parser::placed_in_text(std::string_view what) {
  if (html_.where() == HtmlContext::Where::text) return true;
  error(line_, std::string(what) + " must stand between tags, not inside a tag, a comment or a script");
  return false;
}

void Parser::open(std::string_view body, Dynamic::Kind kind) {
  Dynamic d;
  d.kind = kind;
  d.line = line_;
  std::string label;
  if (kind == Dynamic::Kind::section && body.substr(0, 7) == "stream:") {
    d.kind = Dynamic::Kind::stream;
    d.name = std::string(body.substr(7));
    if (!valid_name(d.name)) return error(line_, "bad tag: bad stream name '" + d.name + "'");
    label = std::string(body);
  } else {
    std::size_t space = body.find_first_of(" \t\r\n");
    std::string_view path = body.substr(0, space);
    std::string_view args = space == std::string_view::npos ? "" : trim(body.substr(space));
    if (!split_path(path, d.path)) {
      return error(line_, "bad tag: '" + std::string(path) + "' is not a path");
    }
    if (!args.empty()) {
      if (kind != Dynamic::Kind::section || args.substr(0, 4) != "key=" ||
          !valid_name(args.substr(4))) {
        return error(line_, "bad tag: unexpected '" + std::string(args) + "' (only key=field)");
      }
      d.key_field = std::string(args.substr(4));
    }
    label = std::string(path);
  }
  if (open_.size() >= kMaxSectionDepth)
    return error(line_, "sections nest deeper than " + std::to_string(kMaxSectionDepth) + " at {{#" + label + "}}");
  auto& v = *stack_.back();
  v.push_back({Piece::Kind::dynamic, {}, std::move(d), {}, line_});
  stack_.push_back(&v.back().children);
  open_.push_back({std::move(label), line_});
}

void Parser::close(std::string_view body) {
  if (open_.empty()) {
    return error(line_, "mismatched section: {{/" + std::string(body) + "}} closes nothing");
  }
  if (open_.back().label != body) {
    return error(line_, "mismatched section: {{/" + std::string(body) + "}} closes {{#" +
                            open_.back().label + "}} opened at line " +
                            std::to_string(open_.back().line));
  }
  open_.pop_back();
  stack_.pop_back();
}

void Parser::partial(std::string_view body) {
  if (!placed_in_text("{{> " + std::string(body) + "}}")) return;
  if (!valid_name(body, true)) {
    return error(line_, "bad tag: bad partial name '" + std::string(body) + "'");
  }
  stack_.back()->push_back({Piece::Kind::partial, std::string(body), {}, {}, line_});
}

// {{@type path}}: a component; {{%name path}}: a nested live view. Both bring a whole element.
void Parser::component(std::string_view body, Dynamic::Kind kind) {
  std::size_t space = body.find_first_of(" \t\r\n");
  std::string_view type = body.substr(0, space);
  std::string_view path = space == std::string_view::npos ? "" : trim(body.substr(space));
  std::string sigil = kind == Dynamic::Kind::component ? "@" : "%";
  Dynamic d;
  d.kind = kind;
  d.line = line_;
  d.name = std::string(type);
  if (!valid_name(type, true) || !split_path(path, d.path)) {
    std::string what = kind == Dynamic::Kind::component ? "component needs {{@type path}}" : "nested view needs {{%name path}}";
    return error(line_, "bad tag: " + what + ", got '" + std::string(body) + "'");
  }
  if (!placed_in_text("{{" + sigil + std::string(body) + "}}")) return;
  push_dynamic(std::move(d));
}

}  // namespace

void parse_template(std::string_view source, ParsedTemplate& out,
                    std::vector<TemplateError>& errors) {
  Parser(out, errors).run(source);
}

}  // namespace cohort::live
