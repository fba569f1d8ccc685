// template.cpp — TemplateSet: loading, linking (partials inlined, deps computed) and the
// single-root-tag check of a compiled Template.
#include "live/template.hpp"

#include "live/template_parser.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cohort::live {

std::string TemplateError::text() const {
  return file + ":" + std::to_string(line) + ": " + message;
}

std::string stream_dep(std::string_view stream_name) {
  return "stream:" + std::string(stream_name);
}

namespace {

// ---- single root tag ---------------------------------------------------------------------

bool is_void_element(std::string_view tag) {
  static const char* const kVoid[] = {"area", "base", "br", "col", "embed", "hr", "img",
                                      "input", "link", "meta", "source", "track", "wbr"};
  return std::any_of(std::begin(kVoid), std::end(kVoid), [&](const char* v) { return tag == v; });
}

std::string lower_tag_name(std::string_view html, std::size_t at) {
  std::string name;
  while (at < html.size() && (std::isalnum(static_cast<unsigned char>(html[at])) ||
                              html[at] == '-' || html[at] == ':')) {
    name += static_cast<char>(std::tolower(static_cast<unsigned char>(html[at++])));
  }
  return name;
}

// Walks the HTML (dynamics stand in as "x"): true when, after leading whitespace and comments,
// one element opens and closes exactly at the end (only whitespace after it).
bool check_single_root(std::string_view html) {
  std::size_t i = 0;
  int depth = 0;
  while (i < html.size()) {
    char c = html[i];
    if (html.substr(i, 4) == "<!--") {
      std::size_t end = html.find("-->", i + 4);
      if (end == std::string_view::npos) return false;
      i = end + 3;
      continue;
    }
    if (c != '<') {
      if (depth == 0 && !std::isspace(static_cast<unsigned char>(c))) return false;
      ++i;
      continue;
    }
    bool closing = i + 1 < html.size() && html[i + 1] == '/';
    std::string name = lower_tag_name(html, i + (closing ? 2 : 1));
    std::size_t end = html.find('>', i);
    if (name.empty() || end == std::string_view::npos) return false;
    bool self_closing = html[end - 1] == '/' || is_void_element(name);
    if (closing) {
      --depth;
    } else if (!self_closing) {
      ++depth;
    }
    if (depth < 0) return false;
    i = end + 1;
    if (depth == 0) {  // the root closed: only whitespace may follow
      return std::all_of(html.begin() + i, html.end(),
                         [](char ch) { return std::isspace(static_cast<unsigned char>(ch)); });
    }
  }
  return false;
}


// HTML of a node with every dynamic replaced by "x" (for check_single_root).
std::string skeleton(const Node& node) {
  std::string out;
  for (std::size_t i = 0; i < node.statics.size(); ++i) {
    if (i > 0) out += 'x';
    out += node.statics[i];
  }
  return out;
}

// ---- linking ------------------------------------------------------------------------------

using Parsed = std::map<std::string, std::unique_ptr<ParsedTemplate>, std::less<>>;

// What one linked template may become: partials inlined into each other (a chain longer than
// this is an error, like a cycle), and the size of the result, so that a partial used twice in
// a partial used twice... cannot expand a small file into gigabytes (each file alone is fine).
constexpr std::size_t kMaxPartialDepth = 16;
constexpr std::size_t kMaxLinkedPieces = 100'000;
constexpr std::size_t kMaxLinkedBytes = 16 << 20;

// Flattens pieces (partials inlined) into a Node, computing each dynamic's deps. depth is the
// number of enclosing sections ("." at depth 0 reads all assigns), at most kMaxSectionDepth
// counting the sections of inlined partials.
class Linker {
 public:
  Linker(const Parsed& parsed, std::vector<TemplateError>& errors)
      : parsed_(parsed), errors_(errors) {}

