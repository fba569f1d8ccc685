// serializer_fuzz.cpp — fuzz target for src/channels/serializer.hpp (the Phoenix message
// decoder, text and binary) and the bounded JSON parse under it (src/net/client_json.hpp).
//
// Input layout: byte 0 picks the frame kind and the limits (bit 0: binary; bits 1-2:
// json_max_depth from kDepths; bits 3-4: json_max_bytes from kSizes), the rest is the frame.
// Invariants:
//  - no crash, no sanitizer report, whatever the bytes;
//  - a refusal has a reason; too_big exactly when the text is over json_max_bytes;
//  - a decoded text message's payload nests within json_max_depth - 1 (the message array is 1);
//  - encode_message of what was decoded decodes again to the same refs, topic, event, payload
//    (doubles within their last bits: fuzz_same_json);
//  - a decoded binary push accounts for every byte (5-byte header + fields + payload), each
//    field within 255 bytes.
#include <cstdint>
#include <string>
#include <string_view>

#include "channels/serializer.hpp"
#include "fuzz_check.hpp"
#include "storage/stored_json.hpp"

namespace {

using namespace cohort;
using namespace cohort::channels;

constexpr std::uint32_t kDepths[] = {2, 8, 64, 1024};
constexpr std::size_t kSizes[] = {16, 300, 1 << 20, 1 << 20};

void check_text(std::string_view text, const net::ParserLimits& limits) {
  InMessage m;
  auto error = decode_text(text, m, limits);
  if (error) {
    FUZZ_CHECK(!error->reason.empty());
    FUZZ_CHECK(error->too_big == (text.size() > limits.json_max_bytes));
    return;
  }
  FUZZ_CHECK(text.size() <= limits.json_max_bytes);
  FUZZ_CHECK(storage::depth_of(m.payload, limits.json_max_depth) + 1 <= limits.json_max_depth);
  FUZZ_CHECK(!m.is_binary);
  // What the server would echo (refs as the JSON the client sent) decodes to the same message.
  std::string again = encode_message(m.join_ref_json, m.ref_json, m.topic, m.event, m.payload);
  net::ParserLimits roomy = limits;
  roomy.json_max_bytes = SIZE_MAX;
  InMessage back;
  auto back_error = decode_text(again, back, roomy);
  FUZZ_CHECK(!back_error);
  FUZZ_CHECK(back.topic == m.topic && back.event == m.event);
  FUZZ_CHECK(back.join_ref == m.join_ref && back.ref == m.ref);
  FUZZ_CHECK(fuzz_same_json(fuzz_parse(back.join_ref_json), fuzz_parse(m.join_ref_json)));
  FUZZ_CHECK(fuzz_same_json(fuzz_parse(back.ref_json), fuzz_parse(m.ref_json)));
  FUZZ_CHECK(back.bad_request == m.bad_request);
  FUZZ_CHECK(fuzz_same_json(back.payload, m.payload));
}

void check_binary(std::string_view frame) {
  InMessage m;
  auto error = decode_binary(frame, m);
  if (error) {
    FUZZ_CHECK(!error->reason.empty());
    return;
  }
  FUZZ_CHECK(m.is_binary);
  FUZZ_CHECK(m.join_ref && m.ref);
  for (std::size_t n : {m.join_ref->size(), m.ref->size(), m.topic.size(), m.event.size()}) FUZZ_CHECK(n <= 255);
  FUZZ_CHECK(5 + m.join_ref->size() + m.ref->size() + m.topic.size() + m.event.size() + m.bytes.size() ==
             frame.size());
  FUZZ_CHECK(m.bytes.data() + m.bytes.size() == frame.data() + frame.size());  // a view, not a copy
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0];
  std::string_view frame(reinterpret_cast<const char*>(data + 1), size - 1);
  if (mode & 1) {
    check_binary(frame);
  } else {
    net::ParserLimits limits;
    limits.json_max_depth = kDepths[(mode >> 1) & 3];
    limits.json_max_bytes = kSizes[(mode >> 3) & 3];
    check_text(frame, limits);
  }
  return 0;
}
