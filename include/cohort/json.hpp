// cohort/json.hpp — the JSON type of every public Cohort API: Boost.JSON, named once here.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace cohort {
namespace json = boost::json;
using Json = boost::json::value;
using JsonObject = boost::json::object;
}  // namespace cohort
