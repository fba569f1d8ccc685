// incident_store.cpp — the incident report's store kind. See incident_store.hpp.
#include "apps/incident_store.hpp"

#include <chrono>

#include "apps/refusal.hpp"
#include "cohort/input.hpp"
#include "cohort/patch.hpp"

namespace cohort::apps {

namespace {

std::int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

JsonObject initial_fields() {
  return JsonObject{{"title", "Checkout requests failing with 502"},
                    {"severity", "High"},
                    {"status", "Investigating"},
                    {"service", "payments-api"},
                    {"commander", ""},
                    {"summary", ""},
                    {"next_steps", ""}};
}

OpResult set_field(const OpRequest& r, const std::function<std::int64_t()>& now_ms) {
  std::string name = input::text(r.args, "field");
  const IncidentField* field = find_incident_field(name);
  if (!field) return OpResult::reject(Rejection::invalid, invalid("There is no field \"" + name + "\"."));
  const Json* raw = input::arg(r.args, "value");
  if (!raw || !raw->is_string()) return OpResult::reject(Rejection::invalid, invalid("The value must be text."));
  std::string value(raw->get_string());
  if (field->kind != "textarea") value = input::trimmed(value);
  auto length = input::utf8_length(value);  // characters, not bytes
  if (!length) return OpResult::reject(Rejection::invalid, invalid("The value must be text."));
  if (*length > field->max_length)
    return OpResult::reject(Rejection::invalid, {{"field", name},
                                        {"detail", std::string(field->label) + " is limited to " +
                                                       std::to_string(field->max_length) + " characters."}});
  if (!field->choices.empty()) {
    bool known = false;
    for (auto c : field->choices) known = known || c == value;
    if (!known) return OpResult::reject(Rejection::invalid, {{"field", name}, {"detail", "Choose one of the listed values."}});
  }
  // Who edited it, as others will read it: the signed name, never an argument.
  std::string by = r.actor.name.empty() ? r.actor.id : r.actor.name;
  const Json& current = r.state.at("fields").at(name);
  if (current.is_string() && current.get_string() == value) return OpResult::change({});
  return OpResult::change({patch::replace(patch::path("fields", name), value),
                           patch::add(patch::path("edited", name), JsonObject{{"by", by}, {"at_ms", now_ms()}})});
}

// "attach" {name, size, type}: an uploaded file's description, added to /attachments (the view
// consumed the file; the store keeps what every viewer is shown, never the bytes).
OpResult attach(const OpRequest& r, const std::function<std::int64_t()>& now_ms) {
  std::string name = input::text(r.args, "name");
  std::string type = input::text(r.args, "type");
  auto size = input::integer(r.args, "size");
  auto length = input::utf8_length(name);
  if (!length || *length == 0 || *length > 255 || input::has_control(name) || type.size() > 127 || !size || *size < 0)
    return OpResult::reject(Rejection::invalid, invalid("An attachment needs a name, a type and a size."));
  const Json* list = input::arg(r.state, "attachments");
  std::size_t count = list && list->is_array() ? list->get_array().size() : 0;
  if (count >= kMaxIncidentAttachments)
    return OpResult::reject(Rejection::invalid, invalid("The report holds at most " +
                                                        std::to_string(kMaxIncidentAttachments) + " attachments."));
  std::string by = r.actor.name.empty() ? r.actor.id : r.actor.name;
  JsonObject item{{"name", name}, {"type", type}, {"size", *size}, {"by", by}, {"at_ms", now_ms()}};
  if (!list || !list->is_array())  // a report saved before attachments existed
    return OpResult::change({patch::add("/attachments", json::array{std::move(item)})});
  return OpResult::change({patch::add("/attachments/-", std::move(item))});
}

}  // namespace

const std::vector<IncidentField>& incident_fields() {
  static const std::vector<IncidentField> kFields = {
      {"title", "Title", "text", 120, {}},
      {"severity", "Severity", "select", 20, {"Critical", "High", "Medium", "Low"}},
      {"status", "Status", "select", 20, {"Investigating", "Identified", "Monitoring", "Resolved"}},
      {"service", "Affected service", "text", 80, {}},
      {"commander", "Incident commander", "text", 80, {}},
      {"summary", "What happened", "textarea", 4000, {}},
      {"next_steps", "Next steps", "textarea", 4000, {}},
  };
  return kFields;
}

const IncidentField* find_incident_field(std::string_view name) {
  for (const auto& f : incident_fields())
    if (f.name == name) return &f;
  return nullptr;
}

StoreKind incident_kind(std::function<std::int64_t()> now_ms) {
  if (!now_ms) now_ms = system_ms;
  StoreKind k;
  k.name = "incident";
  k.initial = JsonObject{{"fields", initial_fields()}, {"edited", JsonObject{}}, {"attachments", json::array{}}};
  // Any identified actor (a visitor of /incident, or a /socket client with a signed token) edits;
  // leases ("lock", any identified actor) keep one field to one editor at a time.
  k.ops["set"] = OpSpec{{}, [now_ms](const OpRequest& r) { return set_field(r, now_ms); }};
  k.ops["attach"] = OpSpec{{}, [now_ms](const OpRequest& r) { return attach(r, now_ms); }};
  k.can_join = [](const Actor&, std::string_view id) { return id == kIncidentId; };
  k.can_create = [](const Actor&, std::string_view id) { return id == kIncidentId; };  // the one report
  return k;
}

}  // namespace cohort::apps
