// broadcast_api.cpp — POST <pattern> (Node::broadcast_api): a server-side publish with an API token.
#include <utility>

#include "auth/api_auth.hpp"
#include "cohort/node.hpp"
#include "net/client_json.hpp"
#include "net/server_topics.hpp"

namespace cohort {

namespace {

// POST <pattern>[?event=E]: broadcasts the body (or its "payload") to the topic
// (decoded: "room%3Alobby" is "room:lobby"). Needs Authorization: Bearer <api token> with role
// "publish" whose topic patterns (if any) allow the topic (401 without a valid token, 403 without
// the role or topic). Reserved events (phx_*, presence_*), store topics and the node's own topics
// ("cohort:*", net/server_topics.hpp) are refused with 403.
// The body is parsed within the node's parser limits: 400 for malformed or too deep JSON, 413
// for JSON over json_max_bytes (a body over max_frame never gets here: 413 from net).
HttpResponse broadcast(PubSub& pubsub, const TokenSigner& signer, const net::ParserLimits& limits,
                       const HttpRequest& req) {
  std::string topic = req.param("topic");
  if (auto refused = auth::refuse_api_call(req, signer, "publish", topic)) return std::move(*refused);
  if (topic.empty()) return HttpResponse::json(400, JsonObject{{"error", "missing topic: POST /api/broadcast/<topic>"}});
  std::string event = "shout";
  if (auto e = req.query_param("event")) event = *e;
  // What clients trust as the server's own words is not for anyone with HTTP access to forge:
  // channel control events, presence state and diffs, and a store's patches.
  if (event.starts_with("phx_") || event.starts_with("presence_"))
    return HttpResponse::json(403, JsonObject{{"error", "event '" + event + "' is reserved to the server"}});
  if (net::server_topic(topic))
    return HttpResponse::json(403, JsonObject{{"error", "topics starting with 'cohort:' belong to the node itself"}});
  if (topic.starts_with("store:"))
    return HttpResponse::json(403, JsonObject{{"error", "store topics carry the store's own patches: send an op"}});
  net::ClientJson parsed = net::parse_client_json(req.body, limits);
  if (!parsed)
    return HttpResponse::json(parsed.refusal == net::JsonRefusal::too_big ? 413 : 400,
                              JsonObject{{"error", "body refused: " + parsed.reason}});
  Json& body = parsed.value;
  Json payload = body;
  if (body.is_object())
    if (auto* p = body.get_object().if_contains("payload")) payload = *p;
  if (!payload.is_object()) return HttpResponse::json(400, JsonObject{{"error", "payload must be a JSON object"}});
  pubsub.broadcast(topic, event, std::move(payload));
  return HttpResponse::json(200, JsonObject{{"ok", true}});
}

}  // namespace

void Node::broadcast_api(std::string pattern) {
  route("POST", std::move(pattern), [&ps = pubsub(), this, limits = net::parser_limits(config())](const HttpRequest& req) {
    return broadcast(ps, signer(), limits, req);
  });
}

}  // namespace cohort
