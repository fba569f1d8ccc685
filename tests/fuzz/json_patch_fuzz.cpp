// json_patch_fuzz.cpp — fuzz target for src/store/json_patch.hpp (RFC 6902 patches applied all
// or nothing, RFC 6901 pointers), with and without the store's limits.
//
// Input layout: byte 0 picks the limits (kLimits; 0 = none), the rest is JSON text: either
// [document, patch] or a patch alone (applied to kDocument).
// Invariants:
//  - no crash, no sanitizer report, whatever the patch;
//  - a patch check_patch refuses is refused by apply_patch, at the same op;
//  - a refused patch leaves the document exactly as it was (same serialization, member order
//    included), and its reason starts with "op <index>";
//  - with limits, a document within them stays within them after a patch applies;
//  - every valid pointer in the patch survives parse_pointer -> make_pointer unchanged and
//    overlaps itself.
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/serialize.hpp>

#include "fuzz_check.hpp"
#include "net/client_json.hpp"
#include "storage/stored_json.hpp"
#include "store/json_patch.hpp"

namespace {

using namespace cohort;

const StoreLimits kLimits[] = {
    {},  // unused: slot 0 means no limits
    {.max_depth = 4, .max_string_bytes = 16, .max_member_bytes = 16, .max_key_bytes = 256},
    {.max_depth = 8, .max_string_bytes = 64, .max_member_bytes = 8, .max_key_bytes = 256},
    {},  // the defaults
};

constexpr std::string_view kDocument = R"({"a":[1,2,{"b":"c"}],"d":{"e":null,"f":[[]]},"~":{"/":0}})";

void check_pointers(const json::array& ops) {
  for (const auto& op : ops) {
    if (!op.is_object()) continue;
    for (const char* field : {"path", "from"}) {
      const Json* p = op.get_object().if_contains(field);
      if (!p || !p->is_string()) continue;
      std::string_view text = p->get_string();
      auto segments = store::parse_pointer(text);
      if (!segments) continue;
      FUZZ_CHECK(store::make_pointer(*segments) == text);
      FUZZ_CHECK(store::paths_overlap(text, text));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned which = data[0] % std::size(kLimits);
  const StoreLimits* limits = which ? &kLimits[which] : nullptr;
  net::ParserLimits parse;
  parse.json_max_depth = 128;
  auto input = net::parse_client_json(std::string_view(reinterpret_cast<const char*>(data + 1), size - 1), parse);
  if (!input || !input.value.is_array()) return 0;
  json::array& top = input.value.get_array();
  Json doc;
  json::array ops;
  if (top.size() == 2 && top[1].is_array()) {
    doc = std::move(top[0]);
    ops = std::move(top[1].get_array());
  } else {
    doc = net::parse_client_json(kDocument, parse).value;
    ops = std::move(top);
  }
  check_pointers(ops);
  const bool was_within = limits && !storage::check_value(doc, *limits, 0, "");
  const std::string before = json::serialize(doc);
  auto checked = store::check_patch(ops);
  auto applied = store::apply_patch(doc, ops, limits);
  if (checked) {
    FUZZ_CHECK(applied);
    FUZZ_CHECK(applied->op_index == checked->op_index);
  }
  if (applied) {
    FUZZ_CHECK(json::serialize(doc) == before);
    FUZZ_CHECK(applied->reason.starts_with("op " + std::to_string(applied->op_index)));
    return 0;
  }
  if (was_within) FUZZ_CHECK(!storage::check_value(doc, *limits, 0, ""));
  return 0;
}
