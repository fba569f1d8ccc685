// refusal.hpp — how the demo apps word a refused op: the detail their stores give with an
// "invalid" or "forbidden" rejection, and the sentence their pages show for any rejection.
// Pure inline functions, any thread, no state. Reading arguments and writing patches are
// Cohort's own (cohort/input.hpp, cohort/patch.hpp); this is only the demo's voice.
#pragma once

#include <string>

#include "cohort/json.hpp"

namespace cohort::apps {

// A rejection's detail for people: {"detail": text} (OpResult::reject adds the reason).
inline JsonObject invalid(std::string detail) { return JsonObject{{"detail", std::move(detail)}}; }

// The "detail" of an op error, or a sentence for its reason, for showing to a person.
inline std::string error_text(const JsonObject& error) {
  if (const Json* d = error.if_contains("detail"); d && d->is_string()) return std::string(d->get_string());
  const Json* r = error.if_contains("reason");
  std::string reason = r && r->is_string() ? std::string(r->get_string()) : "error";
  if (reason == "forbidden") return "You are not allowed to do that.";
  if (reason == "locked") return "Someone else is editing that.";
  if (reason == "storage_error") return "The change could not be saved. Try again.";
  if (reason == "too_large") return "That is too large.";
  return "Refused (" + reason + ").";
}

}  // namespace cohort::apps
