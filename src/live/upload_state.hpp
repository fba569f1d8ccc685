// upload_state.hpp — one allowed upload of a live view: its options, the entries the client
// declared, their errors, and the rules that judge them (Phoenix LiveView's UploadConfig).
//
// Owns: validation of declared entries (size against max_file_size, name and type against
// accept, count against max_entries), the preflight verdict (which entries may send their file),
// progress, and the "uploads.<name>" assign a template reads. Each entry also carries the
// bookkeeping of its temporary file (path, descriptor, bytes received, bytes reserved), which
// upload_files.hpp fills in.
// Must never: touch the file system, sign tokens or trust a declared size once bytes arrive
// (view_uploads.hpp counts them). Pure data; owner-thread-only like its view.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cohort/json.hpp"
#include "cohort/upload.hpp"

namespace cohort::live {

// Where an entry is: declared valid and waiting for its channel, refused, receiving bytes, all
// its declared bytes in, or cut off (its partial file deleted).
enum class EntryStatus { unregistered, invalid, receiving, complete, failed };

struct EntryState {
  UploadEntry entry;
  bool preflighted = false;
  EntryStatus status = EntryStatus::unregistered;
  // Its temporary file (upload_files.hpp): set while receiving and once complete.
  std::string path;
  int fd = -1;
  std::int64_t received = 0;  // bytes written
  std::int64_t reserved = 0;  // bytes of the node's budget held for it
};

// Whether a file named name with declared MIME type is accepted by accept (see UploadOptions).
bool accepted(const std::vector<std::string>& accept, std::string_view name, std::string_view type);

// "12 KB", "3.4 MB": a size for people.
std::string size_text(std::int64_t bytes);

class UploadState {
 public:
  // Entries beyond max_entries that are still recorded (to show too_many_files); more are ignored.
  static constexpr int kExtraEntries = 16;

  UploadState(std::string name, std::string ref, UploadOptions options);

  const std::string& name() const { return name_; }
  const std::string& ref() const { return ref_; }
  const UploadOptions& options() const { return options_; }
  std::vector<EntryState>& entries() { return entries_; }
  const std::vector<EntryState>& entries() const { return entries_; }
  // (ref, reason): a reason under the upload's own ref is about the whole upload (too_many_files).
  const std::vector<std::pair<std::string, std::string>>& errors() const { return errors_; }

  // Records the declared entries ([{ref, name, size, type, last_modified}]) not known yet, each
  // valid or invalid with its reason. With max_entries 1, one new file replaces the old one: the
  // replaced entries are moved into dropped (their files are the caller's to delete). Returns
  // false when the client must not upload: without auto_upload, when the upload has any error
  // (too many files, an invalid entry); with it, never (the valid entries within max_entries go).
  bool put_entries(const Json& declared, std::vector<EntryState>& dropped);

  struct Preflight {
    std::vector<std::string> allowed;  // valid entries that may send their file now
    JsonObject errors;                 // {ref: [reason, ...]} for invalid ones
  };
  // Marks the requested entries among the first max_entries preflighted and judges them.
  Preflight preflight(const std::vector<std::string>& refs);

  EntryState* find(std::string_view ref);
  // The client's progress (0..100). 100 makes the entry done only once every declared byte has
  // arrived (status complete); before that it is ignored. False for an unknown ref.
  bool progress(std::string_view ref, int percent);
  void put_error(std::string_view ref, std::string reason);
  // Removes the entry and its errors; the caller has dealt with its file.
  void drop(std::string_view ref);
  // The error list as [[ref, reason], ...] (allow_upload's error reply).
  json::array error_pairs() const;

  Json assign() const;

 private:
  void add_entry(const JsonObject& declared);
  void recount();  // too_many_files comes and goes with the number of entries

  std::string name_;
  std::string ref_;
  UploadOptions options_;
  std::vector<EntryState> entries_;
  std::vector<std::pair<std::string, std::string>> errors_;
};

}  // namespace cohort::live
