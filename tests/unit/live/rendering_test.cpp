// rendering_test.cpp — src/live/rendering.hpp: exact full renders and diffs (docs/protocol.md, The rendered tree):
// counters, nested conditionals, keyed/positional lists (insert, move, delete, move+change),
// components with a fake host, streams, escaping (XSS payloads, URL schemes, in first renders
// and diffs alike), skipping unevaluated slots, diff size.
#include "live/rendering.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

namespace cohort::live {
namespace {

Json parse(std::string_view text) { return json::parse(text); }
JsonObject obj(std::string_view text) { return json::parse(text).as_object(); }

// One template named "t" (plus optional partials), compiled or the test fails.
struct Fixture {
  TemplateSet set;
  explicit Fixture(std::string_view source,
                   std::vector<std::pair<std::string, std::string>> partials = {}) {
    for (auto& [name, text] : partials) EXPECT_TRUE(set.add(name, text).empty());
    auto errors = set.add("t", source);
    auto more = set.link();
    errors.insert(errors.end(), more.begin(), more.end());
    for (auto& e : errors) ADD_FAILURE() << e.text();
  }
  const Template& t() const { return *set.find("t"); }
};

// Boost.JSON compares objects regardless of member order.
#define EXPECT_JSON(actual, expected)                                          \
  do {                                                                         \
    Json actual_ = Json(actual), expected_ = parse(expected);                  \
    EXPECT_TRUE(actual_ == expected_) << "actual:   " << json::serialize(actual_) \
                                      << "\nexpected: " << json::serialize(expected_); \
  } while (0)

TEST(Rendering, CounterFullThenDiff) {
  Fixture f("<p>Count: {{count}}</p><b>{{label}}</b>");
  Rendering r(f.t());
  auto assigns = obj(R"({"count":1,"label":"x"})");
  EXPECT_JSON(r.render_full(assigns), R"({"0":"1","1":"x","s":["<p>Count: ","</p><b>","</b>"]})");
  assigns["count"] = 2;
  EXPECT_JSON(r.render_diff(assigns, {"count"}), R"({"0":"2"})");
  EXPECT_JSON(r.render_diff(assigns, {"count"}), R"({})");  // evaluated, equal: not sent
  EXPECT_JSON(r.render_diff(assigns, {}), R"({})");
}

TEST(Rendering, ValuesPrintAsStrings) {
  Fixture f("{{i}}|{{d}}|{{t}}|{{n}}|{{missing}}|{{a.b}}");
  Rendering r(f.t());
  auto out = r.render_full(obj(R"({"i":-42,"d":1.5,"t":true,"n":null,"a":{"b":"deep"}})"));
  EXPECT_JSON(out, R"({"0":"-42","1":"1.5","2":"true","3":"","4":"","5":"deep",
                       "s":["","|","|","|","|","|",""]})");
}

TEST(Rendering, EscapesValuesButNotRaw) {
  Fixture f("<a title=\"{{v}}\">{{{v}}}</a>");
  Rendering r(f.t());
  auto out = r.render_full(obj(R"({"v":"<b a='1'>&\"</b>"})"));
  EXPECT_EQ(out["0"].as_string(), "&lt;b a=&#39;1&#39;&gt;&amp;&quot;&lt;/b&gt;");
  EXPECT_EQ(out["1"].as_string(), "<b a='1'>&\"</b>");
  EXPECT_EQ(escape_html("a&b<c>\"'"), "a&amp;b&lt;c&gt;&quot;&#39;");
}

TEST(Rendering, XssPayloadsPrintAsTextInTextAndAttributes) {
  Fixture f("<p title=\"{{v}}\" data-x='{{v}}'>{{v}}</p>");
  Rendering r(f.t());
  for (std::string payload : {"<img src=x onerror=window.__xss=1>", "\"><script>window.__xss=1</script>",
                              "' onmouseover='window.__xss=1"}) {
    JsonObject assigns{{"v", payload}};
    JsonObject tree = r.render_full(assigns);
    std::string html = to_html(tree);
    EXPECT_EQ(html.find('<', 1), html.find("</p>")) << "no tag but the template's: " << html;
    for (const char* slot : {"0", "1", "2"}) {
      std::string text(tree[slot].as_string());
      EXPECT_EQ(text.find_first_of("<>\"'"), std::string::npos) << text;
    }
  }
}

TEST(Rendering, DangerousUrlSchemesPrintAsUnsafeInFirstRenderAndDiffs) {
  Fixture f("<a href=\"{{u}}\">x</a><img src=\"{{u}}\"><a href=\"{{a}}{{b}}\">y</a><a href=\"/p/{{u}}\">z</a>");
  Rendering r(f.t());
  auto full = [&](std::string u) {
    JsonObject assigns{{"u", u}, {"a", "java"}, {"b", "script:window.__xss=1"}};
    return r.render_full(assigns);
  };
  for (std::string bad : {"javascript:window.__xss=1", " JaVaScRiPt:x", "\tjava\nscript:x", "\x01javascript:x",
                          "vbscript:msgbox(1)", "data:text/html,<script>x</script>", "DATA:image/svg+xml,x"}) {
    JsonObject out = full(bad);
    EXPECT_EQ(out["0"].as_string(), kUnsafeUrl) << bad;
    EXPECT_EQ(out["1"].as_string(), kUnsafeUrl) << bad;
    EXPECT_EQ(out["2"].as_string(), "java");
    EXPECT_EQ(out["3"].as_string(), kUnsafeUrl) << "two values cannot spell a scheme between them";
    EXPECT_NE(out["4"].as_string(), kUnsafeUrl) << "after /p/ the value is a path, printed escaped";
  }
  for (std::string good : {"https://example.org/a?b=c&d", "/polls/abc", "mailto:a@b.c", "?q=javascript:x", "#top"})
    EXPECT_EQ(full(good)["0"].as_string(), escape_html(good)) << good;
  // A diff carries the same text as a first render would.
  Rendering live(f.t());
  JsonObject assigns{{"u", "/ok"}, {"a", ""}, {"b", "/fine"}};
  live.render_full(assigns);
  assigns["u"] = "javascript:window.__xss=1";
  assigns["b"] = "x:y";
  EXPECT_JSON(live.render_diff(assigns, {"u", "b"}), R"({"0":"#unsafe","1":"#unsafe","3":"#unsafe","4":"javascript:window.__xss=1"})");
}

TEST(Rendering, NestedConditionalsFlipOnOffOn) {
  Fixture f("<div>{{#show}}<p>{{#user}}Hi {{name}}{{/user}}{{^user}}anon{{/user}}</p>{{/show}}</div>");
  Rendering r(f.t());
  auto assigns = obj(R"({"show":false,"user":null})");
  EXPECT_JSON(r.render_full(assigns), R"({"0":"","s":["<div>","</div>"]})");
  assigns["show"] = true;
  EXPECT_JSON(r.render_diff(assigns, {"show"}),
              R"({"0":{"0":"","1":{"s":["anon"]},"s":["<p>","","</p>"]}})");
  assigns["user"] = parse(R"({"name":"Ann"})");
  EXPECT_JSON(r.render_diff(assigns, {"user"}),
              R"({"0":{"0":{"0":"Ann","s":["Hi ",""]},"1":""}})");
  assigns["user"] = parse(R"({"name":"Bob"})");
  EXPECT_JSON(r.render_diff(assigns, {"user"}), R"({"0":{"0":{"0":"Bob"}}})");
  assigns["show"] = false;
  EXPECT_JSON(r.render_diff(assigns, {"show"}), R"({"0":""})");
  assigns["show"] = true;  // back on: the client holds "", so the full node with "s"
  EXPECT_JSON(r.render_diff(assigns, {"show"}),
              R"({"0":{"0":{"0":"Bob","s":["Hi ",""]},"1":"","s":["<p>","","</p>"]}})");
}

TEST(Rendering, TruthyValuesAndInvertedSections) {
  Fixture f("{{#s}}S{{/s}}{{#n}}N{{/n}}{{#e}}E{{/e}}{{^z}}Z{{/z}}{{#o}}{{k}}{{/o}}");
  Rendering r(f.t());
  auto out = r.render_full(obj(R"({"s":"yes","n":0,"e":[],"z":"","o":{"k":"v"}})"));
  EXPECT_JSON(out, R"({"0":{"s":["S"]},"1":"","2":"","3":{"s":["Z"]},"4":{"0":"v","s":["",""]},
                       "s":["","","","","",""]})");
}

const char* kList = "<ul>{{#items}}<li id=\"{{id}}\">{{name}}</li>{{/items}}</ul>";

TEST(Rendering, ListFullRender) {
  Fixture f(kList);
  Rendering r(f.t());
  auto out = r.render_full(obj(R"({"items":[{"id":"a","name":"Apricot"},{"id":"b","name":"Banana"}]})"));
  EXPECT_JSON(out, R"({"0":{"s":["<li id=\"","\">","</li>"],
                            "k":{"0":{"0":"a","1":"Apricot"},"1":{"0":"b","1":"Banana"},"kc":2}},
                       "s":["<ul>","</ul>"]})");
}

