// template_test.cpp — src/live/template.hpp: parsing into statics/dynamics, every compile
// error with file:line (all of them collected), partials and cycles, deps, single root tag,
// load_dir naming, values refused where escaping is not enough, URL attributes marked.
#include "live/template.hpp"
#include "live/template_parser.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <algorithm>
#include <fstream>
#include <random>

#include <unistd.h>

namespace cohort::live {
namespace {

using Kind = Dynamic::Kind;
using Names = std::set<std::string, std::less<>>;

std::vector<std::string> texts(const std::vector<TemplateError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.text());
  return out;
}

// Compiles {name: source}... and returns every error text.
std::vector<std::string> compile(TemplateSet& set,
                                 std::vector<std::pair<std::string, std::string>> files) {
  std::vector<TemplateError> errors;
  for (auto& [name, source] : files) {
    auto more = set.add(name, source);
    errors.insert(errors.end(), more.begin(), more.end());
  }
  auto more = set.link();
  errors.insert(errors.end(), more.begin(), more.end());
  return texts(errors);
}

TEST(Template, StaticsAndDynamics) {
  TemplateSet set;
  EXPECT_TRUE(compile(set, {{"t", "<p>{{ a }}{{{b.c}}}{{! note }}x{{.}}</p>"}}).empty());
  const Node& n = set.find("t")->root();
  EXPECT_EQ(n.statics, (std::vector<std::string>{"<p>", "", "x", "</p>"}));
  ASSERT_EQ(n.dynamics.size(), 3u);
  EXPECT_EQ(n.dynamics[0].kind, Kind::value);
  EXPECT_EQ(n.dynamics[0].path, (std::vector<std::string>{"a"}));
  EXPECT_EQ(n.dynamics[1].kind, Kind::raw);
  EXPECT_EQ(n.dynamics[1].path, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(n.dynamics[1].deps, Names{"b"});
  EXPECT_TRUE(n.dynamics[2].path.empty());
  EXPECT_TRUE(n.dynamics[2].reads_all);  // {{.}} at top level reads all assigns
}

TEST(Template, SectionsCarryInnerDeps) {
  TemplateSet set;
  EXPECT_TRUE(compile(set, {{"t", "{{#items key=sku}}{{name}}{{#tags}}{{.}}{{/tags}}{{/items}}"
                                  "{{^empty}}none{{/empty}}{{@card hero}}{{#stream:songs}}"
                                  "{{dom_id}}{{title}}{{/stream:songs}}"}})
                  .empty());
  const Node& n = set.find("t")->root();
  ASSERT_EQ(n.dynamics.size(), 4u);
  const Dynamic& items = n.dynamics[0];
  EXPECT_EQ(items.kind, Kind::section);
  EXPECT_EQ(items.key_field, "sku");
  EXPECT_EQ(items.deps, (Names{"items", "name", "tags"}));  // "." inside reads the item only
  EXPECT_FALSE(items.reads_all);
  EXPECT_EQ(items.body->statics.size(), 3u);
  EXPECT_EQ(n.dynamics[1].kind, Kind::inverted);
  EXPECT_EQ(n.dynamics[1].deps, Names{"empty"});
  EXPECT_EQ(n.dynamics[2].kind, Kind::component);
  EXPECT_EQ(n.dynamics[2].name, "card");
  EXPECT_EQ(n.dynamics[2].deps, Names{"hero"});
  EXPECT_EQ(n.dynamics[3].kind, Kind::stream);
  EXPECT_EQ(n.dynamics[3].name, "songs");
  EXPECT_EQ(n.dynamics[3].deps, Names{"stream:songs"});
  EXPECT_EQ(n.deps, (Names{"items", "name", "tags", "empty", "hero", "stream:songs"}));
}

TEST(Template, PartialsAreInlinedWithTheirDynamics) {
  TemplateSet set;
  EXPECT_TRUE(compile(set, {{"page", "<main>{{> partials/row}}|{{z}}</main>"},
                            {"partials/row", "<i>{{x}}</i>{{#y}}{{w}}{{/y}}"}})
                  .empty());
  const Node& n = set.find("page")->root();
  EXPECT_EQ(n.statics, (std::vector<std::string>{"<main><i>", "</i>", "|", "</main>"}));
  ASSERT_EQ(n.dynamics.size(), 3u);
  EXPECT_EQ(n.dynamics[1].deps, (Names{"y", "w"}));
  EXPECT_NE(set.find("partials/row"), nullptr);
}

TEST(Template, EveryErrorWithFileAndLine) {
  TemplateSet set;
  auto errors = compile(set, {
      {"a", "ok\n{{#list}}\n{{/other}}\n"},   // mismatched (line 3) + unclosed (line 2)
      {"b", "x {{ bad tag! }}\n{{#s}}{{/s}}\n{{"},  // bad tag (1), unterminated (3)
      {"c", "\n\n{{> nowhere}}"},            // unknown partial (3)
      {"d", "{{/x}}{{@}}{{#a key=}}{{/a}}"}, // closes nothing, bad component, bad arg
      {"e", "{{> f}}"}, {"f", "\n{{> e}}"},  // cycle
      {"g", "<p>{{%}}</p><a {{%clock face}}>"},  // bad nested view; one inside a tag
  });
  std::vector<std::string> expected = {
      "a.html:3: mismatched section: {{/other}} closes {{#list}} opened at line 2",
      "a.html:2: unclosed section {{#list}}",
      "b.html:1: bad tag: 'bad tag!' is not a path (name(.name)* or .)",
      "b.html:3: unterminated tag (no closing }})",
      "d.html:1: mismatched section: {{/x}} closes nothing",
      "d.html:1: bad tag: component needs {{@type path}}, got ''",
      "d.html:1: bad tag: unexpected 'key=' (only key=field)",
      "d.html:1: mismatched section: {{/a}} closes nothing",
      "g.html:1: bad tag: nested view needs {{%name path}}, got ''",
      "g.html:1: {{%clock face}} must stand between tags, not inside a tag, a comment or a script",
      "c.html:3: unknown partial 'nowhere'",
      // Reported where the closing tag of the cycle sits, once per template that enters it.
      "f.html:2: partial cycle: e -> f -> e",
      "e.html:1: partial cycle: f -> e -> f",
  };
  EXPECT_EQ(errors, expected);
  for (const char* name : {"a", "b", "c", "d", "e", "f"}) EXPECT_EQ(set.find(name), nullptr) << name;
}

TEST(Template, ValuesWhereEscapingCannotMakeThemSafeAreCompileErrors) {
  TemplateSet set;
  auto errors = compile(set, {
      {"a", "<a {{x}}>"},
      {"b", "<a href={{x}}>"},
      {"c", "<button onclick=\"go('{{x}}')\">"},
      {"d", "<script>var v = \"{{x}}\";</script>"},
      {"e", "<style>p { color: {{x}} }</style>"},
      {"f", "<div {{> p}}></div>"},
      {"g", "<iframe srcdoc=\"{{x}}\"></iframe>"},
      {"p", "<b>p</b>"},
  });
  std::vector<std::string> expected = {
      "a.html:1: {{x}} inside a tag must be in a quoted attribute value (name=\"{{x}}\"): unquoted, it could add attributes",
      "b.html:1: {{x}} inside a tag must be in a quoted attribute value (name=\"{{x}}\"): unquoted, it could add attributes",
      "c.html:1: {{x}} in the event handler attribute onclick: inline script is refused (use phx-* bindings or a hook)",
      "d.html:1: {{x}} inside <script> or <style>: HTML escaping does not make it safe there",
      "e.html:1: {{x}} inside <script> or <style>: HTML escaping does not make it safe there",
      "f.html:1: {{> p}} must stand between tags, not inside a tag, a comment or a script",
      "g.html:1: {{x}} in srcdoc: its value is parsed as HTML",
  };
  EXPECT_EQ(errors, expected);
}

TEST(Template, ValuesInTextQuotedAttributesAndCommentsCompile) {
  TemplateSet set;
  EXPECT_TRUE(compile(set, {{"t", "<a title=\"{{x}}\" class='c {{y}}' {{#on}}checked{{/on}} {{{raw}}}>{{x}}</a>"
                                  "<!-- {{x}} --><script src=\"/a.js\"></script><p>{{x}}</p>"
                                  "<style>p{}</style>{{x}}<input value=\"{{x}}\">"}})
                  .empty());
}

TEST(Template, UrlAttributeValuesWhoseSchemeIsOpenAreMarked) {
  using Url = Dynamic::UrlCheck;
  TemplateSet set;
  ASSERT_TRUE(compile(set, {{"t", "<a href=\"{{a}}\"></a><A HREF=' {{b}}'></A><img src=\"/i/{{c}}\">"
                                  "<form action=\"{{d}}{{e}}\"></form><a href=\"java{{f}}\"></a>"
                                  "<a title=\"{{g}}\" href=\"#{{h}}\"></a><button formaction=\"{{i}}\">{{j}}</button>"}})
                  .empty());
  const Node& n = set.find("t")->root();
  std::vector<Url> urls;
  for (const auto& d : n.dynamics) urls.push_back(d.url);
  EXPECT_EQ(urls, (std::vector<Url>{Url::scheme, Url::scheme, Url::none, Url::scheme, Url::no_scheme, Url::no_scheme,
                                    Url::none, Url::none, Url::scheme, Url::none}));
}

TEST(Template, IncluderOfABrokenPartialIsNotFindable) {
  TemplateSet set;
  auto errors = compile(set, {{"page", "{{> p}}"}, {"p", "{{#x}}"}});
  EXPECT_EQ(errors, (std::vector<std::string>{"p.html:1: unclosed section {{#x}}"}));
  EXPECT_EQ(set.find("page"), nullptr);
}

TEST(Template, SingleRootTag) {
  auto root = [](std::string source) {
    TemplateSet set;
    EXPECT_TRUE(compile(set, {{"t", source}}).empty());
    return set.find("t")->single_root_tag();
  };
  EXPECT_TRUE(root("<div class=\"{{c}}\">{{#xs}}<p>{{.}}</p>{{/xs}}<br></div>"));
  EXPECT_TRUE(root("  <!-- hi -->\n<section><input/></section>\n"));
  EXPECT_TRUE(root("<input value=\"{{v}}\">"));
  EXPECT_FALSE(root("<div></div><div></div>"));
  EXPECT_FALSE(root("text<div></div>"));
  EXPECT_FALSE(root("{{x}}<div></div>"));
  EXPECT_FALSE(root("<div></div>{{x}}"));
  EXPECT_FALSE(root(""));
}

TEST(Template, LoadDirNamesByRelativePath) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("cohort_tpl_" + std::to_string(::getpid()));
  fs::create_directories(dir / "partials");
  std::ofstream(dir / "counter.html") << "<div>{{> partials/row}}</div>";
  std::ofstream(dir / "partials" / "row.html") << "<b>{{n}}</b>";
  std::ofstream(dir / "broken.html") << "\n{{#a}}";
  std::ofstream(dir / "notes.txt") << "{{#ignored}}";
  TemplateSet set;
  auto errors = set.load_dir(dir.string());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].file, (dir / "broken.html").string());
  EXPECT_EQ(errors[0].line, 2);
  ASSERT_NE(set.find("counter"), nullptr);
  EXPECT_EQ(set.find("counter")->root().statics,
            (std::vector<std::string>{"<div><b>", "</b></div>"}));
  EXPECT_NE(set.find("partials/row"), nullptr);
  EXPECT_EQ(set.load_dir((dir / "missing").string()).size(), 1u);
  fs::remove_all(dir);
}

