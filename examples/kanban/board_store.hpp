// board_store.hpp — the kanban board's store kind: one authority per board, key "board:<id>",
// that holds its columns and cards and decides every change to them.
//
// State:
//   {"columns": {"todo": [<card id>, …], "doing": […], "done": […]},   each column top to bottom
//    "cards": {<card id>: {"id", "title", "text", "column", "by", "edited_by"}},
//    "next": <the number of the next card id>}
// Card ids are "c1", "c2", …, never reused on a board.
//
// Ops, each for any signed-in actor (an anonymous one gets "forbidden"), each argument checked:
//   "add"    {column, title, text?}     a new card at the bottom of column
//   "move"   {card, column, position}   position: its index in column once it is taken out of
//                                       its own (0 = top; the column's length = bottom)
//   "edit"   {card, title, text}
//   "delete" {card}
// A title is 1–80 characters once trimmed, a text at most 1,000, both valid UTF-8 without
// control characters (a text may hold newlines and tabs); a board holds at most 200 cards.
// A bad argument is refused with reason "invalid" and a "detail" for people. Doing holds at most
// wip_limit cards (the app's option, read at every op): an add or a move into it past that is
// refused with reason "wip_limit" {column, limit, detail}; a move inside Doing is not.
// Names others see ("by", "edited_by") are the actor's signed name, never an argument.
//
// Locks. The board view locks "/cards/<id>" while someone edits that card. Every op on a card
// writes under that path (a move replaces /cards/<id>/column), so the store refuses each of them
// to everyone but the lock's session with reason "locked" and the holder's id.
//
// Threads: the kind's handlers run on the key's owner reactor; they are pure functions of the
// request (and the limit they read).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cohort/store.hpp"

namespace kanban {

struct Column {
  std::string_view id;
  std::string_view title;
};
// The board's columns, left to right.
inline constexpr std::array<Column, 3> kColumns = {{{"todo", "To do"}, {"doing", "Doing"}, {"done", "Done"}}};
inline constexpr std::string_view kLimitedColumn = "doing";  // the column wip_limit bounds

inline constexpr std::size_t kMaxTitle = 80;    // characters
inline constexpr std::size_t kMaxText = 1000;   // characters
inline constexpr std::size_t kMaxCards = 200;   // per board
inline constexpr std::size_t kMaxBoardId = 32;  // a board id: 1–32 of a-z, 0-9, '-'

// Whether id names a board ("board:<id>"): what /board/:id accepts.
bool valid_board_id(std::string_view id);
// The column with this id, or nullptr.
const Column* find_column(std::string_view id);

// The store kind. wip_limit must outlive the node (the app's option: App::option's reference).
cohort::StoreKind board_kind(const std::uint64_t& wip_limit);

}  // namespace kanban
