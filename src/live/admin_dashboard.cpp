// admin_dashboard.cpp — the live admin dashboard at /admin: see admin_dashboard.hpp.
#include "live/admin_dashboard.hpp"

#include <cstdio>
#include <deque>
#include <fstream>
#include <map>
#include <sstream>

#include "net/runtime_files.hpp"
#include "net/server_topics.hpp"

namespace cohort::live {

namespace {

constexpr std::size_t kHistory = 60;                  // samples a sparkline shows (a minute)
constexpr std::chrono::seconds kForgetAfter{5};       // a node silent this long leaves the page
constexpr std::chrono::milliseconds kPrune{1000};     // how often silent nodes are looked for
constexpr double kSparkWidth = 120, kSparkHeight = 28;

const Json kNull;

const Json& at(const Json& v, std::string_view key) {
  if (!v.is_object()) return kNull;
  const Json* f = v.get_object().if_contains(key);
  return f ? *f : kNull;
}

double number(const Json& v) { return v.is_number() ? v.to_number<double>() : 0; }

std::string fixed(double v, int digits = 1) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string duration(double seconds) {
  auto s = static_cast<long long>(seconds);
  char buf[64];
  if (s >= 86400) std::snprintf(buf, sizeof buf, "%lldd %02lldh %02lldm", s / 86400, s / 3600 % 24, s / 60 % 60);
  else if (s >= 3600) std::snprintf(buf, sizeof buf, "%lldh %02lldm %02llds", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%lldm %02llds", s / 60, s % 60);
  return buf;
}

// An inline SVG polyline's points for values (oldest first), scaled to the largest.
std::string spark(const std::deque<double>& values) {
  double top = 1;
  for (double v : values) top = std::max(top, v);
  std::string points;
  const double step = kSparkWidth / static_cast<double>(kHistory - 1);
  double x = kSparkWidth - step * static_cast<double>(values.size() - (values.empty() ? 0 : 1));
  for (double v : values) {
    points += (points.empty() ? "" : " ") + fixed(x, 1) + "," + fixed(kSparkHeight - 1 - (kSparkHeight - 2) * v / top, 1);
    x += step;
  }
  return points;
}

// A list of rows from the sample's array at key, each made by row.
template <class Row>
json::array rows(const Json& list, Row row) {
  json::array out;
  if (list.is_array())
    for (const auto& item : list.get_array()) out.push_back(row(item));
  return out;
}

class AdminView final : public View {
 public:
  explicit AdminView(std::string self) : self_(std::move(self)) {}

  void mount(const Params&, const Session&, Socket& socket) override {
    allowed_ = socket.actor().has_role("admin");
    socket.assign("allowed", allowed_);
    socket.assign("self", self_);
    if (allowed_ && !self_.empty()) socket.page_title("Admin · " + self_);
    socket.assign("nodes", json::array{});
    socket.assign("count", 0);
    if (!allowed_ || !socket.connected()) return;
    socket.subscribe(net::kNodeStatusTopic);
    socket.send_after(kPrune, Json("prune"));
  }

  void handle_info(const Info& info, Socket& socket) override {
    if (!allowed_) return;
    if (info.kind == Info::Kind::timer) {
      socket.send_after(kPrune, Json("prune"));
    } else if (info.kind == Info::Kind::broadcast && info.event == "status") {
      heard(info.payload);
    } else {
      return;
    }
    prune();
    render(socket);
  }

 private:
  struct NodeSeen {
    Json sample;
    std::chrono::steady_clock::time_point heard;
    std::deque<double> in, out;
  };

  void heard(const Json& sample) {
    const Json& name = at(at(sample, "node"), "name");
    if (!name.is_string()) return;
    NodeSeen& n = nodes_[std::string(name.get_string())];
    n.sample = sample;
    n.heard = std::chrono::steady_clock::now();
    const Json& m = at(sample, "messages");
    n.in.push_back(number(at(m, "in_per_s")));
    n.out.push_back(number(at(m, "out_per_s")));
    if (n.in.size() > kHistory) n.in.pop_front();
    if (n.out.size() > kHistory) n.out.pop_front();
  }

  void prune() {
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(nodes_, [&](const auto& n) { return now - n.second.heard > kForgetAfter; });
  }

  void render(Socket& socket) const {
    json::array list;
    for (const auto& [name, n] : nodes_) list.push_back(node_json(name, n, name == self_));
    socket.assign("count", static_cast<std::int64_t>(list.size()));
    socket.assign("nodes", std::move(list));
  }

  static Json node_json(const std::string& name, const NodeSeen& n, bool this_node) {
    const Json& s = n.sample;
    const Json& node = at(s, "node");
    const Json& c = at(s, "connections");
    const Json& m = at(s, "messages");
    const Json& slow = at(s, "slow_consumers");
    const Json& storage = at(s, "storage");
    const Json& cluster = at(s, "cluster");
    JsonObject o{{"name", name},
                 {"this_node", this_node},
                 {"id", at(node, "id")},
                 {"version", at(node, "version")},
                 {"uptime", duration(number(at(node, "uptime_s")))},
                 {"connections", at(c, "open")},
                 {"websockets", at(c, "websockets")},
                 {"longpoll", at(c, "longpoll_sessions")},
                 {"in_total", at(m, "in")},
                 {"out_total", at(m, "out")},
                 {"in_per_s", fixed(number(at(m, "in_per_s")))},
                 {"out_per_s", fixed(number(at(m, "out_per_s")))},
                 {"spark_in", spark(n.in)},
                 {"spark_out", spark(n.out)},
                 {"slow_now", at(slow, "now")},
                 {"slow_closes", at(slow, "closes")},
                 {"slow_max", at(slow, "max_queued_bytes")},
                 {"storage_kind", at(storage, "kind")},
                 {"storage_queued", at(storage, "queued")},
                 {"storage_error", at(storage, "last_error")},
                 {"cluster", number(at(cluster, "node_id")) > 0 || at(cluster, "enabled") == Json(true)},
                 {"redis", at(cluster, "redis")},
                 {"links_up", at(cluster, "links_up") == Json(true)},
                 {"members", at(cluster, "members").is_array() ? at(cluster, "members").get_array().size() : 0},
                 {"loaded_keys", at(at(s, "store"), "loaded")}};
    auto topic_row = [](const Json& t) {
      return Json(JsonObject{{"topic", at(t, "topic")}, {"subscribers", at(t, "subscribers")},
                             {"per_s", fixed(number(at(t, "per_s")))}});
    };
    o["by_subscribers"] = rows(at(at(s, "topics"), "by_subscribers"), topic_row);
    o["by_rate"] = rows(at(at(s, "topics"), "by_rate"), topic_row);
    o["presence"] = rows(at(s, "presence"), [](const Json& p) {
      return Json(JsonObject{{"topic", at(p, "topic")}, {"keys", at(p, "keys")}});
    });
    o["keys"] = rows(at(at(s, "store"), "keys"), [](const Json& k) {
      std::string locks;
      for (const auto& l : rows(at(k, "locks"), [](const Json& l) { return l; })) {
        if (!locks.empty()) locks += ", ";
        const Json& path = at(l, "path");
        const Json& holder = at(l, "holder");
        locks += std::string(path.is_string() ? path.get_string() : "") + " → " +
                 std::string(holder.is_string() ? holder.get_string() : "");
      }
      return Json(JsonObject{{"key", at(k, "key")}, {"version", at(k, "version")},
                             {"followers", at(k, "followers")}, {"locks", locks}});
    });
    json::array views;
    if (const Json& v = at(at(s, "live"), "views"); v.is_object())
      for (const auto& [page, count] : v.get_object()) views.push_back(JsonObject{{"page", page}, {"count", count}});
    o["views"] = std::move(views);
    return o;
  }

  std::string self_;  // the name of the node serving the page
  bool allowed_ = false;
  std::map<std::string, NodeSeen> nodes_;  // by node name
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::optional<std::string> add_admin_dashboard(Registry& reg, const cohort::Node& node) {
  std::string tried;
  auto dir = net::find_runtime_dir("operator", tried);
  if (!dir) return "no operator directory (looked in " + tried + ")";
  const std::string file = *dir + "/admin.html";
  std::string source = read_file(file);
  if (source.empty()) return "cannot read " + file;
  auto errors = reg.templates.add(std::string(kAdminTemplate), source, file);
  if (!errors.empty()) return errors.front().text();
  ViewRoute route{std::string(kAdminPath), std::string(kAdminTemplate), "Admin",
                  [&node] { return std::make_unique<AdminView>(node.name()); }};
  route.operator_page = true;
  reg.views.push_back(std::move(route));
  return std::nullopt;
}

PageIdentity admin_listener_operator() {
  PageIdentity who;
  who.user = JsonObject{{"id", "operator"}, {"name", "operator"}, {"roles", json::array{"admin"}}};
  return who;
}

}  // namespace cohort::live
