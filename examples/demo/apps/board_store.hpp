// board_store.hpp — the store behind the shared whiteboard ("board:main"): strokes as they are
// drawn, undo of one's own last stroke, and a moderator-only clear.
//
// State: {"strokes": [{"id", "by": <actor id>, "color", "parts": ["x,y x,y …", …]}]}, points
// in a 1000×625 canvas space, integers. A stroke grows by parts (one per batch the pointer hook
// sends, ~every 40 ms), so each change is small and a polyline's points are its parts joined.
// Ops: "begin" {id, color, points: [x, y, …]}; "extend" {id, points} (only the stroke's own
// author); "undo" (the actor's newest stroke); "clear" (role "moderator"). Every op refuses an
// anonymous actor ("forbidden"). Joins over /socket: the one key "board:main" only (by anyone,
// before its first stroke too).
// The kind coalesces broadcasts (50 ms): a fast drawer's batches reach viewers folded together.
// Limits (so one person cannot fill the node): 2,000 strokes, 400 parts per stroke, 256
// points per batch.
#pragma once

#include <string>

#include "cohort/store.hpp"

namespace cohort::apps {

constexpr int kBoardWidth = 1000;
constexpr int kBoardHeight = 625;

StoreKind board_kind();

// A stroke's SVG polyline points: its parts joined with spaces.
std::string board_points(const Json& stroke);

}  // namespace cohort::apps
