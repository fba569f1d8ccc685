// view_uploads.cpp — one view's uploads, the lv: side and the receiving side: see view_uploads.hpp.
#include "live/view_uploads.hpp"

#include <filesystem>
#include <openssl/rand.h>
#include <stdexcept>
#include <unordered_map>

#include "cohort/input.hpp"

namespace cohort::live {

namespace {

std::string random_ref() {
  unsigned char raw[9];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("RAND_bytes failed");
  static constexpr char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out = "phx-upload-";
  for (unsigned char b : raw) out += kChars[b % 62];
  return out;
}

std::atomic<std::uint64_t>* refusal_counter(UploadStats& s, std::string_view reason) {
  if (reason == "too_large") return &s.refused_too_large;
  if (reason == "not_accepted") return &s.refused_not_accepted;
  if (reason == "too_many_files") return &s.refused_too_many_files;
  if (reason == "file_size_limit_exceeded") return &s.refused_size_exceeded;
  if (reason == "chunk_too_large") return &s.refused_chunk_too_large;
  if (reason == "temp_full") return &s.refused_temp_full;
  if (reason == "timeout") return &s.timed_out;
  if (reason == "disallowed") return &s.refused_disallowed;
  return nullptr;
}

void bump(UploadStats& s, std::string_view reason) {
  if (auto* c = refusal_counter(s, reason)) c->fetch_add(1, std::memory_order_relaxed);
}

using Directory = std::unordered_map<std::string, std::weak_ptr<ViewUploads>>;
Directory& directory() {
  thread_local Directory d;
  return d;
}

}  // namespace

void publish_uploads(const std::string& view_id, const std::shared_ptr<ViewUploads>& uploads) {
  directory()[view_id] = uploads;
}

void withdraw_uploads(const std::string& view_id, const ViewUploads* uploads) {
  auto& d = directory();
  auto it = d.find(view_id);
  if (it == d.end()) return;
  auto held = it->second.lock();
  if (!held || held.get() == uploads) d.erase(it);
}

std::shared_ptr<ViewUploads> find_uploads(std::string_view view_id) {
  auto& d = directory();
  auto it = d.find(std::string(view_id));
  return it == d.end() ? nullptr : it->second.lock();
}

ViewUploads::ViewUploads(UploadPlace& place, const TokenSigner* signer, std::string view_id,
                         std::function<void()> changed)
    : place_(place), signer_(signer), view_id_(std::move(view_id)), changed_(std::move(changed)) {}

ViewUploads::~ViewUploads() { clear(); }

void ViewUploads::clear() {
  for (auto& [_, upload] : uploads_)
    for (auto& e : upload.entries()) discard(e);
  uploads_.clear();
}

UploadState* ViewUploads::by_ref(std::string_view ref) {
  for (auto& [_, upload] : uploads_)
    if (upload.ref() == ref) return &upload;
  return nullptr;
}

UploadState* ViewUploads::by_name(std::string_view name) {
  auto it = uploads_.find(name);
  return it == uploads_.end() ? nullptr : &it->second;
}

void ViewUploads::discard(EntryState& entry) { discard_entry_file(place_, entry); }

// --- The view's API ---

void ViewUploads::allow(std::string name, UploadOptions options) {
  if (UploadState* old = by_name(name)) {
    if (!old->entries().empty())
      throw std::logic_error("allow_upload(\"" + name + "\"): the upload still has entries; consume or cancel them first");
    uploads_.erase(name);
  }
  options.chunk_size = std::clamp<std::size_t>(options.chunk_size, 1, std::max<std::size_t>(1, place_.max_chunk));
  std::string key = name;
  uploads_.emplace(std::move(key), UploadState(std::move(name), random_ref(), std::move(options)));
}

void ViewUploads::cancel(std::string_view name, std::string_view ref) {
  UploadState* upload = by_name(name);
  EntryState* e = upload ? upload->find(ref) : nullptr;
  if (!e) return;
  discard(*e);
  upload->drop(ref);
}

std::vector<Json> ViewUploads::consume(std::string_view name, const ConsumeUpload& fn) {
  std::vector<Json> out;
  UploadState* upload = by_name(name);
  if (!upload) return out;
  std::vector<std::string> done;
  for (const auto& e : upload->entries())
    if (e.entry.done && e.status == EntryStatus::complete) done.push_back(e.entry.ref);
  for (const auto& ref : done) {
    EntryState* e = upload->find(ref);
    try {
      out.push_back(fn(e->path, e->entry));
    } catch (...) {  // the file goes all the same
      if (EntryState* failed = upload->find(ref)) discard(*failed);
      upload->drop(ref);
      throw;
    }
    e = upload->find(ref);  // fn may have cancelled it
    if (!e) continue;
    discard(*e);
    upload->drop(ref);
    place_.stats.consumed.fetch_add(1, std::memory_order_relaxed);
  }
  return out;
}

Json ViewUploads::assign() const {
  JsonObject out;
  for (const auto& [name, upload] : uploads_) out[name] = upload.assign();
  return out;
}

// --- The lv: topic ---

void ViewUploads::count_errors(const UploadState& upload, std::size_t from) {
  const auto& errors = upload.errors();
  for (std::size_t i = from; i < errors.size(); ++i) bump(place_.stats, errors[i].second);
}

void ViewUploads::declare(const Json& uploads) {
  if (!uploads.is_object()) return;
  for (const auto& [ref, declared] : uploads.get_object()) {
    UploadState* upload = by_ref(ref);
    if (!upload) continue;  // a stale ref (the input outlived its upload): Phoenix ignores it too
    std::vector<EntryState> dropped;
    std::size_t before = upload->errors().size();
    upload->put_entries(declared, dropped);
    for (auto& e : dropped) discard(e);
    count_errors(*upload, std::min(before, upload->errors().size()));
  }
}

JsonObject ViewUploads::preflight(const Json& payload) {
  std::string ref = input::text(payload, "ref");
  UploadState* upload = by_ref(ref);
  if (!upload) return JsonObject{{"ref", ref}, {"error", json::array{json::array{json::string_view(ref), "disallowed"}}}};
  const Json* declared = input::arg(payload, "entries");
  std::vector<EntryState> dropped;
  std::size_t before = upload->errors().size();
  bool ok = declared ? upload->put_entries(*declared, dropped) : true;
  for (auto& e : dropped) discard(e);
  count_errors(*upload, std::min(before, upload->errors().size()));
  if (!ok) return JsonObject{{"ref", upload->ref()}, {"error", upload->error_pairs()}};
  std::vector<std::string> refs;
  if (declared && declared->is_array())
    for (const auto& d : declared->get_array()) refs.push_back(input::text(d, "ref"));
  UploadState::Preflight verdict = upload->preflight(refs);
  JsonObject tokens;
  for (const auto& entry_ref : verdict.allowed) {
    JsonObject claims{{"v", view_id_}, {"u", upload->ref()}, {"e", entry_ref}};
    tokens[entry_ref] = signer_ ? signer_->sign(TokenKind::upload, std::move(claims), kTokenTtl) : std::string();
  }
  const UploadOptions& o = upload->options();
  JsonObject config{{"max_file_size", o.max_file_size},
                    {"max_entries", o.max_entries},
                    {"chunk_size", o.chunk_size},
                    {"chunk_timeout", o.chunk_timeout.count()}};
  return JsonObject{{"ref", upload->ref()},
                    {"config", std::move(config)},
                    {"entries", std::move(tokens)},
                    {"errors", std::move(verdict.errors)}};
}

std::optional<ViewUploads::Progressed> ViewUploads::progress(const Json& payload) {
  UploadState* upload = by_ref(input::text(payload, "ref"));
  std::string entry_ref = input::text(payload, "entry_ref");
  if (!upload || !upload->find(entry_ref)) return std::nullopt;
  const Json* p = input::arg(payload, "progress");
  if (p && p->is_number()) {
    auto percent = input::integer(payload, "progress");
    if (!percent || !upload->progress(entry_ref, static_cast<int>(*percent))) return std::nullopt;
  } else if (p && p->is_object()) {
    // {error: reason}: the client gave up (its join or a chunk was refused). The server has
    // already recorded its own reason when it refused; a client-side failure is recorded as is.
    std::string reason = input::text(*p, "error");
    EntryState* e = upload->find(entry_ref);
    if (!reason.empty() && e->entry.errors.empty()) upload->put_error(entry_ref, reason.substr(0, 64));
  } else {
    return std::nullopt;
  }
  return Progressed{upload->find(entry_ref)->entry, &upload->options()};
}

// --- The lvu: channel ---

std::optional<ViewUploads::Claims> ViewUploads::verify(const TokenSigner& signer, std::string_view token) {
  auto v = signer.verify(token, TokenKind::upload);
  if (!v.claims) return std::nullopt;
  Claims c{input::text(*v.claims, "v"), input::text(*v.claims, "u"), input::text(*v.claims, "e")};
  if (c.view.empty() || c.upload.empty() || c.entry.empty()) return std::nullopt;
  return c;
}

std::optional<ViewUploads::Receiving> ViewUploads::start(std::string_view upload_ref, std::string_view entry_ref,
                                                         std::string& reason) {
  UploadState* upload = by_ref(upload_ref);
  EntryState* e = upload ? upload->find(entry_ref) : nullptr;
  if (!e || !e->preflighted || e->status != EntryStatus::unregistered) {
    reason = "disallowed";
    bump(place_.stats, reason);
    return std::nullopt;
  }
  if (auto refused = open_entry_file(place_, *e)) {
    reason = *refused;
    fail(*upload, *e, reason);
    return std::nullopt;
  }
  e->status = EntryStatus::receiving;
  place_.stats.started.fetch_add(1, std::memory_order_relaxed);
  if (e->entry.client_size == 0) {  // nothing to send: complete at once
    close_entry_file(*e);
    e->status = EntryStatus::complete;
    place_.stats.finished.fetch_add(1, std::memory_order_relaxed);
  }
  return Receiving{upload->options().chunk_size, upload->options().chunk_timeout};
}

std::string ViewUploads::chunk(std::string_view upload_ref, std::string_view entry_ref, std::string_view bytes) {
  UploadState* upload = by_ref(upload_ref);
  EntryState* e = upload ? upload->find(entry_ref) : nullptr;
  if (!e || e->status != EntryStatus::receiving) return "disallowed";  // cancelled, or already over
  const auto size = static_cast<std::int64_t>(bytes.size());
  std::string refusal;
  if (bytes.size() > upload->options().chunk_size) refusal = "chunk_too_large";
  else if (e->received + size > e->entry.client_size || e->received + size > upload->options().max_file_size)
    refusal = "file_size_limit_exceeded";
  else if (!write_entry_file(*e, bytes)) refusal = "io_error";
  if (!refusal.empty()) {
    fail(*upload, *e, refusal);
    return refusal;
  }
  place_.stats.bytes_received.fetch_add(bytes.size(), std::memory_order_relaxed);
  if (e->received == e->entry.client_size) {
    close_entry_file(*e);
    e->status = EntryStatus::complete;
    place_.stats.finished.fetch_add(1, std::memory_order_relaxed);
  }
  return "";
}

bool ViewUploads::end(std::string_view upload_ref, std::string_view entry_ref, std::string_view reason) {
  UploadState* upload = by_ref(upload_ref);
  EntryState* e = upload ? upload->find(entry_ref) : nullptr;
  if (!e || e->status != EntryStatus::receiving) return false;
  fail(*upload, *e, std::string(reason));
  return true;
}

void ViewUploads::fail(UploadState& upload, EntryState& entry, std::string reason) {
  discard(entry);
  entry.status = EntryStatus::failed;
  bump(place_.stats, reason);
  upload.put_error(entry.entry.ref, std::move(reason));
  if (changed_) changed_();
}

}  // namespace cohort::live
