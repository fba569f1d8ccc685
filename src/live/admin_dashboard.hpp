// admin_dashboard.hpp — Cohort's own operator page: the live admin dashboard at /admin.
//
// Owns: the dashboard's view (every node of the cluster: its figures, sparklines of its message
// rates, busiest topics, presences, store keys with their locks and followers, live views per
// page, slow consumers, storage and Redis), its template's place among the runtime files
// (<runtime>/operator/admin.html, net/runtime_files.hpp) and its access rule:
//   - on the admin listener (Config::admin_port) it is served as is: whoever reaches that
//     listener is the operator; the page's session names the user "operator" with role "admin";
//   - on the main port only to a visitor whose identity (Live::identity: the app's identify
//     hook, or the visitor cookie with the roles of a sign-in link) has role "admin"; anyone
//     else gets 403 before any view is mounted, and the view refuses a session without the role.
// The view reads nothing of the node directly: it follows the node status topic
// (net::kNodeStatusTopic), on which every node of the cluster publishes its sample once a second
// (node_status.hpp), keeps the latest of each node with its last kHistory rates, and drops a
// node not heard from for kForgetAfter. It never publishes, and clients cannot reach the topic.
// The node serving the page is marked: its name in the page's title and heading, and its card
// flagged "this node" (Node::name(), the name its samples carry).
// Threads: the view lives on its reactor, like every view.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "cohort/node.hpp"
#include "live/registry.hpp"

namespace cohort::live {

inline constexpr std::string_view kAdminPath = "/admin";
inline constexpr std::string_view kAdminTemplate = "cohort/admin";

// Adds the dashboard's view to reg, its template to reg.templates, when Config::admin_dashboard
// is on; its pages mark node as the one serving them (node must outlive reg). Returns why it
// could not (its template not found: the node serves without it), or nothing.
std::optional<std::string> add_admin_dashboard(Registry& reg, const cohort::Node& node);

// The identity a page rendered on the admin listener acts as.
PageIdentity admin_listener_operator();

}  // namespace cohort::live