TEST(Rendering, ListInsertMoveDeleteChange) {
  Fixture f(kList);
  Rendering r(f.t());
  auto assigns = obj(R"({"items":[{"id":"a","name":"Apricot"},{"id":"b","name":"Banana"},
                                  {"id":"c","name":"Cherry"}]})");
  r.render_full(assigns);
  // The example of docs/protocol.md, Comprehensions: [a,b,c] -> [c, a'] (c moved, a moved and changed, b deleted).
  assigns["items"] = parse(R"([{"id":"c","name":"Cherry"},{"id":"a","name":"Avocado"}])");
  EXPECT_JSON(r.render_diff(assigns, {"items"}),
              R"({"0":{"k":{"0":2,"1":[0,{"1":"Avocado"}],"kc":2,"km":true}}})");
  // Insert at the end: a new key gets its full entry dynamics.
  assigns["items"] = parse(R"([{"id":"c","name":"Cherry"},{"id":"a","name":"Avocado"},
                               {"id":"d","name":"Date"}])");
  EXPECT_JSON(r.render_diff(assigns, {"items"}), R"({"0":{"k":{"2":{"0":"d","1":"Date"},"kc":3}}})");
  // Change in place.
  assigns["items"].as_array()[1].as_object()["name"] = "Apple";
  EXPECT_JSON(r.render_diff(assigns, {"items"}), R"({"0":{"k":{"1":{"1":"Apple"},"kc":3}}})");
  // Delete the last one.
  assigns["items"].as_array().pop_back();
  EXPECT_JSON(r.render_diff(assigns, {"items"}), R"({"0":{"k":{"kc":2}}})");
  // Insert at the front: new key at 0, the others move.
  assigns["items"].as_array().insert(assigns["items"].as_array().begin(),
                                     parse(R"({"id":"z","name":"Zest"})"));
  EXPECT_JSON(r.render_diff(assigns, {"items"}),
              R"({"0":{"k":{"0":{"0":"z","1":"Zest"},"1":0,"2":1,"kc":3,"km":true}}})");
  // Unchanged list: the comprehension is left out.
  EXPECT_JSON(r.render_diff(assigns, {"items"}), R"({})");
  // Emptied: the section is falsy, the slot becomes "".
  assigns["items"] = json::array{};
  EXPECT_JSON(r.render_diff(assigns, {"items"}), R"({"0":""})");
  assigns["items"] = parse(R"([{"id":"a","name":"A"}])");
  EXPECT_JSON(r.render_diff(assigns, {"items"}),
              R"({"0":{"s":["<li id=\"","\">","</li>"],"k":{"0":{"0":"a","1":"A"},"kc":1}}})");
}

