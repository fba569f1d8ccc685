// live_pages.cpp — the first live pages: a shared counter and a shared list. See live_pages.hpp.
#include "apps/live_pages.hpp"

#include <boost/json/serialize.hpp>
#include <optional>
#include <set>

#include "cohort/input.hpp"
#include "cohort/node.hpp"
#include "cohort/patch.hpp"
#include "cohort/pubsub.hpp"

namespace cohort::apps {

namespace {

constexpr std::string_view kCounterKey = "counter:main";
constexpr std::string_view kListKey = "list:main";
constexpr std::string_view kListActivity = "list:activity";
constexpr std::size_t kMaxItemText = 200;
constexpr std::size_t kMaxItems = 500;

// --- Stores: the authority. Pages only ask. Every op: any identified actor (the default). ---

StoreKind counter_kind() {
  StoreKind k;
  k.name = "counter";
  k.initial = JsonObject{{"count", 0}};
  auto step = [](std::int64_t sign) {
    return OpSpec{{}, [sign](const OpRequest& r) {
      // "by": 1 when absent; otherwise a whole number, or its digits as the page's form sends them.
      auto n = input::arg(r.args, "by") ? input::integer(r.args, "by") : std::optional<std::int64_t>(1);
      if (!n || *n < 1 || *n > 1000) return OpResult::reject(Rejection::invalid, {{"field", "by"}, {"detail", "1..1000"}});
      std::int64_t count = r.state.at("count").to_number<std::int64_t>();
      return OpResult::change({patch::replace("/count", count + sign * *n)});
    }};
  };
  k.ops["inc"] = step(+1);
  k.ops["dec"] = step(-1);
  k.ops["reset"] = OpSpec{{}, [](const OpRequest&) { return OpResult::change({patch::replace("/count", 0)}); }};
  k.can_join = [](const Actor&, std::string_view id) { return id == "main"; };
  k.can_create = [](const Actor&, std::string_view id) { return id == "main"; };
  return k;
}

std::optional<std::size_t> index_of(const json::array& items, std::string_view id) {
  for (std::size_t i = 0; i < items.size(); ++i)
    if (items[i].at("id").get_string() == id) return i;
  return std::nullopt;
}

StoreKind list_kind() {
  StoreKind k;
  k.name = "list";
  k.initial = JsonObject{{"items", json::array{}}, {"next", 1}};
  k.ops["add"] = OpSpec{{}, [](const OpRequest& r) {
    std::string text = input::text(r.args, "text");
    while (!text.empty() && text.back() == ' ') text.pop_back();
    if (text.empty()) return OpResult::reject(Rejection::invalid, {{"field", "text"}, {"detail", "empty"}});
    if (text.size() > kMaxItemText) return OpResult::reject(Rejection::invalid, {{"field", "text"}, {"detail", "too long"}});
    const auto& items = r.state.at("items").as_array();
    if (items.size() >= kMaxItems) return OpResult::reject(Rejection::invalid, {{"detail", "the list is full"}});
    std::int64_t next = r.state.at("next").to_number<std::int64_t>();
    JsonObject item{{"id", std::to_string(next)}, {"text", text}, {"by", r.actor.id}};  // who, from the actor
    return OpResult::change({patch::add("/items/-", std::move(item)), patch::replace("/next", next + 1)});
  }};
  k.ops["remove"] = OpSpec{{}, [](const OpRequest& r) {  // any identified actor, as the page offers
    auto at = index_of(r.state.at("items").as_array(), input::text(r.args, "id"));
    if (!at) return OpResult::reject(Rejection::invalid, {{"field", "id"}, {"detail", "no such item"}});
    return OpResult::change({patch::remove(patch::path("items", *at))});
  }};
  // {"id", "delta": "-1" | "1"}: one place up or down.
  k.ops["move"] = OpSpec{{}, [](const OpRequest& r) {
    const auto& items = r.state.at("items").as_array();
    auto at = index_of(items, input::text(r.args, "id"));
    if (!at) return OpResult::reject(Rejection::invalid, {{"field", "id"}, {"detail", "no such item"}});
    std::string delta = input::text(r.args, "delta");
    if (delta != "-1" && delta != "1") return OpResult::reject(Rejection::invalid, {{"field", "delta"}});
    std::size_t to = delta == "-1" ? (*at == 0 ? 0 : *at - 1) : std::min(*at + 1, items.size() - 1);
    if (to == *at) return OpResult::change({});
    return OpResult::change({patch::move(patch::path("items", *at), patch::path("items", to))});
  }};
  k.can_join = [](const Actor&, std::string_view id) { return id == "main"; };
  k.can_create = [](const Actor&, std::string_view id) { return id == "main"; };
  return k;
}

// --- Views ---

// The step of the +step button and the arrow keys is this browser's own, kept in the URL
// (/counter?step=5): a patch link or push_patch changes it without a reload, and handle_params
// reads it, so a reload, a shared link and the back button all keep it.
constexpr std::int64_t kMaxStep = 100;

std::int64_t step_param(const live::Params& params) {
  std::int64_t n = input::integer(params, "step").value_or(1);
  return n >= 1 && n <= kMaxStep ? n : 1;
}

class CounterView final : public live::View {
 public:
  void mount(const live::Params&, const live::Session& session, live::Socket& s) override {
    s.follow_store(std::string(kCounterKey), "counter");
    s.assign("panel", JsonObject{{"id", "about"}});
    s.assign("me", session.at("user"));
  }
  void handle_params(const live::Params& params, std::string_view, live::Socket& s) override {
    step_ = step_param(params);
    s.assign("step", std::to_string(step_));
    s.assign("double_step", std::to_string(std::min(step_ * 2, kMaxStep)));
  }
  void handle_event(std::string_view event, const Json& value, live::Socket& s) override {
    if (event == "key") {  // phx-window-keydown: arrow keys step the counter
      std::string key = input::text(value, "key");
      if (key == "ArrowUp" || key == "ArrowDown")
        s.op(std::string(kCounterKey), key == "ArrowUp" ? "inc" : "dec", JsonObject{{"by", std::to_string(step_)}});
      return;
    }
    if (event == "double-step") return s.push_patch("/counter?step=" + std::to_string(std::min(step_ * 2, kMaxStep)));
    if (event == "ping") {  // a client hook's pushEvent: the reply reaches its callback
      s.reply(JsonObject{{"pong", value}, {"count", s.get("counter").is_object() ? s.get("counter").at("count") : Json()}});
      s.push_event("pinged", JsonObject{{"by", s.session().at("user").at("name")}});
      return;
    }
    if (event == "inc" || event == "dec" || event == "reset")
      s.op(std::string(kCounterKey), std::string(event), JsonObject{{"by", input::arg(value, "by") ? *input::arg(value, "by") : Json("1")}},
           [&s](const OpOutcome& o) {
             if (!o.ok) s.assign("error", json::serialize(o.error));
           });
  }
  void handle_info(const live::Info& info, live::Socket& s) override {
    if (info.kind == live::Info::Kind::store) s.page_title("Counter " + json::serialize(info.payload.at("count")));
  }

