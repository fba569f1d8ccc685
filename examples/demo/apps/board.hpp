// board.hpp — the shared whiteboard (/board).
//
// The pointer hook that ships with Cohort (static/assets/cohort_hooks.js, "Whiteboard") sends
// a stroke as "begin" then batches of points ("extend", every ~40 ms, not one message per
// pointer event) and "end". The view asks the store "board:main" (board_store.hpp), which
// coalesces its broadcasts, so everyone sees strokes while they are drawn. A late joiner reads
// the whole board from the store. Undo removes one's own newest stroke; clear is for the
// moderator only (the store refuses anyone else).
#pragma once

#include "cohort/live.hpp"

namespace cohort {
class Node;
}

namespace cohort::apps {

void install_board(Node& node, live::Live& live);

}  // namespace cohort::apps
