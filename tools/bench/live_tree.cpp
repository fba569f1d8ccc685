// live_tree.cpp — a bench view's tree and the value it shows: see live_tree.hpp.
#include "live_tree.hpp"

#include <boost/json/parse.hpp>
#include <exception>

namespace cohort::bench {

namespace {

// Parses text into an object; an error names what was expected.
std::optional<std::string> parse_object(std::string_view text, JsonObject& out, std::string_view what) {
  boost::system::error_code ec;
  Json v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return std::string(what) + " is not a JSON object: " + std::string(text.substr(0, 200));
  out = std::move(v.get_object());
  return std::nullopt;
}

// The "response" member of an ok reply, or an error.
std::optional<std::string> ok_response(std::string_view reply_payload, JsonObject& response) {
  JsonObject reply;
  if (auto err = parse_object(reply_payload, reply, "the reply")) return err;
  const Json* status = reply.if_contains("status");
  if (!status || !status->is_string() || status->get_string() != "ok")
    return "the reply is not ok: " + std::string(reply_payload.substr(0, 200));
  Json* r = reply.if_contains("response");
  if (r && r->is_object()) response = std::move(r->get_object());
  return std::nullopt;
}

}  // namespace

std::optional<std::string> LiveTree::mount_reply(std::string_view reply_payload) {
  JsonObject response;
  if (auto err = ok_response(reply_payload, response)) return err;
  Json* rendered = response.if_contains("rendered");
  if (!rendered || !rendered->is_object()) return std::string("the join reply has no rendered tree");
  try {
    tree_.mount(std::move(rendered->get_object()));
  } catch (const std::exception& e) {
    return std::string("the join's rendered tree cannot be read: ") + e.what();
  }
  return std::nullopt;
}

std::optional<std::string> LiveTree::merge_diff(std::string_view diff) {
  JsonObject d;
  if (auto err = parse_object(diff, d, "a diff")) return err;
  try {
    tree_.merge(std::move(d));
  } catch (const std::exception& e) {
    return "a diff does not apply to the tree held (" + std::string(e.what()) + "): " + std::string(diff.substr(0, 200));
  }
  return std::nullopt;
}

std::optional<std::string> LiveTree::merge_reply(std::string_view reply_payload, bool& had_diff) {
  JsonObject response;
  had_diff = false;
  if (auto err = ok_response(reply_payload, response)) return err;
  Json* diff = response.if_contains("diff");
  if (!diff || !diff->is_object()) return std::nullopt;
  had_diff = true;
  try {
    tree_.merge(std::move(diff->get_object()));
  } catch (const std::exception& e) {
    return "an event reply's diff does not apply to the tree held (" + std::string(e.what()) + ")";
  }
  return std::nullopt;
}

std::optional<std::string> value_after(const JsonObject& node, std::string_view marker) {
  const Json* s = node.if_contains("s");
  if (!s || !s->is_array()) return std::nullopt;
  const auto& statics = s->get_array();
  for (std::size_t i = 0; i + 1 < statics.size(); ++i) {
    const Json* slot = node.if_contains(std::to_string(i));
    if (!slot) continue;
    if (statics[i].is_string() && std::string_view(statics[i].get_string()).ends_with(marker))
      return slot->is_string() ? std::optional<std::string>(std::string(slot->get_string())) : std::nullopt;
    if (slot->is_object() && !slot->get_object().contains("k"))
      if (auto v = value_after(slot->get_object(), marker)) return v;
  }
  return std::nullopt;
}

std::optional<std::string> value_after(const testing::ClientTree& tree, std::string_view marker) {
  if (auto v = value_after(tree.tree(), marker)) return v;
  for (const auto& [cid, component] : tree.components())
    if (component.is_object())
      if (auto v = value_after(component.get_object(), marker)) return v;
  return std::nullopt;
}

}  // namespace cohort::bench
