// store_wire.hpp — store requests forwarded between nodes, and their answers (JSON on Redis).
//
// A node that does not own a store key sends the key's owner a request on the owner's inbox
// channel `<prefix>n:<owner id>`; the owner answers on the sender's inbox with the same id.
//   op    {"t":"op","id":N,"from":F,"call":{"key","name","args","actor":{"id","roles"},"session","expect"?,"op_id"?}}
//   view  {"t":"view","id":N,"from":F,"key":K,"since"?:V,"existing"?:true}   (existing: Stores::view_existing)
//   end   {"t":"end","key":K,"session":S}                       (no answer)
//   reply {"t":"r","id":N,"moved"?:true,"outcome":{"ok","version","error"}}
//   reply {"t":"v","id":N,"moved"?:true,"view":{"ok","version","state"?,"patches"?,"locks","error"}}
// "moved": the receiver does not own the key (any more); nothing was applied, so the sender may
// look the owner up again and resend. Pure encoding: no I/O, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "cluster/cluster_wire.hpp"
#include "cohort/store.hpp"

namespace cohort::cluster {

struct StoreRequest {
  enum class Kind { op, view, end } kind = Kind::op;
  std::uint64_t id = 0;    // op, view
  std::uint32_t from = 0;  // op, view: the node to answer
  OpCall call;             // op: all of it; view and end: key (and session for end)
  std::optional<std::uint64_t> since;  // view
  bool must_exist = false;             // view: a key with nothing stored answers "not_found"
};

struct StoreReply {
  enum class Kind { op, view } kind = Kind::op;
  std::uint64_t id = 0;
  bool moved = false;
  OpOutcome outcome;  // op
  StoreView view;     // view
};

std::string encode_store_request(const StoreRequest& request);
std::string encode_store_reply(const StoreReply& reply);
std::variant<StoreRequest, StoreReply, WireError> decode_store_message(std::string_view bytes);

}  // namespace cohort::cluster
