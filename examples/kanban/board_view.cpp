// board_view.cpp — the board page. See board_view.hpp.
#include "board_view.hpp"

#include <functional>
#include <map>
#include <string>
#include <utility>

#include "board_store.hpp"
#include "cohort/pubsub.hpp"
#include "cohort/input.hpp"
#include "cohort/patch.hpp"

namespace kanban {

namespace {

namespace input = cohort::input;
namespace json = cohort::json;
namespace live = cohort::live;
namespace patch = cohort::patch;
using cohort::Json;
using cohort::JsonObject;
using cohort::OpOutcome;
using cohort::Rejection;

constexpr int kActivityShown = 30;  // stream entries a page keeps; older ones leave its DOM

std::string quoted(std::string_view title) { return "\u201c" + std::string(title) + "\u201d"; }

// From a followed presence list ([{id, metas, count}]): a field of key's first meta, or fallback.
std::string presence_meta(const Json& list, std::string_view key, std::string_view field, std::string fallback) {
  if (!list.is_array()) return fallback;
  for (const auto& entry : list.get_array()) {
    if (input::text(entry, "id") != key) continue;
    const Json* metas = input::arg(entry, "metas");
    if (!metas || !metas->is_array() || metas->get_array().empty()) return fallback;
    std::string v = input::text(metas->get_array()[0], field);
    return v.empty() ? fallback : v;
  }
  return fallback;
}

// Who is on the board, for the "here" strip: [{id, name, color, tabs}], each person once.
json::array here_list(const Json& present) {
  json::array out;
  if (!present.is_array()) return out;
  for (const auto& entry : present.get_array()) {
    std::string id = input::text(entry, "id");
    std::string color = presence_meta(present, id, "color", "#5c6370");
    std::int64_t tabs = input::integer(entry, "count").value_or(1);
    out.push_back(JsonObject{{"id", id},
                             {"name", presence_meta(present, id, "name", id)},
                             {"color", input::is_hex_color(color) ? color : "#5c6370"},
                             {"tabs", tabs > 1 ? "· " + std::to_string(tabs) + " tabs" : std::string()}});
  }
  return out;
}

class BoardView final : public live::View {
 public:
  explicit BoardView(const std::uint64_t& wip_limit) : wip_limit_(wip_limit) {}

  void mount(const live::Params& params, const live::Session& session, live::Socket& s) override {
    board_ = input::text(params, "id");
    static const Json kNobody;
    const Json* signed_in = session.if_contains("user");
    const Json& user = signed_in ? *signed_in : kNobody;
    me_ = input::text(user, "id");
    std::string name = input::text(user, "name"), color = input::text(user, "color");
    s.assign("me", JsonObject{{"id", me_}, {"name", name}, {"color", color}});
    s.assign("board_id", board_);
    s.assign("message", "");  // what the page says to this person: a refusal, or nothing
    s.assign("new_title", "");
    s.assign("wip_text", "at most " + std::to_string(wip_limit_) + (wip_limit_ == 1 ? " card" : " cards"));
    s.assign("valid", valid_board_id(board_));
    if (!valid_board_id(board_)) return;
    s.page_title(board_ + " board");
    s.follow_store(key(), "board");
    s.follow_presence(here_topic(), "present");
    if (s.connected()) {
      s.track(here_topic(), me_, JsonObject{{"name", name}, {"color", color}});
      s.subscribe(activity_topic());
    }
    derive(s);
  }

  void handle_event(std::string_view event, const Json& value, live::Socket& s) override {
    if (!valid_board_id(board_)) return;
    std::string card = input::text(value, "card");
    if (event == "draft") return s.assign("new_title", input::text(input::object(value, "new"), "title"));
    if (event == "add") return add(input::object(value, "new"), s);
    if (event == "move") return move(card, input::text(value, "column"), input::text(value, "position"), s);
    if (event == "delete") return remove(card, s);
    if (event == "edit") return start_editing(card, s);
    if (event == "typing") return typing(input::object(value, "edit"), s);
    if (event == "save") return save(input::object(value, "edit"), s);
    if (event == "cancel") return stop_editing(s);
  }