// Seeded random sources built from template-ish pieces: compiling never crashes, every error
// names its file and a line inside it, and whatever compiles renders a Node whose statics are
// one more than its dynamics, at every depth.
void expect_well_formed(const Node& node) {
  ASSERT_EQ(node.statics.size(), node.dynamics.size() + 1);
  for (const Dynamic& d : node.dynamics) {
    if (d.body) expect_well_formed(*d.body);
  }
}

TEST(Template, ComponentUsesNameFileAndLine) {
  TemplateSet set;
  EXPECT_TRUE(set.add("page", "<main>\n{{#rows}}\n  {{@card .}}{{/rows}}\n{{> part}}</main>").empty());
  EXPECT_TRUE(set.add("part", "<p>\n\n{{@badge me}}</p>", "dir/part.html").empty());
  EXPECT_TRUE(set.link().empty());
  auto uses = set.component_uses();
  ASSERT_EQ(uses.size(), 2u);
  EXPECT_EQ(uses[0].type, "card");
  EXPECT_EQ(uses[0].file, "page.html");
  EXPECT_EQ(uses[0].line, 3);
  EXPECT_EQ(uses[1].type, "badge");
  EXPECT_EQ(uses[1].file, "dir/part.html");
  EXPECT_EQ(uses[1].line, 3);
}

