// status_command.cpp — `cohort status`: see status_command.hpp.
#include "app/status_command.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <thread>
#include <variant>

#include "cohort/json.hpp"

namespace cohort::commands {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kDeadline = std::chrono::seconds(5);
constexpr auto kBetweenSamples = std::chrono::milliseconds(1100);  // the node samples once a second

constexpr const char* kUsage =
    "usage: cohort status --url URL [--token T]\n\n"
    "Prints a running node's figures, and those of every node of its cluster: uptime, connections,\n"
    "messages in and out per second (two samples a second apart), busiest topics, store keys,\n"
    "storage and Redis. URL: the node's admin listener (http://127.0.0.1:<admin-port>), or its\n"
    "main port with --token, an API token of role metrics (cohort token --roles metrics).\n";

struct Target {
  std::string host, port, path;
};

struct Answer {
  unsigned status = 0;
  std::string body;
};

std::variant<Target, std::string> target_of(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return "'" + url + "' is not a URL (e.g. http://127.0.0.1:4001)";
  if (parsed->scheme() != "http") return "only http:// URLs (the admin listener speaks plain HTTP)";
  std::string path(parsed->encoded_path());
  while (!path.empty() && path.back() == '/') path.pop_back();
  return Target{std::string(parsed->host()), parsed->has_port() ? std::string(parsed->port()) : "80",
                path + "/admin/status"};
}

// GET t.path with a deadline for the whole exchange; the reason on failure.
std::variant<Answer, std::string> get(const Target& t, const std::string& token) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  beast::flat_buffer buffer;
  http::request<http::empty_body> req{http::verb::get, t.path, 11};
  req.set(http::field::host, t.host + ":" + t.port);
  req.set(http::field::user_agent, "cohort-status");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  http::response<http::string_body> res;
  std::optional<std::string> error;
  auto failed = [&](const char* step, beast::error_code ec) { error = std::string(step) + ": " + ec.message(); };
  tcp::resolver resolver(io);
  stream.expires_after(kDeadline);
  resolver.async_resolve(t.host, t.port, [&](beast::error_code ec, tcp::resolver::results_type found) {
    if (ec) return failed("resolve", ec);
    stream.async_connect(found, [&](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return failed("connect", ec);
      http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
        if (ec) return failed("send", ec);
        http::async_read(stream, buffer, res, [&](beast::error_code ec, std::size_t) {
          if (ec) return failed("read", ec);
        });
      });
    });
  });
  io.run();
  if (error) return *error;
  return Answer{res.result_int(), std::move(res.body())};
}

std::variant<json::object, std::string> sample(const Target& t, const std::string& url, const std::string& token) {
  auto got = get(t, token);
  if (auto* e = std::get_if<std::string>(&got)) return "cannot read " + url + ": " + *e;
  auto& a = std::get<Answer>(got);
  if (a.status == 401 || a.status == 403)
    return url + " refused the request (" + std::to_string(a.status) +
           "): on the main port give --token, an API token of role metrics (cohort token --roles metrics); "
           "or use the admin listener (--admin-port)";
  if (a.status != 200) return url + "/admin/status answered " + std::to_string(a.status) + ": " + a.body.substr(0, 200);
  boost::system::error_code ec;
  Json v = json::parse(a.body, ec);
  if (ec || !v.is_object() || !v.get_object().contains("node"))
    return url + "/admin/status did not answer a Cohort status (not JSON with a \"node\"): is this a Cohort node?";
  return std::move(v.get_object());
}

const Json& at(const Json& v, std::string_view key) {
  static const Json none;
  const Json* f = v.is_object() ? v.get_object().if_contains(key) : nullptr;
  return f ? *f : none;
}
double num(const Json& v) { return v.is_number() ? v.to_number<double>() : 0; }
std::string str(const Json& v) { return v.is_string() ? std::string(v.get_string()) : ""; }

std::string uptime(double s) {
  auto t = static_cast<long long>(s);
  char buf[48];
  if (t >= 86400) std::snprintf(buf, sizeof buf, "%lldd%02lldh", t / 86400, t / 3600 % 24);
  else std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds", t / 3600, t / 60 % 60, t % 60);
  return buf;
}

// Every node in a status body (this one and its peers), by name. body is a Json, not a
// json::object: at() takes a Json, and an object passed there would be copied into a temporary
// that its answers point into.
std::map<std::string, Json> nodes_of(const Json& body) {
  std::map<std::string, Json> out;
  out[str(at(at(body, "node"), "name"))] = body;
  if (const Json& peers = at(body, "peers"); peers.is_array())
    for (const auto& p : peers.get_array()) out[str(at(at(p, "node"), "name"))] = p;
  return out;
}

// Messages per second between two samples of one node (by its own clock); the node's own rate
// when both are the same sample.
double rate(const Json& before, const Json& now, std::string_view counter, std::string_view fallback) {
  const double dt = num(at(at(now, "node"), "uptime_s")) - num(at(at(before, "node"), "uptime_s"));
  const double d = num(at(at(now, "messages"), counter)) - num(at(at(before, "messages"), counter));
  if (dt <= 0 || d < 0) return num(at(at(now, "messages"), fallback));
  return d / dt;
}

