// board.cpp — the shared whiteboard page. See board.hpp.
#include "apps/board.hpp"

#include "apps/board_store.hpp"
#include "apps/refusal.hpp"
#include "apps/view_support.hpp"
#include "cohort/input.hpp"
#include "cohort/node.hpp"

namespace cohort::apps {

namespace {

constexpr std::string_view kKey = "board:main";
constexpr std::string_view kHere = "presence:board";

class BoardView final : public live::View {
 public:
  void mount(const live::Params&, const live::Session&, live::Socket& s) override {
    assign_me(s);
    s.assign("moderator", s.actor().has_role("moderator"));
    s.assign("message", "");
    s.assign("width", std::to_string(kBoardWidth));
    s.assign("height", std::to_string(kBoardHeight));
    join_here(s, std::string(kHere));
    s.follow_store(std::string(kKey), "board");
    derive(s);
  }

  void handle_event(std::string_view event, const Json& value, live::Socket& s) override {
    if (event == "begin") {
      JsonObject args{{"id", input::text(value, "id")}, {"color", user_field(s, "color")}};
      if (const Json* p = input::arg(value, "points")) args["points"] = *p;
      return ask(s, "begin", std::move(args));
    }
    if (event == "extend") {
      JsonObject args{{"id", input::text(value, "id")}};
      if (const Json* p = input::arg(value, "points")) args["points"] = *p;
      return ask(s, "extend", std::move(args));
    }
    if (event == "end") return s.reply(JsonObject{{"ok", true}});
    if (event == "undo") return ask(s, "undo", JsonObject{});
    if (event == "clear") return ask(s, "clear", JsonObject{});
  }

  void handle_info(const live::Info&, live::Socket& s) override { derive(s); }

 private:
  void ask(live::Socket& s, std::string_view op, JsonObject args) {
    std::string name(op);
    s.op(std::string(kKey), name, std::move(args), [&s, name](const OpOutcome& o) {
      if (o.ok) return s.assign("message", "");
      if (name == "clear" && o.rejection() == Rejection::forbidden)
        return s.assign("message", "Only the moderator can clear the board.");
      s.assign("message", error_text(o.error));
    });
  }

  void derive(live::Socket& s) {
    const Json& state = s.get("board");
    const Json* strokes = state.is_object() ? input::arg(state, "strokes") : nullptr;
    const Json& present = s.get("present");
    json::array out;
    std::string me = user_field(s, "id");
    std::int64_t mine = 0;
    if (strokes && strokes->is_array())
      for (const auto& st : strokes->get_array()) {
        std::string by = input::text(st, "by");
        mine += by == me;
        out.push_back(JsonObject{{"id", input::text(st, "id")},
                                 {"color", input::text(st, "color")},
                                 {"points", board_points(st)},
                                 {"by", by == me ? "you" : presence_meta(present, by, "name", "someone")}});
      }
    s.assign("stroke_count", count_of(static_cast<std::int64_t>(out.size()), "stroke", "strokes"));
    s.assign("can_undo", mine > 0);
    s.assign("strokes", std::move(out));
    assign_here(s);
  }
};

}  // namespace

void install_board(Node& node, live::Live& live) {
  node.stores().define(board_kind());
  live.view("/board", "board", [] { return std::make_unique<BoardView>(); }, "Whiteboard");
}

}  // namespace cohort::apps
