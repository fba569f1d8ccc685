// form_fuzz.cpp — fuzz target for src/live/form.hpp (live form values: URL-encoded, bracketed
// field names nested into JSON).
//
// Input layout: byte 0 picks form_max_depth from kDepths, the rest is the form value as a
// phx-change event carries it.
// Invariants:
//  - no crash, no sanitizer report, whatever the bytes;
//  - a decoded form nests at most form_max_depth + 1 levels (the fields object is 1, each
//    bracket one more), and serializes;
//  - an error quotes at most 64 bytes of a field name, however long the name;
//  - field_path splits at most the number of segments asked for.
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/serialize.hpp>

#include "fuzz_check.hpp"
#include "live/form.hpp"
#include "storage/stored_json.hpp"

namespace {

constexpr std::uint32_t kDepths[] = {0, 1, 2, 4, 32, 256};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint32_t max_depth = kDepths[data[0] % std::size(kDepths)];
  std::string_view value(reinterpret_cast<const char*>(data + 1), size - 1);
  auto form = cohort::live::decode_form(value, max_depth);
  if (form.error) {
    FUZZ_CHECK(!form.error->empty());
    // "field '<at most 64 bytes + ...>' ..." or "form value is not URL-encoded: ..."
    FUZZ_CHECK(form.error->size() < 64 + 200);
    return 0;
  }
  cohort::Json fields(std::move(form.fields));
  FUZZ_CHECK(cohort::storage::depth_of(fields, max_depth + 1) <= max_depth + 1);
  FUZZ_CHECK(!boost::json::serialize(fields).empty());
  // The _target path of any name splits into at most as many segments as it has brackets + 1.
  auto path = cohort::live::field_path(value, max_depth + 1);
  FUZZ_CHECK(path.size() <= std::size_t{max_depth} + 1);
  return 0;
}
