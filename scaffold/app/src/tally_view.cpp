// tally_view.cpp — the tally page: see tally_view.hpp.
#include "tally_view.hpp"

#include "cohort/input.hpp"

namespace @app@ {

namespace {

using cohort::Json;
using cohort::JsonObject;

class TallyView final : public cohort::live::View {
 public:
  void mount(const cohort::live::Params&, const cohort::live::Session&, cohort::live::Socket& s) override {
    s.assign("error", "");
    s.follow_store("tally:main", "tally");      // assigns "tally": the store's state, kept current
    s.follow_presence("tally:here", "here");    // assigns "here": [{id, metas, count}]
    if (s.connected()) s.track("tally:here", s.actor().id, JsonObject{{"name", s.actor().name}});
  }

  void handle_event(std::string_view event, const Json& value, cohort::live::Socket& s) override {
    if (event != "add") return;
    auto by = cohort::input::integer(value, "by");  // phx-value-by="5" arrives as the text "5"
    s.op("tally:main", "add", JsonObject{{"by", by.value_or(0)}}, [&s](const cohort::OpOutcome& out) {
      s.assign("error", out.ok ? std::string() : cohort::input::text(out.error, "detail"));
    });
  }
};

}  // namespace

std::unique_ptr<cohort::live::View> tally_view() { return std::make_unique<TallyView>(); }

}  // namespace @app@