TEST(Rendering, NewKeyAtAnOldIndexIsSentInFull) {
  Fixture f(kList);
  Rendering r(f.t());
  auto assigns = obj(R"({"items":[{"id":"a","name":"A"},{"id":"b","name":"B"}]})");
  r.render_full(assigns);
  // b replaced by x at index 1: the client merges the entry onto old[1], so every slot is sent.
  assigns["items"].as_array()[1] = parse(R"({"id":"x","name":"B"})");
  EXPECT_JSON(r.render_diff(assigns, {"items"}), R"({"0":{"k":{"1":{"0":"x","1":"B"},"kc":2}}})");
}

TEST(Rendering, ElementsEqualInAnotherMemberOrderAreUnchanged) {
  Fixture f(kList);
  Rendering r(f.t());
  auto assigns = obj(R"({"items":[{"id":"a","name":"A"},{"id":"b","name":"B","x":[1,{"y":2}]}]})");
  r.render_full(assigns);
  assigns["items"] = parse(R"([{"name":"A","id":"a"},{"id":"b","name":"B","x":[1,{"y":2}]}])");
  EXPECT_JSON(r.render_diff(assigns, {"items"}), R"({})");
  assigns["items"] = parse(R"([{"name":"A","id":"a"},{"id":"b","name":"B","x":[1,{"y":3}]}])");
  EXPECT_EQ(r.last_evaluations(), 1u);
  EXPECT_JSON(r.render_diff(assigns, {"items"}), R"({})");  // x is not rendered: no slot differs
  EXPECT_EQ(r.last_evaluations(), 3u);                      // but entry 1 was re-evaluated
}