  void handle_info(const live::Info& info, live::Socket& s) override {
    if (info.kind == live::Info::Kind::broadcast && info.event == "activity") {
      s.stream_insert("activity",
                      JsonObject{{"id", std::to_string(++activity_seen_)},
                                 {"who", input::text(info.payload, "who")},
                                 {"did", input::text(info.payload, "did")}},
                      0, kActivityShown);
      return;
    }
    if (info.kind == live::Info::Kind::store && info.event == "unlock") unlocked(info.payload, s);
    derive(s);
  }

 private:
  std::string key() const { return "board:" + board_; }
  std::string here_topic() const { return "kanban:here:" + board_; }
  std::string activity_topic() const { return "kanban:activity:" + board_; }
  static std::string lock_path(std::string_view card) { return patch::path("cards", card); }

  // The card with this id in the followed state, or nullptr.
  const Json* card_of(live::Socket& s, std::string_view card) const {
    const Json* cards = input::arg(s.get("board"), "cards");
    return cards ? input::arg(*cards, card) : nullptr;
  }
  // A card's title as of the last state seen (its id when it is gone).
  std::string card_title(const std::string& card) const {
    auto it = titles_.find(card);
    return it == titles_.end() ? card : it->second;
  }

  // Asks the store; once it accepts, tells the board what happened (did: "moved “X” to Done").
  void ask(std::string op, JsonObject args, std::string did, live::Socket& s, std::function<void()> then = {}) {
    s.op(key(), op, std::move(args), [this, &s, op, did = std::move(did), then](const OpOutcome& o) {
      if (!o.ok) return refused(op, o, s);
      say(s, "");
      if (then) then();
      s.pubsub().broadcast(activity_topic(), "activity", JsonObject{{"who", s.actor().name}, {"did", did}});
    });
  }

  void add(const Json& form, live::Socket& s) {
    std::string column = input::text(form, "column");
    const Column* to = find_column(column);
    std::string title = input::trimmed(input::text(form, "title"));
    s.assign("new_title", input::text(form, "title"));  // kept until the store takes it
    std::string did = "added " + quoted(title) + " to " + std::string(to ? to->title : "?");
    ask("add", JsonObject{{"column", column}, {"title", title}}, did, s, [&s] { s.assign("new_title", ""); });
  }

  void move(const std::string& card, const std::string& column, const std::string& position, live::Socket& s) {
    const Json* c = card_of(s, card);
    const Column* to = find_column(column);
    auto at = input::whole_number(position);
    if (!c || !to || !at) return say(s, "That card or place is not on this board any more.");
    std::string title = input::text(*c, "title"), from = input::text(*c, "column");
    std::string did = "moved " + quoted(title) + " to " + std::string(to->title);
    if (from == column) did = "reordered " + quoted(title) + " in " + std::string(to->title);
    ask("move", JsonObject{{"card", card}, {"column", column}, {"position", *at}}, did, s);
  }

  void remove(const std::string& card, live::Socket& s) {
    const Json* c = card_of(s, card);
    if (!c) return say(s, "That card is not on this board any more.");
    ask("delete", JsonObject{{"card", card}}, "deleted " + quoted(input::text(*c, "title")), s);
  }

  // Edit: the card's lock first; the form opens only once the store gave it to this page.
  void start_editing(const std::string& card, live::Socket& s) {
    const Json* c = card_of(s, card);
    if (!c) return say(s, "That card is not on this board any more.");
    if (editing_ == card) return;
    stop_editing(s);  // one card at a time
    std::string title = input::text(*c, "title"), text = input::text(*c, "text");
    asking_ = card;
    take_lock(card, s, [this, &s, card, title, text] {
      editing_ = card;
      draft_title_ = title;
      draft_text_ = text;
      say(s, "");
      derive(s);
    });
  }

  // Takes (or renews) the card's lease for this page, then runs then; a refusal is said.
  void take_lock(const std::string& card, live::Socket& s, std::function<void()> then) {
    s.op(key(), "lock", JsonObject{{"path", lock_path(card)}, {"ttl_ms", kEditLeaseMs}},
         [this, &s, then](const OpOutcome& o) {
           asking_.clear();
           if (!o.ok) {
             refused("lock", o, s);
             return derive(s);
           }
           if (then) then();
         });
  }

