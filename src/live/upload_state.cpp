// upload_state.cpp — one allowed upload's entries and rules: see upload_state.hpp.
#include "live/upload_state.hpp"

#include <algorithm>
#include <cstdio>

#include "cohort/input.hpp"

namespace cohort::live {

namespace {

// Bounds on what a client declares about a file: they are shown back, never trusted.
constexpr std::size_t kMaxRefBytes = 64;
constexpr std::size_t kMaxNameBytes = 255;
constexpr std::size_t kMaxTypeBytes = 127;

std::string lowered(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

// The first bytes of text, cut at a UTF-8 character boundary.
std::string clipped(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

std::string extension_of(std::string_view name) {
  auto slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return lowered(name.substr(dot));
}

std::string joined(const std::vector<std::string>& refs) {
  std::string out;
  for (const auto& r : refs) out += (out.empty() ? "" : ",") + r;
  return out;
}

}  // namespace

bool accepted(const std::vector<std::string>& accept, std::string_view name, std::string_view type) {
  if (accept.empty()) return true;
  const std::string ext = extension_of(name);
  const std::string mime = lowered(type);
  for (const auto& raw : accept) {
    const std::string a = lowered(raw);
    if (a.starts_with(".")) {
      if (!ext.empty() && a == ext) return true;
    } else if (a.ends_with("/*")) {
      if (mime.size() > a.size() - 1 && mime.starts_with(std::string_view(a).substr(0, a.size() - 1))) return true;
    } else if (!mime.empty() && a == mime) {
      return true;
    }
  }
  return false;
}

std::string size_text(std::int64_t bytes) {
  char buf[32];
  if (bytes < 1000) std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  else if (bytes < 1'000'000) std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(bytes) / 1e3);
  else if (bytes < 1'000'000'000) std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  else std::snprintf(buf, sizeof buf, "%.1f GB", static_cast<double>(bytes) / 1e9);
  return buf;
}

UploadState::UploadState(std::string name, std::string ref, UploadOptions options)
    : name_(std::move(name)), ref_(std::move(ref)), options_(std::move(options)) {
  options_.max_entries = std::max(1, options_.max_entries);
  options_.max_file_size = std::max<std::int64_t>(0, options_.max_file_size);
}

EntryState* UploadState::find(std::string_view ref) {
  for (auto& e : entries_)
    if (e.entry.ref == ref) return &e;
  return nullptr;
}

bool UploadState::put_entries(const Json& declared, std::vector<EntryState>& dropped) {
  if (!declared.is_array()) return true;
  const auto& list = declared.get_array();
  // One file at a time: a newly chosen file replaces the one before (Phoenix does the same).
  if (options_.max_entries == 1 && list.size() == 1 && list[0].is_object()) {
    std::string ref = input::text(list[0], "ref");
    if (!ref.empty() && !find(ref)) {
      for (auto& e : entries_) dropped.push_back(std::move(e));
      entries_.clear();
      errors_.clear();
    }
  }
  for (const auto& d : list)
    if (d.is_object()) add_entry(d.get_object());
  recount();
  // An auto upload goes on with the valid entries within max_entries; a manual one waits until
  // the errors are gone (Phoenix does the same).
  if (options_.auto_upload) return true;
  return errors_.empty();
}

void UploadState::add_entry(const JsonObject& d) {
  std::string ref = input::text(d, "ref");
  if (ref.empty() || ref.size() > kMaxRefBytes || ref == ref_ || find(ref)) return;
  if (static_cast<int>(entries_.size()) >= options_.max_entries + kExtraEntries) return;
  EntryState e;
  e.entry.ref = std::move(ref);
  e.entry.client_name = clipped(input::text(d, "name"), kMaxNameBytes);
  e.entry.client_type = clipped(input::text(d, "type"), kMaxTypeBytes);
  const Json* size = input::arg(d, "size");
  const std::int64_t bytes = size && size->is_number() ? input::integer(d, "size").value_or(-1) : -1;
  e.entry.client_size = bytes;
  if (const Json* lm = input::arg(d, "last_modified"); lm && lm->is_number())
    e.entry.client_last_modified = input::integer(d, "last_modified").value_or(0);
  std::string error;
  if (bytes < 0 || bytes > options_.max_file_size) error = "too_large";
  else if (!accepted(options_.accept, e.entry.client_name, e.entry.client_type)) error = "not_accepted";
  e.entry.valid = error.empty();
  e.status = error.empty() ? EntryStatus::unregistered : EntryStatus::invalid;
  if (!error.empty()) e.entry.errors.push_back(error);
  std::string entry_ref = e.entry.ref;
  entries_.push_back(std::move(e));
  if (!error.empty()) errors_.emplace_back(entry_ref, error);
}

void UploadState::recount() {
  bool too_many = static_cast<int>(entries_.size()) > options_.max_entries;
  auto it = std::find(errors_.begin(), errors_.end(), std::pair<std::string, std::string>{ref_, "too_many_files"});
  if (too_many && it == errors_.end()) errors_.emplace_back(ref_, "too_many_files");
  if (!too_many && it != errors_.end()) errors_.erase(it);
}

UploadState::Preflight UploadState::preflight(const std::vector<std::string>& refs) {
  Preflight out;
  for (std::size_t i = 0; i < entries_.size() && static_cast<int>(i) < options_.max_entries; ++i) {
    EntryState& e = entries_[i];
    if (e.preflighted || std::find(refs.begin(), refs.end(), e.entry.ref) == refs.end()) continue;
    e.preflighted = true;
    if (e.entry.valid) {
      out.allowed.push_back(e.entry.ref);
    } else {
      json::array reasons;
      for (const auto& r : e.entry.errors) reasons.push_back(json::string_view(r));
      out.errors[e.entry.ref] = std::move(reasons);
    }
  }
  return out;
}

bool UploadState::progress(std::string_view ref, int percent) {
  EntryState* e = find(ref);
  if (!e || percent < 0 || percent > 100 || !e->entry.valid) return false;
  if (percent == 100) {
    if (e->status != EntryStatus::complete) return true;  // a claim the bytes do not back yet
    e->entry.done = true;
  }
  e->entry.progress = std::max(e->entry.progress, percent);
  return true;
}

void UploadState::put_error(std::string_view ref, std::string reason) {
  if (EntryState* e = find(ref)) {
    if (std::find(e->entry.errors.begin(), e->entry.errors.end(), reason) == e->entry.errors.end())
      e->entry.errors.push_back(reason);
    e->entry.valid = false;
  }
  std::pair<std::string, std::string> pair{std::string(ref), std::move(reason)};
  if (std::find(errors_.begin(), errors_.end(), pair) == errors_.end()) errors_.push_back(std::move(pair));
}

void UploadState::drop(std::string_view ref) {
  std::erase_if(entries_, [&](const EntryState& e) { return e.entry.ref == ref; });
  std::erase_if(errors_, [&](const auto& p) { return p.first == ref; });
  recount();
}

json::array UploadState::error_pairs() const {
  json::array out;
  for (const auto& [ref, reason] : errors_) out.push_back(json::array{json::string_view(ref), json::string_view(reason)});
  return out;
}

Json UploadState::assign() const {
  json::array entries;
  std::vector<std::string> active, done, preflighted, error_refs, upload_errors;
  for (const auto& e : entries_) {
    const UploadEntry& u = e.entry;
    json::array errors;
    for (const auto& r : u.errors) errors.push_back(json::string_view(r));
    entries.push_back(JsonObject{{"id", u.ref},
                                 {"ref", u.ref},
                                 {"client_name", u.client_name},
                                 {"client_size", u.client_size},
                                 {"client_type", u.client_type},
                                 {"size_text", size_text(std::max<std::int64_t>(0, u.client_size))},
                                 {"progress", u.progress},
                                 {"done", u.done},
                                 {"valid", u.valid},
                                 {"preflighted", e.preflighted},
                                 {"errors", std::move(errors)}});
    active.push_back(u.ref);
    if (u.done) done.push_back(u.ref);
    if (e.preflighted) preflighted.push_back(u.ref);
  }
  for (const auto& [ref, reason] : errors_) {
    if (std::find(error_refs.begin(), error_refs.end(), ref) == error_refs.end()) error_refs.push_back(ref);
    if (ref == ref_) upload_errors.push_back(reason);
  }
  json::array config_errors;
  for (const auto& r : upload_errors) config_errors.push_back(json::string_view(r));
  return JsonObject{{"ref", ref_},
                    {"name", name_},
                    {"accept", joined(options_.accept)},
                    {"max_entries", options_.max_entries},
                    {"max_file_size", options_.max_file_size},
                    {"auto_upload", options_.auto_upload},
                    {"multiple", options_.max_entries > 1},
                    {"entries", std::move(entries)},
                    {"errors", std::move(config_errors)},
                    {"active_refs", joined(active)},
                    {"done_refs", joined(done)},
                    {"preflighted_refs", joined(preflighted)},
                    {"error_refs", joined(error_refs)}};
}

}  // namespace cohort::live