TEST(Template, RandomSourcesCompileOrReportCleanly) {
  const char* pieces[] = {"{{", "}}", "{{{", "}}}", "{{#a}}", "{{/a}}", "{{^b}}", "{{/b}}", "x",
                          "\n", "{{> p}}", "{{@c a}}", "{{#stream:s}}", "{{/stream:s}}", "<div>",
                          "</div>", "{{! c }}", "{{a.b}}", "{{.}}", "{{#a key=id}}", " ", "{"};
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::string source;
    for (int n = rng() % 12; n > 0; --n) source += pieces[rng() % std::size(pieces)];
    TemplateSet set;
    set.add("p", round % 3 ? "<i>{{z}}</i>" : "{{> t}}");  // sometimes a cycle through t
    auto errors = set.add("t", source);
    auto more = set.link();
    errors.insert(errors.end(), more.begin(), more.end());
    int lines = 1 + static_cast<int>(std::count(source.begin(), source.end(), '\n'));
    for (const auto& e : errors) {
      EXPECT_TRUE(e.file == "t.html" || e.file == "p.html") << e.text();
      EXPECT_GE(e.line, 1) << e.text();
      EXPECT_LE(e.line, std::max(lines, 1)) << e.text() << " in " << source;
    }
    if (const Template* t = set.find("t")) expect_well_formed(t->root());
  }
}

