// board_store.cpp — the kanban board's store kind. See board_store.hpp.
#include "board_store.hpp"

#include <optional>
#include <stdexcept>
#include <string>

#include "cohort/input.hpp"
#include "cohort/patch.hpp"

namespace kanban {

namespace {

namespace input = cohort::input;
namespace json = cohort::json;
namespace patch = cohort::patch;
using cohort::Json;
using cohort::JsonObject;
using cohort::OpRequest;
using cohort::OpResult;
using cohort::Rejection;

OpResult invalid(std::string detail) { return OpResult::reject(Rejection::invalid, JsonObject{{"detail", std::move(detail)}}); }

// "c" and 1–9 digits: a card id as the store makes them (so it is also a safe JSON Pointer token).
bool card_id_shape(std::string_view id) {
  return id.size() >= 2 && id.size() <= 10 && id[0] == 'c' && input::whole_number(id.substr(1)).has_value();
}

// args[name], a string, or the refusal that says which argument is wrong.
std::optional<std::string> string_field(const Json& args, std::string_view name, OpResult& refusal) {
  const Json* v = input::arg(args, name);
  if (v && v->is_string()) return std::string(v->get_string());
  refusal = invalid("The " + std::string(name) + " must be text.");
  return std::nullopt;
}

// A card's title (trimmed) and text as the args give them: the title always, the text when
// given (or when required); or the refusal.
struct CardText {
  std::string title, text;
};
std::optional<CardText> card_text_args(const Json& args, bool text_required, OpResult& refusal) {
  auto title = string_field(args, "title", refusal);
  if (!title) return std::nullopt;
  CardText out{input::trimmed(*title), ""};
  if (input::arg(args, "text") || text_required) {
    auto text = string_field(args, "text", refusal);
    if (!text) return std::nullopt;
    out.text = std::move(*text);
  }
  return out;
}

// What is wrong with a card's title and text, for people; nullopt when nothing is.
std::optional<std::string> card_text_problem(const CardText& card) {
  auto title_length = input::utf8_length(card.title);
  auto text_length = input::utf8_length(card.text);
  if (!title_length || !text_length) return "Titles and texts must be valid UTF-8.";
  if (*title_length == 0) return "A card needs a title.";
  if (*title_length > kMaxTitle) return "A title is at most " + std::to_string(kMaxTitle) + " characters.";
  if (*text_length > kMaxText) return "A text is at most " + std::to_string(kMaxText) + " characters.";
  if (input::has_control(card.title)) return "A title is one line of text.";
  if (input::has_control(card.text, "\n\r\t")) return "The text holds a control character.";
  return std::nullopt;
}

// The checked title and text of args; or the refusal.
std::optional<CardText> card_text(const Json& args, bool text_required, OpResult& refusal) {
  auto card = card_text_args(args, text_required, refusal);
  if (!card) return std::nullopt;
  if (auto problem = card_text_problem(*card)) {
    refusal = invalid(std::move(*problem));
    return std::nullopt;
  }
  return card;
}

const json::array& column_cards(const Json& state, std::string_view column) {
  return state.at("columns").at(column).as_array();
}

// The card args["card"] names, present on the board; or the refusal.
const JsonObject* named_card(const OpRequest& r, OpResult& refusal) {
  auto id = string_field(r.args, "card", refusal);
  if (!id) return nullptr;
  const Json* card = card_id_shape(*id) ? r.state.at("cards").as_object().if_contains(*id) : nullptr;
  if (!card) refusal = invalid("There is no card \"" + id->substr(0, 20) + "\" on this board.");
  return card ? &card->as_object() : nullptr;
}

// The column args["column"] names; or the refusal.
const Column* named_column(const Json& args, OpResult& refusal) {
  auto id = string_field(args, "column", refusal);
  if (!id) return nullptr;
  const Column* column = find_column(*id);
  if (!column) refusal = invalid("There is no column \"" + id->substr(0, 20) + "\".");
  return column;
}

// Refuses a card coming into the limited column when it is full.
std::optional<OpResult> past_wip_limit(const Json& state, const Column& to, std::uint64_t limit) {
  if (to.id != kLimitedColumn || column_cards(state, to.id).size() < limit) return std::nullopt;
  std::string n = std::to_string(limit);
  return OpResult::reject(Rejection::invalid, JsonObject{{"rule", "wip_limit"},
                                                         {"column", to.id},
                                                         {"limit", limit},
                                                  {"detail", std::string(to.title) + " already holds " + n +
                                                                 (limit == 1 ? " card" : " cards") +
                                                                 ", its work-in-progress limit. Finish one first."}});
}

std::size_t index_in_column(const Json& state, const JsonObject& card) {
  const auto& cards = column_cards(state, card.at("column").as_string());
  for (std::size_t i = 0; i < cards.size(); ++i)
    if (cards[i] == card.at("id")) return i;
  throw std::logic_error("card " + std::string(card.at("id").as_string()) + " is missing from its column");
}

// The signed name of who acts, as others will see it (its id when it has none).
std::string actor_name(const OpRequest& r) { return r.actor.name.empty() ? r.actor.id : r.actor.name; }

OpResult add_card(const OpRequest& r, std::uint64_t limit) {
  OpResult refusal;
  const Column* column = named_column(r.args, refusal);
  if (!column) return refusal;
  auto text = card_text(r.args, false, refusal);
  if (!text) return refusal;
  if (r.state.at("cards").as_object().size() >= kMaxCards)
    return invalid("This board is full: it holds " + std::to_string(kMaxCards) + " cards.");
  if (auto refused = past_wip_limit(r.state, *column, limit)) return *refused;
  std::int64_t next = r.state.at("next").to_number<std::int64_t>();
  std::string id = "c" + std::to_string(next);
  JsonObject card{{"id", id},          {"title", text->title}, {"text", text->text},
                  {"column", column->id}, {"by", actor_name(r)}, {"edited_by", ""}};
  return OpResult::change({patch::add(patch::path("cards", id), std::move(card)),
                           patch::add(patch::path("columns", column->id, "-"), id),
                           patch::replace("/next", next + 1)});
}

OpResult move_card(const OpRequest& r, std::uint64_t limit) {
  OpResult refusal;
  const JsonObject* card = named_card(r, refusal);
  if (!card) return refusal;
  const Column* to = named_column(r.args, refusal);
  if (!to) return refusal;
  const Json* position = input::arg(r.args, "position");
  std::string from_column(card->at("column").as_string());
  std::size_t room = column_cards(r.state, to->id).size() - (from_column == to->id ? 1 : 0);
  if (!position || !position->is_int64() || position->get_int64() < 0 ||
      static_cast<std::uint64_t>(position->get_int64()) > room)
    return invalid("The position must be a whole number from 0 to " + std::to_string(room) + ".");
  auto at = static_cast<std::size_t>(position->get_int64());
  std::size_t from = index_in_column(r.state, *card);
  if (from_column == to->id && from == at) return OpResult::change({});
  if (from_column != to->id)
    if (auto refused = past_wip_limit(r.state, *to, limit)) return *refused;
  std::string id(card->at("id").as_string());
  return OpResult::change({patch::move(patch::path("columns", from_column, from), patch::path("columns", to->id, at)),
                           patch::replace(patch::path("cards", id, "column"), to->id)});
}

OpResult edit_card(const OpRequest& r) {
  OpResult refusal;
  const JsonObject* card = named_card(r, refusal);
  if (!card) return refusal;
  auto text = card_text(r.args, true, refusal);
  if (!text) return refusal;
  if (card->at("title").as_string() == text->title && card->at("text").as_string() == text->text)
    return OpResult::change({});
  std::string_view id = card->at("id").as_string();
  return OpResult::change({patch::replace(patch::path("cards", id, "title"), text->title),
                           patch::replace(patch::path("cards", id, "text"), text->text),
                           patch::replace(patch::path("cards", id, "edited_by"), actor_name(r))});
}

OpResult delete_card(const OpRequest& r) {
  OpResult refusal;
  const JsonObject* card = named_card(r, refusal);
  if (!card) return refusal;
  std::string column(card->at("column").as_string());
  std::size_t at = index_in_column(r.state, *card);
  return OpResult::change({patch::remove(patch::path("columns", column, at)),
                           patch::remove(patch::path("cards", card->at("id").as_string()))});
}

}  // namespace

bool valid_board_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxBoardId) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

const Column* find_column(std::string_view id) {
  for (const auto& c : kColumns)
    if (c.id == id) return &c;
  return nullptr;
}

cohort::StoreKind board_kind(const std::uint64_t& wip_limit) {
  cohort::StoreKind k;
  k.name = "board";
  JsonObject columns;
  for (const auto& c : kColumns) columns[c.id] = json::array{};
  k.initial = JsonObject{{"columns", std::move(columns)}, {"cards", JsonObject{}}, {"next", 1}};
  const std::uint64_t* limit = &wip_limit;  // read at every op: the option's parsed value
  k.ops["add"] = cohort::OpSpec{{}, [limit](const OpRequest& r) { return add_card(r, *limit); }};
  k.ops["move"] = cohort::OpSpec{{}, [limit](const OpRequest& r) { return move_card(r, *limit); }};
  k.ops["edit"] = cohort::OpSpec{{}, edit_card};
  k.ops["delete"] = cohort::OpSpec{{}, delete_card};
  // Followed only by the app's own views (it opens no /socket): no client joins a board key.
  k.can_join = [](const cohort::Actor&, std::string_view) { return false; };
  return k;
}

}  // namespace kanban
