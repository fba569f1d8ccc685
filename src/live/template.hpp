// template.hpp — Cohort templates (docs/templates.md): parsing, linking and the compiled form.
//
// Owns: the template language (mustache-like: values, raw values, sections, inverted
// sections, partials, components, streams, comments), its compile errors, and the compiled
// tree that rendering.hpp walks. A compiled template is a tree of Nodes; a Node is the
// LiveView "rendered" shape: N+1 statics and N dynamics. Every dynamic carries the set of
// top-level assign names it may read, so a diff can skip it without evaluating it.
//
// Contract: TemplateSet is built once (add/load_dir, then link) on one thread and is read-only
// afterwards, so any thread may render with it. Templates found by find() live as long as the
// set, until the next link() (which rebuilds them all). Errors are values, each with file and line; every error of a load is returned, not just
// the first. A template with errors (its own or a partial's) is not findable.
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace cohort::live {

struct TemplateError {
  std::string file;
  int line = 0;
  std::string message;
  std::string text() const;  // "file:line: message"
};

struct Node;

// One dynamic slot of a Node.
struct Dynamic {
  enum class Kind { value, raw, section, inverted, component, nested, stream };
  // A value in a URL attribute (href, src, action, formaction, ...) whose scheme the template's
  // own text before it has not fixed: `scheme` when it starts the attribute value (a
  // javascript:, vbscript: or data: URL prints "#unsafe"), `no_scheme` when something dynamic
  // came before it (it prints "#unsafe" if it has a ':' before any '/', '?' or '#', so that two
  // values cannot spell a scheme between them).
  enum class UrlCheck { none, scheme, no_scheme };
  Kind kind = Kind::value;
  UrlCheck url = UrlCheck::none;  // kind == value
  std::vector<std::string> path;  // "a.b" -> {"a","b"}; "." -> {} (the current item)
  std::string key_field;          // section: key=field ("" = default: "id", else position)
  std::string name;               // component: its type; nested: the child view's name; stream: the stream name
  std::shared_ptr<const Node> body;  // section, inverted, stream
  std::set<std::string, std::less<>> deps;  // top-level assign names it may read
  bool reads_all = false;         // reads the whole assigns ({{.}} at top level)
  // It is, or holds, a component, nested view or stream slot: what it renders depends on the
  // view rendering it (cids, signed containers, stream ops), not only on the assigns it reads.
  bool per_view = false;
  int line = 0;
};

struct Node {
  std::vector<std::string> statics;  // dynamics.size() + 1 strings
  std::vector<Dynamic> dynamics;
  std::set<std::string, std::less<>> deps;  // union of the dynamics' deps
  bool reads_all = false;                   // some dynamic reads the whole assigns
};

// Pseudo assign name a stream slot depends on: "stream:<name>" is "changed" when that stream has
// pending operations.
std::string stream_dep(std::string_view stream_name);

class Template {
 public:
  Template(std::string name, std::shared_ptr<const Node> root);
  const std::string& name() const { return name_; }
  const Node& root() const { return *root_; }
  // True when the output begins with one tag (after whitespace and comments) and that element
  // closes at the very end (then only whitespace): required for components ("r":1).
  bool single_root_tag() const { return single_root_; }

 private:
  std::string name_;
  std::shared_ptr<const Node> root_;
  bool single_root_ = false;
};

// Where a {{@type path}} (or a nested view's {{%name path}}) tag is written. Component types and
// child views are registered with the live layer, not the template set, so Live::install()
// checks these against its registry.
struct ComponentUse {
  bool child_view = false;  // {{%name path}}
  std::string type;
  std::string file;
  int line = 0;
};

struct ParsedTemplate;  // template_parser.hpp

class TemplateSet {
 public:
  TemplateSet();
  ~TemplateSet();
  TemplateSet(TemplateSet&&) noexcept;
  TemplateSet& operator=(TemplateSet&&) noexcept;

  // Adds every `*.html` under dir (recursively; name = relative path without ".html"), then
  // links. Returns every error (empty = all good).
  std::vector<TemplateError> load_dir(const std::string& dir);
  // Parses one template; file names it in errors (default: name + ".html").
  std::vector<TemplateError> add(std::string name, std::string_view source, std::string file = "");
  // Resolves partials (inlined; cycles are errors) and builds every template; call after the
  // last add().
  std::vector<TemplateError> link();
  const Template* find(std::string_view name) const;
  // Every component tag of every file added (partials included, each where it is written;
  // files with errors too), in file order.
  std::vector<ComponentUse> component_uses() const;

 private:
  std::map<std::string, std::unique_ptr<ParsedTemplate>, std::less<>> parsed_;
  std::map<std::string, std::unique_ptr<Template>, std::less<>> linked_;
};

}  // namespace cohort::live