TEST(Rendering, DuplicateIdsStayDistinctEntries) {
  Fixture f(kList);
  Rendering r(f.t());
  auto assigns = obj(R"({"items":[{"id":"a","name":"1"},{"id":"a","name":"2"}]})");
  r.render_full(assigns);
  assigns["items"].as_array().push_back(parse(R"({"id":"a","name":"3"})"));
  EXPECT_JSON(r.render_diff(assigns, {"items"}), R"({"0":{"k":{"2":{"0":"a","1":"3"},"kc":3}}})");
  assigns["items"].as_array().erase(assigns["items"].as_array().begin());  // 2nd "a" is now 1st
  EXPECT_JSON(r.render_diff(assigns, {"items"}),
              R"({"0":{"k":{"0":{"1":"2"},"1":{"1":"3"},"kc":2}}})");
}

TEST(Rendering, PositionalListWithoutIds) {
  Fixture f("{{#tags}}<i>{{.}}</i>{{/tags}}");
  Rendering r(f.t());
  auto assigns = obj(R"({"tags":["x","y"]})");
  EXPECT_JSON(r.render_full(assigns), R"({"0":{"s":["<i>","</i>"],"k":{"0":{"0":"x"},"1":{"0":"y"},"kc":2}},
                                          "s":["",""]})");
  assigns["tags"] = parse(R"(["y","x","w"])");  // by position: two changes, one new
  EXPECT_JSON(r.render_diff(assigns, {"tags"}),
              R"({"0":{"k":{"0":{"0":"y"},"1":{"0":"x"},"2":{"0":"w"},"kc":3}}})");
}

TEST(Rendering, KeyByOtherField) {
  Fixture f("{{#rows key=sku}}{{sku}}:{{qty}} {{/rows}}");
  Rendering r(f.t());
  auto assigns = obj(R"({"rows":[{"sku":"p","qty":1},{"sku":"q","qty":2}]})");
  r.render_full(assigns);
  assigns["rows"] = parse(R"([{"sku":"q","qty":2},{"sku":"p","qty":1}])");
  EXPECT_JSON(r.render_diff(assigns, {"rows"}), R"({"0":{"k":{"0":1,"1":0,"kc":2,"km":true}}})");
}

