// @name@_view.hpp — the @name@ page (written by `cohort gen live @name@`): say what a person
// sees and does here, and which stores and topics it follows.
#pragma once

#include <memory>

#include "cohort/live.hpp"

namespace @app@ {

std::unique_ptr<cohort::live::View> @name@_view();

}  // namespace @app@
