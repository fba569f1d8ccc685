// tally_store.cpp — the tally's ops: see tally_store.hpp.
#include "tally_store.hpp"

#include "cohort/input.hpp"
#include "cohort/patch.hpp"

namespace @app@ {

namespace {

cohort::OpResult add(const cohort::OpRequest& r) {
  auto by = cohort::input::integer(r.args, "by");
  if (!by || *by < 1 || *by > 10)
    return cohort::OpResult::reject(cohort::Rejection::invalid, {{"detail", "Add from 1 to 10."}});
  std::int64_t count = r.state.at("count").to_number<std::int64_t>();
  std::string name = r.actor.name.empty() ? r.actor.id : r.actor.name;
  return cohort::OpResult::change({cohort::patch::replace("/count", count + *by),
                                   cohort::patch::replace("/last", cohort::JsonObject{{"by", name}, {"added", *by}})});
}

cohort::OpResult reset(const cohort::OpRequest&) {
  return cohort::OpResult::change({cohort::patch::replace("/count", 0), cohort::patch::replace("/last", nullptr)});
}

}  // namespace

cohort::StoreKind tally_kind() {
  cohort::StoreKind k;
  k.name = "tally";
  k.initial = cohort::JsonObject{{"count", 0}, {"last", nullptr}};
  k.ops["add"] = cohort::OpSpec{{}, add};
  k.ops["reset"] = cohort::OpSpec{{"admin"}, reset};
  k.can_join = [](const cohort::Actor&, std::string_view id) { return id == "main"; };
  return k;
}

}  // namespace @app@