void print_node(const std::string& name, const Json& n, double in, double out) {
  const Json& c = at(n, "connections");
  const Json& st = at(n, "storage");
  const Json& cl = at(n, "cluster");
  std::string storage = str(at(st, "kind")) + " (" + std::to_string(static_cast<long long>(num(at(st, "queued")))) + " queued)";
  if (!str(at(st, "last_error")).empty()) storage += " ERROR " + str(at(st, "last_error"));
  std::string redis = at(cl, "enabled") == Json(true)
                          ? std::string(at(cl, "links_up") == Json(true) ? "up" : "DOWN") + ", " +
                                std::to_string(at(cl, "members").is_array() ? at(cl, "members").get_array().size() : 0) +
                                " other node(s)"
                          : "alone";
  std::printf("%-22s %4lld %11s %6lld %6lld %9.1f %9.1f %6lld  %-22s %s\n", name.c_str(),
              static_cast<long long>(num(at(at(n, "node"), "id"))), uptime(num(at(at(n, "node"), "uptime_s"))).c_str(),
              static_cast<long long>(num(at(c, "open"))), static_cast<long long>(num(at(c, "websockets"))), in, out,
              static_cast<long long>(num(at(at(n, "store"), "loaded"))), storage.c_str(), redis.c_str());
}

void print_lists(const std::string& name, const Json& n) {
  std::string topics, keys;
  if (const Json& list = at(at(n, "topics"), "by_rate"); list.is_array())
    for (const auto& t : list.get_array()) {
      if (topics.size() > 160) break;
      char buf[64];
      std::snprintf(buf, sizeof buf, " (%lld subs, %.1f/s)", static_cast<long long>(num(at(t, "subscribers"))), num(at(t, "per_s")));
      topics += (topics.empty() ? "" : ", ") + str(at(t, "topic")) + buf;
    }
  if (const Json& list = at(at(n, "store"), "keys"); list.is_array())
    for (const auto& k : list.get_array()) {
      if (keys.size() > 160) break;
      const auto locks = at(k, "locks").is_array() ? at(k, "locks").get_array().size() : 0;
      keys += (keys.empty() ? "" : ", ") + str(at(k, "key")) + " v" + std::to_string(static_cast<long long>(num(at(k, "version")))) +
              " (" + std::to_string(static_cast<long long>(num(at(k, "followers")))) + " followers" +
              (locks ? ", " + std::to_string(locks) + " locks" : "") + ")";
    }
  std::printf("  %s topics: %s\n", name.c_str(), topics.empty() ? "none" : topics.c_str());
  std::printf("  %s store keys: %s\n", name.c_str(), keys.empty() ? "none loaded" : keys.c_str());
}

}  // namespace

int status(const std::vector<std::string>& args) {
  std::string url, token;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") return std::fputs(kUsage, stdout), 0;
    if ((args[i] == "--url" || args[i] == "--token") && i + 1 < args.size()) {
      (args[i] == "--url" ? url : token) = args[i + 1];
      ++i;
      continue;
    }
    std::fprintf(stderr, "cohort status: unexpected '%s'\n%s", args[i].c_str(), kUsage);
    return 2;
  }
  if (url.empty()) return std::fprintf(stderr, "cohort status: --url is required\n%s", kUsage), 2;
  auto target = target_of(url);
  if (auto* e = std::get_if<std::string>(&target)) return std::fprintf(stderr, "cohort status: %s\n", e->c_str()), 2;
  auto first = sample(std::get<Target>(target), url, token);
  if (auto* e = std::get_if<std::string>(&first)) return std::fprintf(stderr, "cohort status: %s\n", e->c_str()), 1;
  std::this_thread::sleep_for(kBetweenSamples);
  auto second = sample(std::get<Target>(target), url, token);
  if (auto* e = std::get_if<std::string>(&second)) return std::fprintf(stderr, "cohort status: %s\n", e->c_str()), 1;
  const Json first_body = std::move(std::get<json::object>(first));
  const Json second_body = std::move(std::get<json::object>(second));
  auto before = nodes_of(first_body);
  auto now = nodes_of(second_body);
  std::printf("%s: %zu node(s)\n", url.c_str(), now.size());
  std::printf("%-22s %4s %11s %6s %6s %9s %9s %6s  %-22s %s\n", "NODE", "ID", "UPTIME", "CONNS", "WS", "IN/S", "OUT/S",
              "KEYS", "STORAGE", "REDIS");
  for (const auto& [name, n] : now) {
    auto b = before.find(name);
    const Json& was = b == before.end() ? n : b->second;
    print_node(name, n, rate(was, n, "in", "in_per_s"), rate(was, n, "out", "out_per_s"));
  }
  for (const auto& [name, n] : now) print_lists(name, n);
  return 0;
}

}  // namespace cohort::commands
