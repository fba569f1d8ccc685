// board_view.hpp — the board page, /board/<id>: the columns and cards of "board:<id>"
// (board_store.hpp), live for everyone on the board.
//
// What a person sees and does:
// - who is looking at the board (presence on "kanban:here:<id>", each person once, by name);
// - add a card, move it (arrows: up and down in its column, left and right between columns),
//   delete it; every change comes back from the store to every page, and a refusal (a full
//   Doing column, a card someone else is editing) is said on the page of whoever asked;
// - edit a card: "Edit" locks "/cards/<card>" in the store for this page (a lease of
//   kEditLeaseMs, renewed by each change typed), and the card turns into a form. Everyone else
//   sees "<name> is editing" on it, its buttons disabled, and the store refuses their changes to
//   it. Save or Cancel gives the lock back; so does closing the tab or leaving the page (the lock
//   belongs to the page's session); a lease that runs out closes the form unsaved.
// - the board's activity ("Ana moved “Fix login” to Done"), broadcast on
//   "kanban:activity:<id>" by the page that made the change once the store accepted it, and
//   shown as a stream (the newest 30; a page sees what happens while it is open).
// Names come from the signed session (login.hpp), never from what the browser sends.
#pragma once

#include <cstdint>
#include <memory>

#include "cohort/live.hpp"

namespace kanban {

inline constexpr std::int64_t kEditLeaseMs = 120'000;  // an edit idle this long is given up

// A new board page. wip_limit: the app's option (the Doing column's limit, shown on the page).
std::unique_ptr<cohort::live::View> board_view(const std::uint64_t& wip_limit);

}  // namespace kanban
