// scope.cpp — path resolution, value printing and truthiness (see scope.hpp).
#include "live/scope.hpp"

#include <boost/json/serialize.hpp>

#include <charconv>

namespace cohort::live {

const Json* Scope::lookup(const std::vector<std::string>& path) const {
  if (path.empty()) return stack_.empty() ? nullptr : stack_.back();
  const Json* found = nullptr;
  for (auto it = stack_.rbegin(); it != stack_.rend() && !found; ++it) {
    if ((*it)->is_object()) found = (*it)->as_object().if_contains(path.front());
  }
  if (!found) found = assigns_->if_contains(path.front());
  for (std::size_t i = 1; i < path.size() && found; ++i) {
    found = found->is_object() ? found->as_object().if_contains(path[i]) : nullptr;
  }
  return found;
}

std::string to_text(const Json* value) {
  if (!value) return {};
  switch (value->kind()) {
    case json::kind::null: return {};
    case json::kind::string: return std::string(value->get_string());
    case json::kind::int64: return std::to_string(value->get_int64());
    case json::kind::uint64: return std::to_string(value->get_uint64());
    case json::kind::bool_: return value->get_bool() ? "true" : "false";
    case json::kind::double_: {
      char buf[64];
      auto res = std::to_chars(buf, buf + sizeof buf, value->get_double());
      return std::string(buf, res.ptr);
    }
    default: return json::serialize(*value);
  }
}

bool truthy(const Json* value) {
  if (!value) return false;
  switch (value->kind()) {
    case json::kind::null: return false;
    case json::kind::bool_: return value->get_bool();
    case json::kind::string: return !value->get_string().empty();
    case json::kind::int64: return value->get_int64() != 0;
    case json::kind::uint64: return value->get_uint64() != 0;
    case json::kind::double_: return value->get_double() != 0.0;
    case json::kind::array: return !value->get_array().empty();
    case json::kind::object: return true;
  }
  return false;
}

}  // namespace cohort::live