TEST(Rendering, EntriesReadingOuterNames) {
  Fixture f("{{#items}}{{name}}{{suffix}} {{/items}}");
  Rendering r(f.t());
  auto assigns = obj(R"({"suffix":"!","items":[{"id":1,"name":"a"},{"id":2,"name":"b"}]})");
  r.render_full(assigns);
  assigns["suffix"] = "?";
  EXPECT_JSON(r.render_diff(assigns, {"suffix"}),
              R"({"0":{"k":{"0":{"1":"?"},"1":{"1":"?"},"kc":2}}})");
  EXPECT_EQ(r.last_evaluations(), 3u);  // the list, then slot 1 of each entry; names not re-read
}

TEST(Rendering, SkippedSlotsAreNotEvaluated) {
  Fixture f("{{a}} {{b}} {{#items}}{{name}}{{/items}}");
  Rendering r(f.t());
  auto assigns = obj(R"({"a":"1","b":"2","items":[{"id":1,"name":"x"},{"id":2,"name":"y"}]})");
  r.render_full(assigns);
  EXPECT_EQ(r.last_evaluations(), 5u);
  // Remove b from the object: if slot 1 were evaluated it would become "" and be sent.
  assigns.erase("b");
  assigns["a"] = "3";
  EXPECT_JSON(r.render_diff(assigns, {"a"}), R"({"0":"3"})");
  EXPECT_EQ(r.last_evaluations(), 1u);
  // Only one element changed: the list and that entry's slot are evaluated, nothing else.
  assigns["items"].as_array()[1].as_object()["name"] = "z";
  EXPECT_JSON(r.render_diff(assigns, {"items"}), R"({"2":{"k":{"1":{"0":"z"},"kc":2}}})");
  EXPECT_EQ(r.last_evaluations(), 2u);
}

TEST(Rendering, NestedListInObjectSectionSeesContextChange) {
  Fixture f("{{#user}}{{#tags}}{{label}}{{title}};{{/tags}}{{/user}}");
  Rendering r(f.t());
  auto assigns = obj(R"({"user":{"title":"Dr","tags":[{"id":1,"label":"a"}]}})");
  r.render_full(assigns);
  assigns["user"].as_object()["title"] = "Mx";  // tags equal, but {{title}} reads the user
  EXPECT_JSON(r.render_diff(assigns, {"user"}), R"({"0":{"0":{"k":{"0":{"1":"Mx"},"kc":1}}}})");
}

TEST(Rendering, HundredRowTableOneRowChange) {
  Fixture f("<table>{{#rows}}<tr id=\"r{{id}}\"><td>{{name}}</td><td>{{qty}}</td></tr>{{/rows}}</table>");
  Rendering r(f.t());
  json::array rows;
  for (int i = 0; i < 100; ++i) {
    rows.push_back(JsonObject{{"id", i}, {"name", "item " + std::to_string(i)}, {"qty", i * 3}});
  }
  JsonObject assigns{{"rows", rows}};
  std::size_t full = json::serialize(r.render_full(assigns)).size();
  assigns["rows"].as_array()[57].as_object()["qty"] = 1000;
  auto diff = r.render_diff(assigns, {"rows"});
  EXPECT_JSON(diff, R"({"0":{"k":{"57":{"2":"1000"},"kc":100}}})");
  EXPECT_EQ(r.last_evaluations(), 4u);  // the list + the 3 slots of the changed row
  EXPECT_LT(json::serialize(diff).size() * 50, full);
}

class FakeHost : public ComponentHost {
 public:
  int place(std::string_view type, const Json& props) override {
    calls.push_back(std::string(type) + ":" + json::serialize(props));
    return 10 + static_cast<int>(props.at("id").as_int64());
  }
  std::vector<std::string> calls;
};

TEST(Rendering, ComponentSlotsHoldCids) {
  Fixture f("<div>{{@card hero}}{{#items}}{{@row .}}{{/items}}</div>");
  Rendering r(f.t());
  FakeHost host;
  auto assigns = obj(R"({"hero":{"id":1},"items":[{"id":2},{"id":3}]})");
  EXPECT_JSON(r.render_full(assigns, &host),
              R"({"0":11,"1":{"s":["",""],"k":{"0":{"0":12},"1":{"0":13},"kc":2}},"s":["<div>","","</div>"]})");
  EXPECT_EQ(host.calls, (std::vector<std::string>{"card:{\"id\":1}", "row:{\"id\":2}", "row:{\"id\":3}"}));
  assigns["hero"] = parse(R"({"id":4})");
  EXPECT_JSON(r.render_diff(assigns, {"hero"}, &host), R"({"0":14})");
  EXPECT_FALSE(r.render_full(assigns, &host).contains("r"));
  Rendering component(f.t(), true);
  EXPECT_EQ(component.render_full(assigns, &host)["r"], 1);
}

