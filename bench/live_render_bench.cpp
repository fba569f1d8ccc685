// live_render_bench.cpp — what a LiveView render costs (src/live/rendering.hpp): the full render
// of a 100-row table, and the diff after one row changes. Counters report the JSON bytes of
// each (serialized as they go on the wire), so the diff/full ratio is printed with the times.
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
  std::size_t bytes = 0;
  for (auto _ : state) {
    Rendering rendering(*set.find("table"));
    JsonObject tree = rendering.render_full(assigns);
    bytes = json::serialize(tree).size();
    benchmark::DoNotOptimize(tree);
  }
  state.counters["json_bytes"] = static_cast<double>(bytes);
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
  std::size_t bytes = 0;
  std::int64_t n = 0;
  for (auto _ : state) {
    assigns["rows"].as_array()[57].as_object()["qty"] = ++n;
    JsonObject diff = rendering.render_diff(assigns, changed);
    bytes = json::serialize(diff).size();
    benchmark::DoNotOptimize(diff);
  }
  state.counters["json_bytes"] = static_cast<double>(bytes);
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
