// @name@_view.cpp — the @name@ page: see @name@_view.hpp.
#include "@name@_view.hpp"

namespace @app@ {

namespace {

class View final : public cohort::live::View {
 public:
  void mount(const cohort::live::Params&, const cohort::live::Session&, cohort::live::Socket& s) override {
    s.assign("clicks", cohort::Json(0));
  }

  void handle_event(std::string_view event, const cohort::Json&, cohort::live::Socket& s) override {
    if (event == "click") s.assign("clicks", cohort::Json(s.get("clicks").to_number<std::int64_t>() + 1));
  }
};

}  // namespace

std::unique_ptr<cohort::live::View> @name@_view() { return std::make_unique<View>(); }

}  // namespace @app@
