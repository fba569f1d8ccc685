// store_wire.cpp — forwarded store requests and answers: see store_wire.hpp.
#include "cluster/store_wire.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace cohort::cluster {

namespace {

const Json* member(const JsonObject& o, std::string_view name) { return o.if_contains(name); }

std::optional<std::uint64_t> uint_of(const Json* v) {
  if (!v) return std::nullopt;
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<std::uint64_t>(v->get_int64());
  return std::nullopt;
}

std::optional<std::string> string_of(const Json* v) {
  if (!v || !v->is_string()) return std::nullopt;
  return std::string(v->get_string());
}

const JsonObject* object_of(const Json* v) { return v && v->is_object() ? &v->get_object() : nullptr; }

JsonObject encode_call(const OpCall& c) {
  json::array roles;
  for (const auto& r : c.actor.roles) roles.emplace_back(r);
  JsonObject o{{"key", c.key},
               {"name", c.name},
               {"args", c.args},
               {"actor", JsonObject{{"id", c.actor.id}, {"roles", std::move(roles)}, {"name", c.actor.name}}},
               {"session", c.session}};
  if (c.expect_version) o["expect"] = *c.expect_version;
  if (!c.op_id.empty()) o["op_id"] = c.op_id;
  return o;
}

std::optional<WireError> decode_call(const JsonObject& o, OpCall& c) {
  auto key = string_of(member(o, "key"));
  auto name = string_of(member(o, "name"));
  auto session = uint_of(member(o, "session"));
  const JsonObject* actor = object_of(member(o, "actor"));
  if (!key || !name || !session || !actor) return WireError{"op call lacks key, name, session or actor"};
  c.key = std::move(*key);
  c.name = std::move(*name);
  c.session = *session;
  if (const Json* args = member(o, "args")) c.args = *args;
  c.actor.id = string_of(member(*actor, "id")).value_or("");
  c.actor.name = string_of(member(*actor, "name")).value_or("");
  if (const Json* roles = member(*actor, "roles"); roles && roles->is_array())
    for (const auto& r : roles->get_array())
      if (r.is_string()) c.actor.roles.emplace_back(r.get_string());
  c.op_id = string_of(member(o, "op_id")).value_or("");
  if (const Json* expect = member(o, "expect")) {
    auto v = uint_of(expect);
    if (!v) return WireError{"op call expect is not a version"};
    c.expect_version = v;
  }
  return std::nullopt;
}

JsonObject encode_view(const StoreView& v) {
  JsonObject o{{"ok", v.ok}, {"version", v.version}, {"locks", v.locks}, {"error", v.error}};
  if (v.state) o["state"] = *v.state;
  if (v.patches) o["patches"] = *v.patches;
  return o;
}

StoreView decode_view(const JsonObject& o) {
  StoreView v;
  v.ok = member(o, "ok") && member(o, "ok")->is_bool() && member(o, "ok")->get_bool();
  v.version = uint_of(member(o, "version")).value_or(0);
  if (const JsonObject* locks = object_of(member(o, "locks"))) v.locks = *locks;
  if (const JsonObject* error = object_of(member(o, "error"))) v.error = *error;
  if (const Json* state = member(o, "state")) v.state = *state;
  if (const Json* patches = member(o, "patches"); patches && patches->is_array()) v.patches = patches->get_array();
  return v;
}

}  // namespace

std::string encode_store_request(const StoreRequest& r) {
  JsonObject o;
  switch (r.kind) {
    case StoreRequest::Kind::op:
      o = {{"t", "op"}, {"id", r.id}, {"from", r.from}, {"call", encode_call(r.call)}};
      break;
    case StoreRequest::Kind::view:
      o = {{"t", "view"}, {"id", r.id}, {"from", r.from}, {"key", r.call.key}};
      if (r.since) o["since"] = *r.since;
      if (r.must_exist) o["existing"] = true;
      break;
    case StoreRequest::Kind::end:
      o = {{"t", "end"}, {"key", r.call.key}, {"session", r.call.session}};
      break;
  }
  return json::serialize(o);
}

std::string encode_store_reply(const StoreReply& r) {
  JsonObject o{{"t", r.kind == StoreReply::Kind::op ? "r" : "v"}, {"id", r.id}};
  if (r.moved) o["moved"] = true;
  if (r.kind == StoreReply::Kind::op)
    o["outcome"] = JsonObject{{"ok", r.outcome.ok}, {"version", r.outcome.version}, {"error", r.outcome.error}};
  else
    o["view"] = encode_view(r.view);
  return json::serialize(o);
}

std::variant<StoreRequest, StoreReply, WireError> decode_store_message(std::string_view bytes) {
  boost::system::error_code ec;
  Json parsed = parse_wire_json(bytes, ec);
  if (ec || !parsed.is_object()) return WireError{"store message is not a JSON object"};
  const JsonObject& o = parsed.get_object();
  auto t = string_of(member(o, "t"));
  if (!t) return WireError{"store message has no type"};
  if (*t == "r" || *t == "v") {
    StoreReply r;
    auto id = uint_of(member(o, "id"));
    if (!id) return WireError{"store reply has no id"};
    r.id = *id;
    r.moved = member(o, "moved") != nullptr;
    if (*t == "r") {
      const JsonObject* out = object_of(member(o, "outcome"));
      if (!out && !r.moved) return WireError{"op reply has no outcome"};
      if (out) {
        r.outcome.ok = member(*out, "ok") && member(*out, "ok")->is_bool() && member(*out, "ok")->get_bool();
        r.outcome.version = uint_of(member(*out, "version")).value_or(0);
        if (const JsonObject* e = object_of(member(*out, "error"))) r.outcome.error = *e;
      }
    } else {
      r.kind = StoreReply::Kind::view;
      const JsonObject* view = object_of(member(o, "view"));
      if (!view && !r.moved) return WireError{"view reply has no view"};
      if (view) r.view = decode_view(*view);
    }
    return r;
  }
  StoreRequest r;
  if (*t == "end") {
    r.kind = StoreRequest::Kind::end;
    auto key = string_of(member(o, "key"));
    auto session = uint_of(member(o, "session"));
    if (!key || !session) return WireError{"end request lacks key or session"};
    r.call.key = std::move(*key);
    r.call.session = *session;
    return r;
  }
  auto id = uint_of(member(o, "id"));
  auto from = uint_of(member(o, "from"));
  if (!id || !from || *from > UINT32_MAX) return WireError{"store request lacks id or from"};
  r.id = *id;
  r.from = static_cast<std::uint32_t>(*from);
  if (*t == "op") {
    const JsonObject* call = object_of(member(o, "call"));
    if (!call) return WireError{"op request has no call"};
    if (auto err = decode_call(*call, r.call)) return *err;
    return r;
  }
  if (*t == "view") {
    r.kind = StoreRequest::Kind::view;
    auto key = string_of(member(o, "key"));
    if (!key) return WireError{"view request has no key"};
    r.call.key = std::move(*key);
    if (const Json* since = member(o, "since")) {
      r.since = uint_of(since);
      if (!r.since) return WireError{"view request since is not a version"};
    }
    if (const Json* existing = member(o, "existing")) {
      if (!existing->is_bool()) return WireError{"view request existing is not a boolean"};
      r.must_exist = existing->get_bool();
    }
    return r;
  }
  return WireError{"unknown store message type " + *t};
}

}  // namespace cohort::cluster