  std::shared_ptr<const Node> link(const ParsedTemplate& t) {
    stack_ = {t.name};
    ok_ = true;
    too_big_ = false;
    pieces_ = 0;
    bytes_ = 0;
    auto node = std::make_shared<Node>();
    node->statics.emplace_back();
    flatten(t.pieces, t.file, 0, *node);
    for (const Dynamic& d : node->dynamics) {
      node->deps.insert(d.deps.begin(), d.deps.end());
      node->reads_all = node->reads_all || d.reads_all;
    }
    return ok_ ? node : nullptr;
  }

 private:
  void flatten(const std::vector<Piece>& pieces, const std::string& file, int depth, Node& out);
  void add_dynamic(const Piece& p, const std::string& file, int depth, Node& out);
  void add_partial(const Piece& p, const std::string& file, int depth, Node& out);
  void error(const std::string& file, int line, std::string message) {
    errors_.push_back({file, line, std::move(message)});
    ok_ = false;
  }

  const Parsed& parsed_;
  std::vector<TemplateError>& errors_;
  // Counts one piece into the size budget; false (reported once) when over it.
  bool within_budget(const Piece& p, const std::string& file);

  std::vector<std::string> stack_;  // partial names being inlined (cycle detection)
  bool ok_ = true;
  bool too_big_ = false;  // over the size budget: nothing more is inlined
  std::size_t pieces_ = 0;
  std::size_t bytes_ = 0;
};

bool Linker::within_budget(const Piece& p, const std::string& file) {
  if (too_big_) return false;
  ++pieces_;
  bytes_ += p.text.size();
  if (pieces_ <= kMaxLinkedPieces && bytes_ <= kMaxLinkedBytes) return true;
  too_big_ = true;
  error(file, p.line, "template '" + stack_.front() + "' expands to more than " + std::to_string(kMaxLinkedPieces) +
                          " pieces or " + std::to_string(kMaxLinkedBytes >> 20) + " MiB with its partials inlined");
  return false;
}

void Linker::flatten(const std::vector<Piece>& pieces, const std::string& file, int depth,
                     Node& out) {
  for (const Piece& p : pieces) {
    if (!within_budget(p, file)) return;
    switch (p.kind) {
      case Piece::Kind::text: out.statics.back() += p.text; break;
      case Piece::Kind::dynamic: add_dynamic(p, file, depth, out); break;
      case Piece::Kind::partial: add_partial(p, file, depth, out); break;
    }
  }
}

void Linker::add_dynamic(const Piece& p, const std::string& file, int depth, Node& out) {
  Dynamic d = p.dynamic;
  using K = Dynamic::Kind;
  d.per_view = d.kind == K::component || d.kind == K::nested || d.kind == K::stream;
  if (d.kind == K::stream) {
    d.deps.insert(stream_dep(d.name));
  } else if (d.path.empty()) {
    d.reads_all = depth == 0;
  } else {
    d.deps.insert(d.path.front());
  }
  if (d.kind == K::section || d.kind == K::inverted || d.kind == K::stream) {
    if (static_cast<std::size_t>(depth) >= kMaxSectionDepth)
      return error(file, p.line, "sections nest deeper than " + std::to_string(kMaxSectionDepth) +
                                     " with partials inlined (in '" + stack_.front() + "')");
    auto body = std::make_shared<Node>();
    body->statics.emplace_back();
    flatten(p.children, file, depth + 1, *body);
    for (const Dynamic& inner : body->dynamics) {
      body->deps.insert(inner.deps.begin(), inner.deps.end());
      body->reads_all = body->reads_all || inner.reads_all;
      d.per_view = d.per_view || inner.per_view;
    }
    if (d.kind != K::stream) {  // stream entries are rendered once, on insert
      d.deps.insert(body->deps.begin(), body->deps.end());
      d.reads_all = d.reads_all || body->reads_all;
    }
    d.body = std::move(body);
  }
  out.dynamics.push_back(std::move(d));
  out.statics.emplace_back();
}

void Linker::add_partial(const Piece& p, const std::string& file, int depth, Node& out) {
  auto it = parsed_.find(p.text);
  if (it == parsed_.end()) return error(file, p.line, "unknown partial '" + p.text + "'");
  if (std::find(stack_.begin(), stack_.end(), p.text) != stack_.end()) {
    std::string chain;
    for (const auto& name : stack_) chain += name + " -> ";
    return error(file, p.line, "partial cycle: " + chain + p.text);
  }
  if (!it->second->ok) {
    ok_ = false;  // its own errors are reported with its file
    return;
  }
  if (stack_.size() >= kMaxPartialDepth)
    return error(file, p.line, "partials nest deeper than " + std::to_string(kMaxPartialDepth) + " (" +
                                   stack_.front() + " -> ... -> " + p.text + ")");
  stack_.push_back(p.text);
  flatten(it->second->pieces, it->second->file, depth, out);
  stack_.pop_back();
}

void collect_components(const std::vector<Piece>& pieces, const std::string& file, std::vector<ComponentUse>& out) {
  for (const auto& p : pieces) {
    if (p.kind == Piece::Kind::dynamic && p.dynamic.kind == Dynamic::Kind::component)
      out.push_back({false, p.dynamic.name, file, p.dynamic.line});
    if (p.kind == Piece::Kind::dynamic && p.dynamic.kind == Dynamic::Kind::nested)
      out.push_back({true, p.dynamic.name, file, p.dynamic.line});
    collect_components(p.children, file, out);
  }
}

void dedupe(std::vector<TemplateError>& errors) {
  std::set<std::string> seen;
  std::vector<TemplateError> out;
  for (auto& e : errors) {
    if (seen.insert(e.text()).second) out.push_back(std::move(e));
  }
  errors = std::move(out);
}

}  // namespace

