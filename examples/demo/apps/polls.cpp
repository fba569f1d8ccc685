// polls.cpp — the live voting pages. See polls.hpp.
#include "apps/polls.hpp"

#include <random>

#include "apps/poll_store.hpp"
#include "apps/refusal.hpp"
#include "apps/view_support.hpp"
#include "cohort/input.hpp"
#include "cohort/node.hpp"

namespace cohort::apps {

namespace {

constexpr std::string_view kIndex = "polls:index";
constexpr std::string_view kHere = "presence:polls";  // the list page; a poll's own page is kHere + ":" + id
constexpr int kFormOptions = static_cast<int>(kPollMaxOptions);  // the form offers as many as the store takes

std::string new_poll_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kChars[] = "abcdefghijkmnpqrstuvwxyz23456789";
  std::string id;
  for (int i = 0; i < 8; ++i) id += kChars[rng() % (sizeof kChars - 1)];
  return id;
}

// The empty creation form: question and kFormOptions option fields.
JsonObject blank_draft() {
  json::array options;
  for (int i = 1; i <= kFormOptions; ++i)
    options.push_back(JsonObject{{"id", "o" + std::to_string(i)}, {"n", std::to_string(i)}, {"value", ""}});
  return JsonObject{{"question", ""}, {"options", std::move(options)}};
}

class PollsView final : public live::View {
 public:
  void mount(const live::Params&, const live::Session&, live::Socket& s) override {
    assign_me(s);
    s.assign("draft", blank_draft());
    s.assign("message", "");
    join_here(s, std::string(kHere));
    s.follow_store(std::string(kIndex), "index");
    derive(s);
  }

  // "draft" (phx-change) keeps what is typed in the view, so a re-render for someone else
  // (who is here, a new poll in the list) shows the same text instead of emptying the fields.
  void handle_event(std::string_view event, const Json& value, live::Socket& s) override {
    const Json* form = input::arg(value, "poll");
    if (!form) return;
    if (event == "draft") s.assign("draft", draft_of(*form));
    if (event == "create") create(*form, s);
  }

  void handle_info(const live::Info&, live::Socket& s) override { derive(s); }

 private:
  static JsonObject draft_of(const Json& form) {
    JsonObject draft = blank_draft();
    draft["question"] = input::text(form, "question");
    for (int i = 1; i <= kFormOptions; ++i)
      draft["options"].as_array()[i - 1].as_object()["value"] = input::text(form, "o" + std::to_string(i));
    return draft;
  }

  void create(const Json& form, live::Socket& s) {
    json::array options;
    for (int i = 1; i <= kFormOptions; ++i) options.emplace_back(input::text(form, "o" + std::to_string(i)));
    s.assign("draft", draft_of(form));  // kept until the store accepts, so nothing typed is lost
    std::string id = new_poll_id();
    std::string question = input::text(form, "question");
    s.op("poll:" + id, "setup", JsonObject{{"question", question}, {"options", std::move(options)}},
         [&s, id, question](const OpOutcome& o) {
           if (!o.ok) return s.assign("message", error_text(o.error));
           s.op(std::string(kIndex), "add", JsonObject{{"id", id}, {"question", question}});
           s.assign("draft", blank_draft());
           s.assign("message", "");
           s.put_flash("info", "Poll created. Share this page's address to let people vote.");
           s.push_navigate("/polls/" + id);
         });
  }

  void derive(live::Socket& s) {
    const Json& index = s.get("index");
    const Json* polls = index.is_object() ? input::arg(index, "polls") : nullptr;
    std::string me = user_field(s, "id");
    json::array out;
    if (polls && polls->is_array())
      for (const auto& p : polls->get_array()) {
        bool closed = input::boolean(p, "closed").value_or(false);
        out.push_back(JsonObject{{"id", input::text(p, "id")},
                                 {"question", input::text(p, "question")},
                                 {"owner_name", input::text(p, "owner") == me ? "you" : input::text(p, "owner_name")},
                                 {"closed", closed}});
      }
    s.assign("polls", std::move(out));
    assign_here(s);
  }
};

class PollView final : public live::View {
 public:
  void mount(const live::Params& params, const live::Session&, live::Socket& s) override {
    assign_me(s);
    id_ = input::text(params, "id");
    s.assign("poll_id", id_);
    s.assign("message", "");
    s.assign("exists", false);
    if (!valid_poll_id(id_)) {  // not even a poll's address: back to the list, which says so
      s.put_flash("error", "That is not the address of a poll.");
      return s.redirect("/polls");
    }
    join_here(s, std::string(kHere) + ":" + id_);
    s.follow_store("poll:" + id_, "poll");
    derive(s);
  }

  void handle_event(std::string_view event, const Json& value, live::Socket& s) override {
    if (!valid_poll_id(id_)) return;
    if (event == "vote") {
      s.op("poll:" + id_, "vote", JsonObject{{"option", input::text(value, "option")}}, [&s](const OpOutcome& o) {
        s.assign("message", o.ok ? std::string() : error_text(o.error));
      });
    } else if (event == "close") {
      std::string id = id_;
      s.op("poll:" + id_, "close", JsonObject{}, [&s, id](const OpOutcome& o) {
        if (!o.ok) {
          bool forbidden = o.rejection() == Rejection::forbidden;
          return s.assign("message", forbidden ? "Only the poll's owner can close it." : error_text(o.error));
        }
        s.assign("message", "");
        s.op(std::string(kIndex), "closed", JsonObject{{"id", id}});
      });
    }
  }

  void handle_info(const live::Info&, live::Socket& s) override { derive(s); }

 private:
  void derive(live::Socket& s) {
    assign_here(s);
    const Json& poll = s.get("poll");
    if (!poll.is_object() || input::text(poll, "question").empty()) return s.assign("exists", false);
    std::string me = user_field(s, "id");
    const JsonObject empty;
    const Json* votes_v = input::arg(poll, "votes");
    const JsonObject& votes = votes_v && votes_v->is_object() ? votes_v->get_object() : empty;
    const Json* mine = votes.if_contains(me);
    auto total = static_cast<std::int64_t>(votes.size());
    bool closed = input::boolean(poll, "closed").value_or(false);
    json::array options;
    for (const auto& o : poll.at("options").as_array()) {
      std::string oid = input::text(o, "id");
      std::int64_t n = 0;
      for (const auto& [who, choice] : votes) n += choice.is_string() && choice.get_string() == oid;
      std::int64_t pct = total ? (n * 100 + total / 2) / total : 0;
      options.push_back(JsonObject{{"id", oid},
                                   {"text", input::text(o, "text")},
                                   {"votes", count_of(n, "vote", "votes")},
                                   {"pct", std::to_string(pct)},
                                   {"mine", mine && mine->is_string() && mine->get_string() == oid},
                                   {"closed", closed}});
    }
    s.assign("exists", true);
    s.assign("question", input::text(poll, "question"));
    s.assign("options", std::move(options));
    s.assign("total", count_of(total, "vote", "votes"));
    s.assign("voted", mine != nullptr);
    s.assign("closed", closed);
    s.assign("owner", input::text(poll, "_owner") == me);
    if (title_ != input::text(poll, "question")) s.page_title(title_ = input::text(poll, "question"));
  }

  std::string id_;
  std::string title_;
};

}  // namespace

void install_polls(Node& node, live::Live& live) {
  node.stores().define(poll_kind());
  node.stores().define(polls_index_kind());
  live.view("/polls", "polls", [] { return std::make_unique<PollsView>(); }, "Polls")
      .view("/polls/:id", "poll", [] { return std::make_unique<PollView>(); }, "Poll");
}

}  // namespace cohort::apps
