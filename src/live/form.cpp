// form.cpp — URL-encoded forms to JSON: see form.hpp.
#include "live/form.hpp"

#include "net/query.hpp"

namespace cohort::live {

json::array field_path(std::string_view name, std::size_t max_segments) {
  json::array path;
  auto open = name.find('[');
  path.emplace_back(name.substr(0, open));
  while (open != std::string_view::npos && path.size() < max_segments) {
    auto close = name.find(']', open);
    if (close == std::string_view::npos) break;
    path.emplace_back(name.substr(open + 1, close - open - 1));
    open = name.find('[', close);
  }
  return path;
}

namespace {

// A field name as errors quote it: the first 64 bytes (cut at a UTF-8 boundary), then "...".
std::string shown(std::string_view name) {
  constexpr std::size_t kShown = 64;
  if (name.size() <= kShown) return std::string(name);
  std::size_t n = kShown;
  while (n > 0 && (static_cast<unsigned char>(name[n]) & 0xC0) == 0x80) --n;
  return std::string(name.substr(0, n)) + "...";
}

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

DecodedForm decode_form(std::string_view urlencoded, std::uint32_t max_depth) {
  DecodedForm out;
  auto parsed = net::parse_query(urlencoded);
  if (parsed.error) {
    out.error = "form value is not URL-encoded: " + *parsed.error;
    return out;
  }
  for (auto& param : parsed.params) {
    if (param.key.empty()) continue;
    // One segment past the limit is enough to know the name is too deep.
    auto path = field_path(param.key, std::size_t{max_depth} + 2);
    if (path.size() > std::size_t{max_depth} + 1) {
      net::parser_refusals().form_too_deep.fetch_add(1, std::memory_order_relaxed);
      out.error = "field '" + shown(param.key) + "' nests deeper than form_max_depth (" + std::to_string(max_depth) +
                  " brackets)";
      return out;
    }
    if (auto err = put(out.fields, path, std::move(param.value))) {
      out.error = "field '" + shown(param.key) + "': " + *err;
      return out;
    }
  }
  return out;
}

}  // namespace cohort::live
