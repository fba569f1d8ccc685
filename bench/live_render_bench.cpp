// live_render_bench.cpp — what a LiveView render costs (src/live/rendering.hpp): the full render
// of a 100-row table, and the diff after one row changes. Times are the render alone (the tree
// as a Boost.JSON object); json_bytes is its serialized size on the wire, taken once afterwards.
#include <benchmark/benchmark.h>

#include <boost/json/serialize.hpp>

#include "live/rendering.hpp"

namespace {

using namespace cohort;
using namespace cohort::live;

const char* kTable =
    "<table>{{#rows}}<tr id=\"row-{{id}}\"><td>{{name}}</td><td>{{qty}}</td>"
    "<td>{{#hot}}<b>hot</b>{{/hot}}</td></tr>{{/rows}}</table><p>{{title}}</p>";

TemplateSet table_set() {
  TemplateSet set;
  set.add("table", kTable);
  set.link();
  return set;
}

JsonObject table_assigns(int rows) {
  json::array list;
  for (int i = 0; i < rows; ++i) {
    list.push_back(JsonObject{{"id", i}, {"name", "item " + std::to_string(i)}, {"qty", i * 3},
                              {"hot", i % 7 == 0}});
  }
  return JsonObject{{"rows", std::move(list)}, {"title", "Inventory"}};
}

void BM_FullRender(benchmark::State& state) {
  TemplateSet set = table_set();
  JsonObject assigns = table_assigns(static_cast<int>(state.range(0)));
  JsonObject tree;
  for (auto _ : state) {
    Rendering rendering(*set.find("table"));
    tree = rendering.render_full(assigns);
    benchmark::DoNotOptimize(tree);
  }
  state.counters["json_bytes"] = static_cast<double>(json::serialize(tree).size());
}
BENCHMARK(BM_FullRender)->Arg(100)->Unit(benchmark::kMicrosecond);

// One row's qty changes, then the diff is taken (the change alternates so every diff is
// non-empty). Setup of the change is inside the loop; it is one JSON assignment.
void BM_OneRowDiff(benchmark::State& state) {
  TemplateSet set = table_set();
  JsonObject assigns = table_assigns(static_cast<int>(state.range(0)));
  Rendering rendering(*set.find("table"));
  rendering.render_full(assigns);
  const Changed changed{"rows"};
  std::int64_t n = 0;
  JsonObject diff;
  for (auto _ : state) {
    assigns["rows"].as_array()[57].as_object()["qty"] = ++n;
    diff = rendering.render_diff(assigns, changed);
    benchmark::DoNotOptimize(diff);
  }
  state.counters["json_bytes"] = static_cast<double>(json::serialize(diff).size());
}
BENCHMARK(BM_OneRowDiff)->Arg(100)->Unit(benchmark::kMicrosecond);

// The title changes: the table slot is not evaluated at all.
void BM_UnrelatedAssignDiff(benchmark::State& state) {
  TemplateSet set = table_set();
  JsonObject assigns = table_assigns(static_cast<int>(state.range(0)));
  Rendering rendering(*set.find("table"));
  rendering.render_full(assigns);
  const Changed changed{"title"};
  std::int64_t n = 0;
  for (auto _ : state) {
    assigns["title"] = "Inventory " + std::to_string(++n);
    benchmark::DoNotOptimize(rendering.render_diff(assigns, changed));
  }
}
BENCHMARK(BM_UnrelatedAssignDiff)->Arg(100)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
