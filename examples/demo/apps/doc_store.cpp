// doc_store.cpp — the example "doc" store kind: see doc_store.hpp.
#include "apps/doc_store.hpp"

#include "cohort/input.hpp"
#include "cohort/node.hpp"
#include "cohort/patch.hpp"

namespace cohort::apps {

namespace {

// The "doc" ops under a kind name, with an optional coalescing interval.
StoreKind doc_kind(std::string name, std::chrono::milliseconds coalesce) {
  const std::vector<std::string> editors{"editor", "owner"};
  StoreKind doc;
  doc.name = std::move(name);
  doc.coalesce = coalesce;
  doc.initial = JsonObject{{"counters", JsonObject{}}, {"items", json::array{}}, {"fields", JsonObject{}}};
  // Anyone follows a doc that exists; only an editor brings a new one into being by joining it.
  doc.can_create = [](const Actor& a, std::string_view) { return a.has_role("editor"); };
  doc.ops["claim"] = OpSpec{{}, [](const OpRequest& r) {
    if (r.state.as_object().contains("_owner")) return OpResult::reject(Rejection::invalid, {{"detail", "already owned"}});
    return OpResult::change({patch::add("/_owner", r.actor.id)});
  }};
  doc.ops["incr"] = OpSpec{editors, [](const OpRequest& r) {
    const Json* counter = input::arg(r.args, "counter");
    if (!counter || !counter->is_string() || counter->get_string().empty())
      return OpResult::reject(Rejection::invalid, {{"field", "counter"}});
    const Json* by = input::arg(r.args, "by");
    if (by && !by->is_int64()) return OpResult::reject(Rejection::invalid, {{"field", "by"}});
    std::int64_t n = by ? by->get_int64() : 1;
    // /counters may have been removed or replaced by a `set`: then the add below fails cleanly.
    const Json* counters = r.state.as_object().if_contains("counters");
    const Json* current = counters && counters->is_object() ? counters->get_object().if_contains(counter->get_string()) : nullptr;
    std::int64_t value = (current && current->is_int64() ? current->get_int64() : 0) + n;
    return OpResult::change({patch::add(patch::path("counters", counter->get_string()), value)});
  }};
  doc.ops["append"] = OpSpec{editors, [](const OpRequest& r) {
    const Json* item = input::arg(r.args, "item");
    if (!item) return OpResult::reject(Rejection::invalid, {{"field", "item"}});
    return OpResult::change({patch::add("/items/-", *item)});
  }};
  doc.ops["set_field"] = OpSpec{editors, [](const OpRequest& r) {
    const Json* field = input::arg(r.args, "field");
    const Json* value = input::arg(r.args, "value");
    if (!field || !field->is_string() || field->get_string().empty()) return OpResult::reject(Rejection::invalid, {{"field", "field"}});
    if (!value) return OpResult::reject(Rejection::invalid, {{"field", "value"}});
    return OpResult::change({patch::add(patch::path("fields", field->get_string()), *value)});
  }, WhenLocked::queue};
  doc.ops["set"] = OpSpec{editors, [](const OpRequest& r) {
    const Json* path = input::arg(r.args, "path");
    const Json* value = input::arg(r.args, "value");
    if (!path || !path->is_string() || !path->get_string().starts_with("/")) return OpResult::reject(Rejection::invalid, {{"field", "path"}});
    if (!value) return OpResult::reject(Rejection::invalid, {{"field", "value"}});
    return OpResult::change({patch::add(std::string(path->get_string()), *value)});
  }};
  doc.ops["remove"] = OpSpec{editors, [](const OpRequest& r) {
    const Json* path = input::arg(r.args, "path");
    if (!path || !path->is_string() || !path->get_string().starts_with("/")) return OpResult::reject(Rejection::invalid, {{"field", "path"}});
    return OpResult::change({patch::remove(std::string(path->get_string()))});
  }};
  return doc;
}

}  // namespace

void install_doc_store(Node& node) {
  node.stores().define(doc_kind("doc", std::chrono::milliseconds(0)));
  // The same document, broadcast at most once per 50 ms: for high-rate sources.
  node.stores().define(doc_kind("livedoc", std::chrono::milliseconds(50)));
}

}  // namespace cohort::apps
