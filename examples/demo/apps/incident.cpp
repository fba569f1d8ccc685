// incident.cpp — the shared incident report page. See incident.hpp.
#include "apps/incident.hpp"

#include <cstdio>
#include <set>

#include "apps/incident_store.hpp"
#include "apps/refusal.hpp"
#include "apps/view_support.hpp"
#include "cohort/input.hpp"
#include "cohort/node.hpp"
#include "cohort/patch.hpp"

namespace cohort::apps {

namespace {

constexpr std::string_view kKey = "incident:main";  // kIncidentId (incident_store.hpp)
constexpr std::string_view kHere = "presence:incident";

// The path of a form field's value in the state, which is also the path its lease locks.
std::string field_path(std::string_view field) { return patch::path("fields", field); }

// The field whose value is at path (the names of the form's fields need no escaping).
std::string field_of_path(std::string_view path) {
  constexpr std::string_view prefix = "/fields/";
  return path.starts_with(prefix) ? std::string(path.substr(prefix.size())) : std::string();
}

// "12 KB", "3.4 MB".
std::string size_text(std::int64_t bytes) {
  char buf[32];
  if (bytes < 1000) std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  else if (bytes < 1'000'000) std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(bytes) / 1e3);
  else std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

// The report's attachments as the template lists them.
json::array attachment_rows(const Json& state) {
  json::array out;
  const Json* list = state.is_object() ? input::arg(state, "attachments") : nullptr;
  if (!list || !list->is_array()) return out;
  std::size_t i = 0;
  for (const auto& a : list->get_array()) {
    auto size = input::integer(a, "size").value_or(0);
    out.push_back(JsonObject{{"id", "a" + std::to_string(i++)},
                             {"name", input::text(a, "name")},
                             {"size_text", size_text(size)},
                             {"by", input::text(a, "by")}});
  }
  return out;
}

class IncidentView final : public live::View {
 public:
  explicit IncidentView(std::int64_t lease_ms) : lease_ms_(lease_ms) {}

  void mount(const live::Params&, const live::Session&, live::Socket& s) override {
    me_ = user_field(s, "id");
    assign_me(s);
    s.assign("message", "");
    join_here(s, std::string(kHere));
    s.follow_store(std::string(kKey), "incident");
    allow_attachments(s);
    derive(s);
  }

  void handle_event(std::string_view event, const Json& value, live::Socket& s) override {
    std::string field = input::text(value, "field");
    if (event == "focus") return take(field, s);
    if (event == "blur") return release(field, s);
    if (event == "edit") return edit(value, s);
    if (event == "save") return s.assign("message", "");  // every change is committed as it is made
    if (event == "attach") return attach(s);
    if (event == "cancel-upload") return s.cancel_upload("attachment", input::text(value, "ref"));
    // "attach-validate": the attachment form's change; the files it declared are already judged.
  }

  void handle_info(const live::Info& info, live::Socket& s) override {
    if (info.kind == live::Info::Kind::store && info.event == "unlock") {
      // Exclusive leases: once a path is released, nobody (this tab included) holds it.
      held_.erase(field_of_path(input::text(info.payload, "path")));
    }
    derive(s);
  }

 private:
  // Up to kMaxFiles files per submit, each at most kMaxFileBytes, images, PDFs and text. They
  // upload when the form is submitted; attach() then hands each to the store.
  static constexpr int kMaxFiles = 3;
  static constexpr std::int64_t kMaxFileBytes = 10'000'000;

  static void allow_attachments(live::Socket& s) {
    live::UploadOptions o;
    o.accept = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".pdf", ".txt", ".log", "image/*"};
    o.max_entries = kMaxFiles;
    o.max_file_size = kMaxFileBytes;
    s.allow_upload("attachment", std::move(o));
  }

  // Submit: every uploaded file becomes an attachment of the report (its name, type and size in
  // the store, for everyone); the file itself is not kept by the demo.
  void attach(live::Socket& s) {
    auto described = s.consume_uploaded_entries("attachment", [](const std::string&, const live::UploadEntry& e) {
      return Json(JsonObject{{"name", e.client_name}, {"type", e.client_type}, {"size", e.client_size}});
    });
    for (auto& item : described)
      s.op(std::string(kKey), "attach", std::move(item), [&s](const OpOutcome& o) {
        if (!o.ok) s.assign("message", "Attachment: " + error_text(o.error));
      });
  }

  // Focus: ask for the field's lease. If the field was left before the store answered, the
  // lease goes back at once instead of idling out.
  void take(const std::string& field, live::Socket& s) {
    if (!find_incident_field(field)) return;
    focused_ = field;
    if (held_.contains(field)) return;
    lock(field, s, [this, field, &s](bool ok) {
      if (ok && focused_ != field) release(field, s);
    });
  }