  // phx-change of the edit form: the draft survives re-renders, and each change renews the lease.
  void typing(const Json& form, live::Socket& s) {
    if (editing_.empty() || input::text(form, "card") != editing_) return;
    draft_title_ = input::text(form, "title");
    draft_text_ = input::text(form, "text");
    take_lock(editing_, s, {});
    derive(s);
  }

  // The card named by the form (a forged form may name any card: the store decides).
  void save(const Json& form, live::Socket& s) {
    std::string card = input::text(form, "card");
    const Json* c = card_of(s, card);
    if (!c) return say(s, "That card is not on this board any more.");
    std::string title = input::trimmed(input::text(form, "title")), text = input::text(form, "text");
    std::string old_title = input::text(*c, "title");
    if (card == editing_ && title == old_title && text == input::text(*c, "text")) return stop_editing(s);
    std::string did = title == old_title ? "edited " + quoted(title) : "renamed " + quoted(old_title) + " to " + quoted(title);
    ask("edit", JsonObject{{"card", card}, {"title", title}, {"text", text}}, did, s, [this, &s, card] {
      if (editing_ == card) stop_editing(s);
    });
  }

  void stop_editing(live::Socket& s) {
    if (editing_.empty()) return;
    std::string card = std::exchange(editing_, std::string());
    s.op(key(), "unlock", JsonObject{{"path", lock_path(card)}});
    derive(s);
  }

  // A lock ended: a refusal it caused is over, and this page's own lease may have run out (it
  // ended by itself: not by Save or Cancel, which let go of the card first).
  void unlocked(const Json& unlock, live::Socket& s) {
    std::string path = input::text(unlock, "path");
    if (!refused_lock_.empty() && path == refused_lock_) say(s, "");
    bool lease_ran_out = !editing_.empty() && path == lock_path(editing_) &&
                         input::text(unlock, "reason") == "expired" && input::text(unlock, "holder") == me_;
    if (!lease_ran_out) return;
    std::string title = card_title(editing_);
    editing_.clear();
    say(s, "Your edit of " + quoted(title) + " was given up after " + std::to_string(kEditLeaseMs / 1000) +
               " seconds without typing; it was not saved.");
  }

  // Sets what the page says to this person (a refusal, or "" for nothing).
  void say(live::Socket& s, std::string text) {
    refused_lock_.clear();
    s.assign("message", text);
  }

  // Says why the store refused op. A card someone else edits: who, and what could not be done.
  void refused(std::string_view op, const OpOutcome& outcome, live::Socket& s) {
    const JsonObject& error = outcome.error;
    if (outcome.rejection() == Rejection::locked) {
      std::string path = input::text(error, "path"), holder = input::text(error, "holder");
      std::string card = path.starts_with("/cards/") ? path.substr(7) : path;
      std::string done = op == "move" ? "moved" : op == "delete" ? "deleted" : op == "lock" ? "edited" : "changed";
      std::string title = quoted(card_title(card));
      std::string who = presence_meta(s.get("present"), holder, "name", "Someone");
      say(s, holder == me_ ? "You are editing " + title + " in another tab: it cannot be " + done +
                                 " here until you are done there."
                           : who + " is editing " + title + ": it cannot be " + done + " until they are done.");
      refused_lock_ = path;  // said until that lock ends
      return;
    }
    std::string detail = input::text(error, "detail");
    say(s, detail.empty() ? "The board refused that (" + input::text(error, "reason") + ")." : detail);
  }

  // The display model: columns of card rows from the store's state, its locks and who is here.
  void derive(live::Socket& s) {
    const Json& state = s.get("board");
    const Json& present = s.get("present");
    s.assign("here", here_list(present));
    if (!state.is_object()) return;
    const Json& cards = state.at("cards");
    titles_.clear();
    for (const auto& [id, card] : cards.as_object()) titles_[std::string(id)] = input::text(card, "title");
    if (!editing_.empty() && !input::arg(cards, editing_)) {  // deleted under this page: its lock goes too
      s.op(key(), "unlock", JsonObject{{"path", lock_path(editing_)}});
      editing_.clear();
    }
    json::array columns;
    for (std::size_t ci = 0; ci < kColumns.size(); ++ci) columns.push_back(column_model(s, ci));
    s.assign("columns", std::move(columns));
  }

