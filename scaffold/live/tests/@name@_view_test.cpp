// @name@_view_test.cpp — the @name@ page without a browser (cohort/testing.hpp).
#include <gtest/gtest.h>

#include "cohort/testing.hpp"
#include "@name@_view.hpp"

namespace {

TEST(@name@View, ClicksAreCounted) {
  cohort::testing::LiveHarness live({.templates_dir = APP_TEMPLATES});
  // live.stores().define(...): the store kinds the view follows or runs ops on.
  live.view("/@name@", "@name@", [] { return @app@::@name@_view(); });
  auto page = live.mount("/@name@");
  page.click("#click");
  EXPECT_EQ(page.text("#clicks"), "1");
}

}  // namespace