  void lock(const std::string& field, live::Socket& s, std::function<void(bool)> then) {
    s.op(std::string(kKey), "lock", JsonObject{{"path", field_path(field)}, {"ttl_ms", lease_ms_}},
         [this, field, &s, then](const OpOutcome& o) {
           if (o.ok) held_.insert(field);
           else refused(field, o, s);
           then(o.ok);
           derive(s);
         });
  }

  void release(const std::string& field, live::Socket& s) {
    if (focused_ == field) focused_.clear();
    if (!held_.erase(field)) return;
    s.op(std::string(kKey), "unlock", JsonObject{{"path", field_path(field)}});
    derive(s);
  }

  // phx-change: the field the user changed (its _target) is leased (or its lease renewed),
  // then its value committed. Only that field: the others may be someone else's.
  void edit(const Json& value, live::Socket& s) {
    const Json* target = input::arg(value, "_target");
    if (!target || !target->is_array() || target->get_array().size() != 2) return;
    const Json& name = target->get_array()[1];
    if (!name.is_string() || !find_incident_field(name.get_string())) return;
    std::string field(name.get_string());
    focused_ = field;  // typing means the cursor is there, whether or not a focus event came first
    const Json* form = input::arg(value, "incident");
    std::string text = form ? input::text(*form, field) : std::string();
    lock(field, s, [this, field, text, &s](bool ok) {
      if (!ok) return;
      s.op(std::string(kKey), "set", JsonObject{{"field", field}, {"value", text}},
           [field, &s, this](const OpOutcome& o) {
             if (!o.ok) refused(field, o, s);
             else s.assign("message", "");
           });
      // A change that arrives as the field is left (a debounced one, flushed on blur): the
      // lease it renewed goes back right after the value (ops on a key run in order).
      if (focused_ != field) release(field, s);
    });
  }

  void refused(const std::string& field, const OpOutcome& outcome, live::Socket& s) {
    const JsonObject& error = outcome.error;
    const IncidentField* f = find_incident_field(field);
    std::string label = f ? std::string(f->label) : field;
    if (outcome.rejection() == Rejection::locked) {
      std::string holder = input::text(error, "holder");
      std::string who = holder == me_ ? "You (in another tab)" : presence_meta(s.get("present"), holder, "name", "Someone");
      s.assign("message", who + " is editing " + label + " right now. It is yours to edit once they leave the field.");
      return;
    }
    s.assign("message", label + ": " + error_text(error));
  }

  // The display model of every field from the store's state, its leases and who is here.
  void derive(live::Socket& s) {
    const Json& state = s.get("incident");
    const Json& locks = s.get("incident_locks");
    const Json& present = s.get("present");
    const Json* fields = state.is_object() ? input::arg(state, "fields") : nullptr;
    const Json* edited = state.is_object() ? input::arg(state, "edited") : nullptr;
    json::array out;
    for (const auto& f : incident_fields()) {
      std::string name(f.name);
      std::string value = fields ? input::text(*fields, name) : std::string();
      const Json* lock = locks.is_object() ? input::arg(locks, field_path(name)) : nullptr;
      std::string holder = lock ? input::text(*lock, "holder") : std::string();
      bool mine = held_.contains(name);
      bool other = lock && !mine;
      JsonObject row{{"id", name},       {"label", f.label},         {"value", value},
                     {"is_text", f.kind == "text"}, {"is_select", f.kind == "select"},
                     {"is_textarea", f.kind == "textarea"}, {"mine", mine}, {"locked", other}};
      if (other) {
        row["holder_name"] = holder == me_ ? "You (another tab)" : presence_meta(present, holder, "name", "Someone");
        row["holder_color"] = presence_meta(present, holder, "color", "#5b6475");
      }
      const Json* e = edited ? input::arg(*edited, name) : nullptr;
      row["edited"] = e ? "Last edited by " + input::text(*e, "by") : std::string("Not edited yet");
      json::array choices;
      for (auto c : f.choices) choices.push_back(JsonObject{{"id", c}, {"text", c}, {"selected", c == value}});
      row["choices"] = std::move(choices);
      out.push_back(std::move(row));
    }
    s.assign("fields", std::move(out));
    s.assign("attachments", attachment_rows(state));
    assign_here(s);
    auto editing = locks.is_object() ? static_cast<std::int64_t>(locks.get_object().size()) : 0;
    s.assign("editing_count", count_of(editing, "field being edited", "fields being edited"));
  }

  std::int64_t lease_ms_;  // how long a field stays this tab's without typing (the demo option incident_lease_ms)
  std::string me_;
  std::set<std::string> held_;  // fields this tab holds the lease of
  std::string focused_;         // the field this tab's cursor is in, as focus/blur events tell
};

}  // namespace

void install_incident(Node& node, live::Live& live, std::int64_t lease_ms) {
  node.stores().define(incident_kind());
  live.view("/incident", "incident", [lease_ms] { return incident_view(lease_ms); }, "Incident report");
}

std::unique_ptr<live::View> incident_view(std::int64_t lease_ms) { return std::make_unique<IncidentView>(lease_ms); }

}  // namespace cohort::apps
