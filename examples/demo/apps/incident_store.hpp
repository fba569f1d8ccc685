// incident_store.hpp — the store behind shared form editing: one incident report ("incident:main")
// that several people edit at once, field by field.
//
// State: {"fields": {<name>: <text>}, "edited": {<name>: {"by": <display name>, "at_ms": <unix ms>}},
// "attachments": [{"name", "type", "size", "by", "at_ms"}]}. "attach" {name, type, size} adds the
// description of a file a viewer uploaded (at most kMaxIncidentAttachments; the bytes are not kept).
// Ops: "set" {field, value} validates the field (known name, length limit, one of the
// allowed choices for a select) and replaces /fields/<name> and /edited/<name>; "by" is the
// actor's signed name (its id when it has none), never an argument. Who: any identified actor
// (anonymous: "forbidden"). Joins over /socket: the one key "incident:main" only (before its
// first edit too); no other incident record exists or can be made by joining. Field leases
// are the store's built-in "lock"/"renew"/"unlock" on "/fields/<name>": a "set" from anyone
// but the lease holder is rejected by the store with reason "locked" and the holder's id.
// Durable like every store key (SQLite when the node has a data dir).
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>
#include <vector>

#include "cohort/store.hpp"

namespace cohort::apps {

constexpr std::string_view kIncidentId = "main";  // the one report: key "incident:main"
constexpr std::size_t kMaxIncidentAttachments = 20;

struct IncidentField {
  std::string_view name;
  std::string_view label;
  std::string_view kind;  // "text", "select" or "textarea"
  std::size_t max_length;
  std::vector<std::string_view> choices;  // for "select"
};

// The report's fields, in the order the page shows them.
const std::vector<IncidentField>& incident_fields();
const IncidentField* find_incident_field(std::string_view name);

// now_ms: the clock for "edited at" (Unix milliseconds); tests pass their own.
StoreKind incident_kind(std::function<std::int64_t()> now_ms = {});

}  // namespace cohort::apps