 private:
  std::int64_t step_ = 1;
};

// A panel that opens and closes on its own: state kept per browser, in the component.
class AboutPanel final : public live::Component {
 public:
  void mount(live::ComponentSocket& s) override { s.assign("open", false); }
  void handle_event(std::string_view event, const Json&, live::ComponentSocket& s) override {
    if (event == "toggle") s.assign("open", !s.get("open").as_bool());
    if (event == "close") s.assign("open", false);  // phx-window-keyup, phx-key="Escape"
  }
};

class ListView final : public live::View {
 public:
  void mount(const live::Params&, const live::Session& session, live::Socket& s) override {
    s.follow_store(std::string(kListKey), "list");
    s.subscribe(kListActivity);
    s.assign("draft", "");
    s.assign("hint", "");
    s.assign("me", session.at("user"));
  }

  void handle_event(std::string_view event, const Json& value, live::Socket& s) override {
    if (event == "draft") return on_draft(value, s);
    if (event == "add") return on_add(value, s);
    std::string id = input::text(value, "id");
    if (event == "remove") return ask(s, "remove", JsonObject{{"id", id}}, "removed an item");
    if (event == "up" || event == "down")
      return ask(s, "move", JsonObject{{"id", id}, {"delta", event == "up" ? "-1" : "1"}}, "reordered the list");
  }

  void handle_info(const live::Info& info, live::Socket& s) override {
    if (info.kind == live::Info::Kind::store) return highlight_new(info.payload, s);
    if (info.kind != live::Info::Kind::broadcast || info.event != "activity") return;
    JsonObject entry = info.payload.as_object();
    entry["id"] = std::to_string(++activity_seen_);
    s.stream_insert("activity", std::move(entry), 0, 20);
  }

 private:
  // phx-change: validate as the user types.
  void on_draft(const Json& value, live::Socket& s) {
    std::string text = input::text(input::object(value, "item"), "text");
    s.assign("draft", text);
    s.assign("hint", text.size() > kMaxItemText ? "Too long: " + std::to_string(text.size()) + " of " +
                                                      std::to_string(kMaxItemText) + " characters"
                                                : std::string());
  }
  void on_add(const Json& value, live::Socket& s) {
    std::string text = input::text(input::object(value, "item"), "text");
    std::string label = "added \u201c" + text + "\u201d";
    ask(s, "add", JsonObject{{"text", text}}, label);
    s.assign("draft", "");
  }
  void ask(live::Socket& s, std::string_view op, JsonObject args, std::string did) {
    std::string who = std::string(s.session().at("user").at("name").get_string());
    s.op(std::string(kListKey), std::string(op), std::move(args), [&s, who, did](const OpOutcome& o) {
      if (!o.ok) {
        const Json* detail = o.error.if_contains("detail");
        s.assign("hint", detail && detail->is_string() ? std::string(detail->get_string()) : "refused");
        return;
      }
      s.assign("hint", "");
      s.pubsub().broadcast(kListActivity, "activity", JsonObject{{"who", who}, {"did", did}});
    });
  }
  // Items that appear after the first read flash for a moment in every browser: the server's
  // push_event("highlight", {id}) reaches the Highlight hook on the list (cohort_hooks.js).
  void highlight_new(const Json& state, live::Socket& s) {
    const Json* items = input::arg(state, "items");
    if (!items || !items->is_array()) return;
    std::set<std::string> now;
    for (const auto& item : items->get_array())
      if (const Json* id = input::arg(item, "id"); id && id->is_string()) now.insert(std::string(id->get_string()));
    if (seen_items_)
      for (const auto& id : now)
        if (!seen_items_->contains(id)) s.push_event("highlight", JsonObject{{"id", "item-" + id}});
    if (s.connected()) seen_items_ = std::move(now);
  }

  std::uint64_t activity_seen_ = 0;
  std::optional<std::set<std::string>> seen_items_;  // ids at the last store message; none before the first
};

}  // namespace

void install_live_pages(Node& node, live::Live& live) {
  node.stores().define(counter_kind());
  node.stores().define(list_kind());
  live.view("/counter", "counter", [] { return std::make_unique<CounterView>(); }, "Counter")
      .view("/list", "list", [] { return std::make_unique<ListView>(); }, "Shared list")
      .component("about", "components/about", [] { return std::make_unique<AboutPanel>(); });
}

}  // namespace cohort::apps