Template::Template(std::string name, std::shared_ptr<const Node> root)
    : name_(std::move(name)), root_(std::move(root)),
      single_root_(check_single_root(skeleton(*root_))) {}

TemplateSet::TemplateSet() = default;
TemplateSet::~TemplateSet() = default;
TemplateSet::TemplateSet(TemplateSet&&) noexcept = default;
TemplateSet& TemplateSet::operator=(TemplateSet&&) noexcept = default;

std::vector<TemplateError> TemplateSet::add(std::string name, std::string_view source,
                                            std::string file) {
  auto parsed = std::make_unique<ParsedTemplate>();
  parsed->name = name;
  parsed->file = file.empty() ? name + ".html" : std::move(file);
  std::vector<TemplateError> errors;
  parse_template(source, *parsed, errors);
  parsed_[std::move(name)] = std::move(parsed);
  return errors;
}

std::vector<TemplateError> TemplateSet::link() {
  std::vector<TemplateError> errors;
  linked_.clear();
  Linker linker(parsed_, errors);
  for (const auto& [name, parsed] : parsed_) {
    if (!parsed->ok) continue;
    if (auto root = linker.link(*parsed)) {
      linked_[name] = std::make_unique<Template>(name, std::move(root));
    }
  }
  dedupe(errors);
  return errors;
}

std::vector<TemplateError> TemplateSet::load_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<TemplateError> errors;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec), end;
  if (ec) return {{dir, 0, "cannot read template directory: " + ec.message()}};
  std::vector<fs::path> files;
  for (; it != end; it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file() && it->path().extension() == ".html") files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) {
      errors.push_back({path.string(), 0, "cannot read file"});
      continue;
    }
    std::string name = fs::relative(path, dir).replace_extension().generic_string();
    auto more = add(name, text.str(), path.string());
    errors.insert(errors.end(), more.begin(), more.end());
  }
  auto more = link();
  errors.insert(errors.end(), more.begin(), more.end());
  return errors;
}

std::vector<ComponentUse> TemplateSet::component_uses() const {
  std::vector<ComponentUse> out;
  for (const auto& [name, parsed] : parsed_) collect_components(parsed->pieces, parsed->file, out);
  return out;
}

const Template* TemplateSet::find(std::string_view name) const {
  auto it = linked_.find(name);
  return it == linked_.end() ? nullptr : it->second.get();
}

}  // namespace cohort::live
