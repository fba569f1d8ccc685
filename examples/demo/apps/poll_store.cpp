// poll_store.cpp — the voting store kinds. See poll_store.hpp.
#include "apps/poll_store.hpp"

#include <cctype>
#include <set>

#include "apps/refusal.hpp"
#include "cohort/input.hpp"
#include "cohort/patch.hpp"

namespace cohort::apps {

namespace {

constexpr std::size_t kMaxQuestion = 140;
constexpr std::size_t kMaxOption = 60;
constexpr std::size_t kPollsKept = 200;

OpResult setup(const OpRequest& r) {
  if (r.state.as_object().contains("_owner")) return OpResult::reject(Rejection::invalid, invalid("This poll already exists."));
  std::string question = input::trimmed(input::text(r.args, "question"));
  if (question.empty()) return OpResult::reject(Rejection::invalid, {{"field", "question"}, {"detail", "Ask a question."}});
  if (question.size() > kMaxQuestion)
    return OpResult::reject(Rejection::invalid, {{"field", "question"}, {"detail", "Keep the question under 140 characters."}});
  const Json* raw = input::arg(r.args, "options");
  json::array options;
  std::set<std::string> seen;
  if (raw && raw->is_array())
    for (const auto& o : raw->get_array()) {
      std::string text = o.is_string() ? input::trimmed(o.get_string()) : std::string();
      std::string folded = text;  // "Pizza" and "pizza" are the same option to people
      for (char& c : folded) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (text.empty() || !seen.insert(folded).second) continue;
      if (text.size() > kMaxOption)
        return OpResult::reject(Rejection::invalid, {{"field", "options"}, {"detail", "Keep each option under 60 characters."}});
      options.push_back(JsonObject{{"id", "o" + std::to_string(options.size() + 1)}, {"text", text}});
    }
  if (options.size() < 2 || options.size() > kPollMaxOptions)
    return OpResult::reject(Rejection::invalid, {{"field", "options"}, {"detail", "Give two to six different options."}});
  return OpResult::change({patch::add("/_owner", r.actor.id), patch::replace("/question", question),
                           patch::replace("/options", std::move(options))});
}

OpResult vote(const OpRequest& r) {
  if (!r.state.as_object().contains("_owner")) return OpResult::reject(Rejection::invalid, invalid("There is no such poll."));
  if (r.state.at("closed").as_bool()) return OpResult::reject(Rejection::invalid, invalid("This poll is closed."));
  if (r.state.at("votes").as_object().contains(r.actor.id))
    return OpResult::reject(Rejection::invalid, invalid("You have already voted in this poll."));
  std::string option = input::text(r.args, "option");
  bool known = false;
  for (const auto& o : r.state.at("options").as_array()) known = known || o.at("id").get_string() == option;
  if (!known) return OpResult::reject(Rejection::invalid, invalid("Pick one of the options."));
  return OpResult::change({patch::add(patch::path("votes", r.actor.id), option)});
}

OpResult close(const OpRequest& r) {
  if (r.state.at("closed").as_bool()) return OpResult::change({});
  return OpResult::change({patch::replace("/closed", true)});
}

std::optional<std::size_t> find_poll(const json::array& polls, std::string_view id) {
  for (std::size_t i = 0; i < polls.size(); ++i)
    if (polls[i].at("id").get_string() == id) return i;
  return std::nullopt;
}

OpResult index_add(const OpRequest& r) {
  std::string id = input::text(r.args, "id");
  std::string question = input::trimmed(input::text(r.args, "question")).substr(0, kMaxQuestion);
  if (!valid_poll_id(id) || question.empty()) return OpResult::reject(Rejection::invalid, invalid("A poll needs an id and a question."));
  const auto& polls = r.state.at("polls").as_array();
  if (find_poll(polls, id)) return OpResult::reject(Rejection::invalid, invalid("That poll is listed already."));
  json::array p;
  if (polls.size() >= kPollsKept) p.push_back(patch::remove(patch::path("polls", polls.size() - 1)));
  std::string owner_name = r.actor.name.empty() ? r.actor.id : r.actor.name;  // signed, never an argument
  p.push_back(patch::add("/polls/0",
                       JsonObject{{"id", id}, {"question", question}, {"owner", r.actor.id},
                                  {"owner_name", owner_name}, {"closed", false}}));
  return OpResult::change(std::move(p));
}

OpResult index_closed(const OpRequest& r) {
  const auto& polls = r.state.at("polls").as_array();
  auto at = find_poll(polls, input::text(r.args, "id"));
  if (!at) return OpResult::reject(Rejection::invalid, invalid("No such poll."));
  if (polls[*at].at("owner").get_string() != r.actor.id)
    return OpResult::reject(Rejection::forbidden, invalid("Only the poll's owner can close it."));
  return OpResult::change({patch::replace(patch::path("polls", *at, "closed"), true)});
}

}  // namespace

bool valid_poll_id(std::string_view id) {
  if (id.empty() || id.size() > 24) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

StoreKind poll_kind() {
  StoreKind k;
  k.name = "poll";
  k.initial = JsonObject{{"question", ""}, {"options", json::array{}}, {"votes", JsonObject{}}, {"closed", false}};
  // Creating a poll is a step of the /polls page's flow (setup, then listing it in the index):
  // server code only. Voting: any identified actor, once. Closing: the poll's owner.
  k.ops["setup"] = OpSpec{{}, setup};
  k.ops["setup"].from_clients = false;
  k.ops["vote"] = OpSpec{{}, vote};
  k.ops["close"] = OpSpec{{"owner"}, close};
  k.can_join = [](const Actor&, std::string_view id) { return valid_poll_id(id); };
  // No can_create: a poll exists once the page's "setup" stored it; a join of any other id is
  // "not_found" and leaves nothing behind.
  return k;
}

StoreKind polls_index_kind() {
  StoreKind k;
  k.name = "polls";
  k.initial = JsonObject{{"polls", json::array{}}};
  // The index lists the polls the /polls page created and closed: only that server code writes
  // it, on its visitor's behalf, never a /socket client (who could list fake polls or push
  // real ones out of the kPollsKept kept).
  k.ops["add"] = OpSpec{{}, index_add};
  k.ops["add"].from_clients = false;
  k.ops["closed"] = OpSpec{{}, index_closed};
  k.ops["closed"].from_clients = false;
  k.can_join = [](const Actor&, std::string_view id) { return id == "index"; };
  k.can_create = [](const Actor&, std::string_view id) { return id == "index"; };
  return k;
}

}  // namespace cohort::apps
