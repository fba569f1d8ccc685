// form.cpp — URL-encoded forms to JSON: see form.hpp.
#include "live/form.hpp"

#include "net/query.hpp"

namespace cohort::live {

json::array field_path(std::string_view name) {
  json::array path;
  auto open = name.find('[');
  path.emplace_back(name.substr(0, open));
  while (open != std::string_view::npos) {
    auto close = name.find(']', open);
    if (close == std::string_view::npos) break;
    path.emplace_back(name.substr(open + 1, close - open - 1));
    open = name.find('[', close);
  }
  return path;
}

namespace {

// Stores value at path under fields; "" segments append to an array.
std::optional<std::string> put(JsonObject& fields, const json::array& path, std::string value) {
  Json* node = nullptr;
  JsonObject* object = &fields;
  for (std::size_t i = 0; i < path.size(); ++i) {
    std::string_view segment = path[i].get_string();
    bool last = i + 1 == path.size();
    if (segment.empty()) {
      if (!node || !node->is_array()) return "field mixes [] with named keys";
      if (!last) return "a [] segment must be the last";
      node->get_array().emplace_back(std::move(value));
      return std::nullopt;
    }
    if (!object) return "field nests a name under a plain value";
    Json& slot = (*object)[segment];
    bool next_is_list = !last && path[i + 1].get_string().empty();
    if (last) {
      slot = std::move(value);
      return std::nullopt;
    }
    if (next_is_list && !slot.is_array()) {
      if (!slot.is_null()) return "field mixes [] with a plain value";
      slot = json::array{};
    }
    if (!next_is_list && !slot.is_object()) {
      if (!slot.is_null()) return "field nests a name under a plain value";
      slot = JsonObject{};
    }
    node = &slot;
    object = slot.is_object() ? &slot.get_object() : nullptr;
  }
  return std::nullopt;
}

}  // namespace

DecodedForm decode_form(std::string_view urlencoded) {
  DecodedForm out;
  auto parsed = net::parse_query(urlencoded);
  if (parsed.error) {
    out.error = "form value is not URL-encoded: " + *parsed.error;
    return out;
  }
  for (auto& param : parsed.params) {
    if (param.key.empty()) continue;
    auto path = field_path(param.key);
    if (auto err = put(out.fields, path, std::move(param.value))) {
      out.error = "field '" + param.key + "': " + *err;
      return out;
    }
  }
  return out;
}

}  // namespace cohort::live