  JsonObject column_model(live::Socket& s, std::size_t ci) {
    const Json& state = s.get("board");
    const Column& column = kColumns[ci];
    const json::array& ids = state.at("columns").at(column.id).as_array();
    json::array rows;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const Json* card = input::arg(state.at("cards"), ids[i].as_string());
      if (card) rows.push_back(card_model(s, *card, ci, i, ids.size()));
    }
    bool limited = column.id == kLimitedColumn;
    std::string count = std::to_string(ids.size()) + (limited ? " / " + std::to_string(wip_limit_) : "");
    return JsonObject{{"id", column.id},
                      {"title", column.title},
                      {"count", count},
                      {"full", limited && ids.size() >= wip_limit_},
                      {"cards", std::move(rows)}};
  }

  JsonObject card_model(live::Socket& s, const Json& card, std::size_t ci, std::size_t i, std::size_t n) {
    std::string id = input::text(card, "id");
    const Json* lock = input::arg(s.get("board_locks"), lock_path(id));
    bool mine = editing_ == id;
    bool locked = lock && !mine && asking_ != id;  // asking: the lock may be this page's already
    std::string holder = lock ? input::text(*lock, "holder") : std::string();
    const Json& present = s.get("present");
    std::string edited_by = input::text(card, "edited_by");
    auto size_of = [&s](std::size_t c) { return s.get("board").at("columns").at(kColumns[c].id).as_array().size(); };
    JsonObject row{{"id", id},
                   {"title", input::text(card, "title")},
                   {"text", input::text(card, "text")},
                   {"by", input::text(card, "by")},
                   {"edited", edited_by.empty() ? std::string() : "edited by " + edited_by},
                   {"editing", mine},
                   {"locked", locked},
                   {"holder_name", holder == me_ ? "You (in another tab)" : presence_meta(present, holder, "name", "Someone")},
                   {"holder_color", presence_meta(present, holder, "color", "#5c6370")},
                   {"draft_title", mine ? draft_title_ : std::string()},
                   {"draft_text", mine ? draft_text_ : std::string()},
                   {"can_change", !locked},
                   {"can_up", !locked && i > 0},
                   {"can_down", !locked && i + 1 < n},
                   {"can_left", !locked && ci > 0},
                   {"can_right", !locked && ci + 1 < kColumns.size()},
                   {"up", std::to_string(i == 0 ? 0 : i - 1)},
                   {"down", std::to_string(i + 1)},
                   {"left", ci > 0 ? kColumns[ci - 1].id : ""},
                   {"left_at", ci > 0 ? std::to_string(size_of(ci - 1)) : "0"},
                   {"right", ci + 1 < kColumns.size() ? kColumns[ci + 1].id : ""},
                   {"right_at", ci + 1 < kColumns.size() ? std::to_string(size_of(ci + 1)) : "0"},
                   {"column", kColumns[ci].id}};
    if (!input::is_hex_color(input::text(row, "holder_color"))) row["holder_color"] = "#5c6370";
    return row;
  }

  const std::uint64_t& wip_limit_;
  std::string board_;
  std::string me_;       // the signed-in person's id
  std::string editing_;  // the card this page holds the lock of and shows as a form ("" = none)
  std::string asking_;   // the card whose lock this page has asked for, until the store answers
  std::string draft_title_, draft_text_;
  std::map<std::string, std::string> titles_;  // card id -> title, as of the last state seen
  std::string refused_lock_;  // the lock path the message says someone holds ("" = none)
  std::uint64_t activity_seen_ = 0;
};

}  // namespace

std::unique_ptr<live::View> board_view(const std::uint64_t& wip_limit) { return std::make_unique<BoardView>(wip_limit); }

}  // namespace kanban
