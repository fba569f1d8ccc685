// store_wire_fuzz.cpp — fuzz target for src/cluster/store_wire.hpp: store requests and replies
// forwarded between nodes through Redis, which anyone who can publish there may forge.
//
// Input: the message as it arrives on a node's inbox channel.
// Invariants:
//  - no crash, no sanitizer report, whatever the bytes: a bad message is a WireError with a
//    reason, never an exception;
//  - what decodes re-encodes to bytes that decode again to the same kind and the same message
//    (doubles within their last bits, see fuzz_same_json).
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "cluster/store_wire.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace cohort::cluster;

// The bytes a decoded message encodes to ("" for an error).
std::string encode(const std::variant<StoreRequest, StoreReply, WireError>& m) {
  if (auto* request = std::get_if<StoreRequest>(&m)) return encode_store_request(*request);
  if (auto* reply = std::get_if<StoreReply>(&m)) return encode_store_reply(*reply);
  return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto decoded = decode_store_message(std::string_view(reinterpret_cast<const char*>(data), size));
  if (auto* e = std::get_if<WireError>(&decoded)) {
    FUZZ_CHECK(!e->reason.empty());
    return 0;
  }
  std::string once = encode(decoded);
  auto again = decode_store_message(once);
  FUZZ_CHECK(again.index() == decoded.index());
  FUZZ_CHECK(fuzz_same_json(fuzz_parse(encode(again)), fuzz_parse(once)));
  return 0;
}
