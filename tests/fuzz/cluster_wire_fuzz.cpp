// cluster_wire_fuzz.cpp — fuzz target for src/cluster/cluster_wire.hpp: the broadcast and
// control messages a node reads from Redis, which anyone who can publish there may forge.
//
// Input layout: byte 0 picks the decoder (bit 0: broadcast on topic "room:fuzz", else a control
// message), the rest is the message as it arrives from Redis.
// Invariants:
//  - no crash, no sanitizer report, whatever the bytes: a bad message is a WireError with a
//    reason, never an exception;
//  - what decodes re-encodes to bytes that decode again to the same message (doubles within
//    their last bits, see fuzz_same_json: Boost.JSON 1.81 does not parse them exactly).
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "cluster/cluster_wire.hpp"
#include "fuzz_check.hpp"

namespace {

using namespace cohort::cluster;

constexpr std::string_view kTopic = "room:fuzz";

void check_broadcast(std::string_view bytes) {
  auto decoded = decode_broadcast(kTopic, bytes);
  if (auto* e = std::get_if<WireError>(&decoded)) {
    FUZZ_CHECK(!e->reason.empty());
    return;
  }
  auto& first = std::get<WireBroadcast>(decoded);
  FUZZ_CHECK(first.message.topic == kTopic);
  std::string once = encode_broadcast(first.node, first.message);
  auto again = decode_broadcast(kTopic, once);
  FUZZ_CHECK(std::holds_alternative<WireBroadcast>(again));
  auto& second = std::get<WireBroadcast>(again);
  FUZZ_CHECK(second.node == first.node && second.message.event == first.message.event);
  FUZZ_CHECK(second.message.is_binary == first.message.is_binary);
  FUZZ_CHECK(second.message.binary == first.message.binary);
  FUZZ_CHECK(fuzz_same_json(second.message.payload, first.message.payload));
}

void check_control(std::string_view bytes) {
  auto decoded = decode_control(bytes);
  if (auto* e = std::get_if<WireError>(&decoded)) {
    FUZZ_CHECK(!e->reason.empty());
    return;
  }
  std::string once = encode_control(std::get<ControlMessage>(decoded));
  auto again = decode_control(once);
  FUZZ_CHECK(std::holds_alternative<ControlMessage>(again));
  FUZZ_CHECK(fuzz_same_json(fuzz_parse(encode_control(std::get<ControlMessage>(again))),
                            fuzz_parse(once)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) check_broadcast(bytes);
  else check_control(bytes);
  return 0;
}
