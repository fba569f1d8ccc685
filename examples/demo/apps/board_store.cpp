// board_store.cpp — the whiteboard's store kind. See board_store.hpp.
#include "apps/board_store.hpp"

#include <optional>

#include "apps/refusal.hpp"
#include "cohort/input.hpp"
#include "cohort/patch.hpp"

namespace cohort::apps {

namespace {

constexpr std::size_t kMaxStrokes = 2000;
constexpr std::size_t kMaxParts = 400;
constexpr std::size_t kMaxBatch = 256;  // points per begin/extend
constexpr std::size_t kMaxIdLength = 40;

// "x,y x,y" from [x, y, x, y, ...] clamped to the canvas, or nullopt when malformed.
std::optional<std::string> points_text(const Json& args) {
  const Json* pts = input::arg(args, "points");
  if (!pts || !pts->is_array()) return std::nullopt;
  const auto& a = pts->get_array();
  if (a.empty() || a.size() % 2 != 0 || a.size() / 2 > kMaxBatch) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < a.size(); i += 2) {
    if (!a[i].is_number() || !a[i + 1].is_number()) return std::nullopt;
    int x = std::clamp(static_cast<int>(a[i].to_number<double>()), 0, kBoardWidth);
    int y = std::clamp(static_cast<int>(a[i + 1].to_number<double>()), 0, kBoardHeight);
    if (!out.empty()) out += ' ';
    out += std::to_string(x) + "," + std::to_string(y);
  }
  return out;
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  for (char c : id)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  return true;
}

// Index of the stroke with this id, searching from the newest (where live strokes are).
std::optional<std::size_t> find_stroke(const json::array& strokes, std::string_view id) {
  for (std::size_t i = strokes.size(); i-- > 0;)
    if (strokes[i].at("id").get_string() == id) return i;
  return std::nullopt;
}

OpResult begin(const OpRequest& r) {
  std::string id = input::text(r.args, "id");
  std::string color = input::text(r.args, "color");
  auto points = points_text(r.args);
  if (!valid_id(id) || !input::is_hex_color(color) || !points)
    return OpResult::reject(Rejection::invalid, invalid("A stroke needs an id, a colour and points."));
  const auto& strokes = r.state.at("strokes").as_array();
  if (strokes.size() >= kMaxStrokes) return OpResult::reject(Rejection::invalid, invalid("The board is full: clear it first."));
  if (find_stroke(strokes, id)) return OpResult::reject(Rejection::invalid, invalid("That stroke already exists."));
  JsonObject stroke{{"id", id}, {"by", r.actor.id}, {"color", color}, {"parts", json::array{*points}}};
  return OpResult::change({patch::add("/strokes/-", std::move(stroke))});
}

OpResult extend(const OpRequest& r) {
  auto points = points_text(r.args);
  if (!points) return OpResult::reject(Rejection::invalid, invalid("Points come in x, y pairs."));
  const auto& strokes = r.state.at("strokes").as_array();
  auto at = find_stroke(strokes, input::text(r.args, "id"));
  // Cleared or undone while being drawn: nothing to extend (the drawer's next stroke starts anew).
  if (!at) return OpResult::reject(Rejection::invalid, invalid("That stroke is gone."));
  const Json& stroke = strokes[*at];
  if (stroke.at("by").get_string() != r.actor.id) return OpResult::reject(Rejection::forbidden, invalid("Not your stroke."));
  if (stroke.at("parts").as_array().size() >= kMaxParts)
    return OpResult::reject(Rejection::invalid, invalid("That stroke is long enough."));
  return OpResult::change({patch::add(patch::path("strokes", *at, "parts", "-"), *points)});
}

OpResult undo(const OpRequest& r) {
  const auto& strokes = r.state.at("strokes").as_array();
  for (std::size_t i = strokes.size(); i-- > 0;)
    if (strokes[i].at("by").get_string() == r.actor.id) return OpResult::change({patch::remove(patch::path("strokes", i))});
  return OpResult::reject(Rejection::invalid, invalid("You have no stroke to undo."));
}

}  // namespace

std::string board_points(const Json& stroke) {
  std::string out;
  for (const auto& part : stroke.at("parts").as_array()) {
    if (!part.is_string()) continue;
    if (!out.empty()) out += ' ';
    out += part.get_string();
  }
  return out;
}

StoreKind board_kind() {
  StoreKind k;
  k.name = "board";
  k.initial = JsonObject{{"strokes", json::array{}}};
  k.coalesce = std::chrono::milliseconds(50);
  k.history = 200;
  // Drawing: any identified actor (anonymous: "forbidden"); a stroke is its drawer's ("by" is
  // the actor's id), so only they extend or undo it. Clearing: moderators.
  k.ops["begin"] = OpSpec{{}, begin};
  k.ops["extend"] = OpSpec{{}, extend};
  k.ops["undo"] = OpSpec{{}, undo};
  k.ops["clear"] = OpSpec{{"moderator"}, [](const OpRequest& r) {
    if (r.state.at("strokes").as_array().empty()) return OpResult::change({});
    return OpResult::change({patch::replace("/strokes", json::array{})});
  }};
  k.can_join = [](const Actor&, std::string_view id) { return id == "main"; };
  k.can_create = [](const Actor&, std::string_view id) { return id == "main"; };  // the one board, there from the start
  return k;
}

}  // namespace cohort::apps