TEST(Rendering, StreamsAppendPrependDeleteReset) {
  Fixture f("<ul id=\"songs\" phx-update=\"stream\">{{#stream:songs}}<li id=\"{{dom_id}}\">{{title}}</li>{{/stream:songs}}</ul>");
  Rendering r(f.t());
  JsonObject assigns;
  Streams streams;
  streams["songs"].inserts.push_back({parse(R"({"id":1,"title":"One"})"), -1, std::nullopt});
  EXPECT_JSON(r.render_full(assigns, nullptr, &streams),
              R"({"0":{"s":["<li id=\"","\">","</li>"],"k":{"0":{"0":"songs-1","1":"One"},"kc":1},
                       "stream":["0",[["songs-1",-1,null,false]],[]]},"s":["<ul id=\"songs\" phx-update=\"stream\">","</ul>"]})");
  EXPECT_TRUE(streams.empty());  // consumed
  EXPECT_JSON(r.render_diff(assigns, {}, nullptr, &streams), R"({})");
  streams["songs"].inserts.push_back({parse(R"({"id":2,"title":"<Two>"})"), 0, 10});
  EXPECT_JSON(r.render_diff(assigns, {}, nullptr, &streams),
              R"({"0":{"k":{"0":{"0":"songs-2","1":"&lt;Two&gt;"},"kc":1},
                       "stream":["0",[["songs-2",0,10,false]],[]]}})");
  streams["songs"].deletes.push_back(stream_dom_id("songs", Json(1)));
  EXPECT_JSON(r.render_diff(assigns, {}, nullptr, &streams),
              R"({"0":{"k":{"kc":0},"stream":["0",[],["songs-1"]]}})");
  streams["songs"].reset = true;
  streams["songs"].inserts.push_back({parse(R"({"id":"x","title":"X"})"), -1, std::nullopt, true});
  EXPECT_JSON(r.render_diff(assigns, {}, nullptr, &streams),
              R"({"0":{"k":{"0":{"0":"songs-x","1":"X"},"kc":1},
                       "stream":["0",[["songs-x",-1,null,true]],[],true]}})");
}

TEST(Rendering, PartialsRenderInline) {
  Fixture f("<ul>{{#items}}{{> row}}{{/items}}</ul>", {{"row", "<li>{{name}}</li>"}});
  Rendering r(f.t());
  EXPECT_JSON(r.render_full(obj(R"({"items":[{"name":"a"}]})")),
              R"({"0":{"s":["<li>","</li>"],"k":{"0":{"0":"a"},"kc":1}},"s":["<ul>","</ul>"]})");
}

TEST(Rendering, ToHtmlMatchesTheTree) {
  Fixture f("<ul>{{#items}}<li>{{name}}</li>{{/items}}</ul>{{#on}}<b>{{x}}</b>{{/on}}{{@c card}}");
  Rendering r(f.t());
  FakeHost host;
  auto tree = r.render_full(obj(R"({"items":[{"name":"a&b"},{"name":"c"}],"on":true,"x":"X","card":{"id":1}})"), &host);
  JsonObject components{{"11", obj(R"({"0":"hi","s":["<p>","</p>"],"r":1})")}};
  EXPECT_EQ(to_html(tree, components), "<ul><li>a&amp;b</li><li>c</li></ul><b>X</b><p>hi</p>");
  EXPECT_EQ(to_html(tree), "<ul><li>a&amp;b</li><li>c</li></ul><b>X</b>");
}

}  // namespace
}  // namespace cohort::live