// ---- bounds: sections, partial chains and expansion never crash the compiler ------------

std::string sections(std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += "{{#a}}";
  s += "x";
  for (std::size_t i = 0; i < n; ++i) s += "{{/a}}";
  return s;
}

bool mentions(const std::vector<std::string>& errors, std::string_view what) {
  return std::any_of(errors.begin(), errors.end(), [&](const auto& e) { return e.find(what) != std::string::npos; });
}

TEST(Template, SectionsNestUpToTheLimitAndNoDeeper) {
  TemplateSet ok;
  EXPECT_TRUE(compile(ok, {{"t", sections(kMaxSectionDepth)}}).empty());
  EXPECT_TRUE(ok.find("t"));
  TemplateSet deep;
  auto errors = compile(deep, {{"t", sections(kMaxSectionDepth + 1)}});
  EXPECT_TRUE(mentions(errors, "t.html:1: sections nest deeper than 64")) << ::testing::PrintToString(errors);
  EXPECT_FALSE(deep.find("t"));
}

TEST(Template, AHundredThousandNestedSectionsAreAnErrorNotAStackOverflow) {
  TemplateSet set;
  auto errors = compile(set, {{"t", sections(100'000)}});
  EXPECT_TRUE(mentions(errors, "sections nest deeper than 64"));
}

TEST(Template, SectionsNestedThroughPartialsCountTogether) {
  TemplateSet set;
  auto errors = compile(set, {{"t", sections(40) + "{{> p}}"}, {"p", sections(40)}});
  EXPECT_TRUE(errors.empty()) << "the partial is outside t's sections";
  TemplateSet inside;
  std::string t = "{{#a}}{{#a}}{{> p}}{{/a}}{{/a}}";
  errors = compile(inside, {{"t", t}, {"p", sections(63)}});
  EXPECT_TRUE(mentions(errors, "with partials inlined")) << ::testing::PrintToString(errors);
  EXPECT_FALSE(inside.find("t"));
  EXPECT_TRUE(inside.find("p"));
}

TEST(Template, PartialChainsHaveALimitLikeCycles) {
  std::vector<std::pair<std::string, std::string>> files;
  for (int i = 0; i < 20; ++i) files.push_back({"p" + std::to_string(i), "<i>{{> p" + std::to_string(i + 1) + "}}</i>"});
  files.push_back({"p20", "<b>end</b>"});
  TemplateSet set;
  auto errors = compile(set, files);
  EXPECT_TRUE(mentions(errors, "partials nest deeper than 16")) << ::testing::PrintToString(errors);
  EXPECT_FALSE(set.find("p0"));
  EXPECT_TRUE(set.find("p10")) << "a chain of 10 is fine";
}

TEST(Template, APartialUsedTwiceInAPartialUsedTwiceCannotExpandWithoutBound) {
  // 2^15 copies of a 1 KiB partial would be 32 MiB of statics.
  std::vector<std::pair<std::string, std::string>> files;
  for (int i = 0; i < 15; ++i)
    files.push_back({"d" + std::to_string(i), "{{> d" + std::to_string(i + 1) + "}}{{> d" + std::to_string(i + 1) + "}}"});
  files.push_back({"d15", "<p>" + std::string(1024, 'x') + "{{v}}</p>"});
  TemplateSet set;
  auto errors = compile(set, files);
  EXPECT_TRUE(mentions(errors, "expands to more than")) << ::testing::PrintToString(errors);
  EXPECT_FALSE(set.find("d0"));
  EXPECT_TRUE(set.find("d10")) << "32 copies are fine";
}

}  // namespace
}  // namespace cohort::live
