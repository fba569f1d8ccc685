// view_uploads.hpp — the uploads of one mounted live view: what it allowed, what the client
// declared and sent, and the files that hold it.
//
// Owns: the view's UploadStates by name (and by ref); the client's side of the protocol on the
// lv: topic (entries declared with a form change, "allow_upload" with its signed tokens,
// "progress"); the receiving side for the lvu: channel (start, chunk, end), which enforces the
// limits as bytes arrive; consumption and cancellation; the "uploads" assign; and deleting
// every file when the view ends. A per-reactor directory finds a view's uploads by view id for
// the lvu: channel, which runs on the same socket and so the same reactor.
// Must never: keep a file after its entry is consumed, cancelled, cut off or its view ended; let
// an entry receive more than it declared, or more than max_file_size; accept a token for another
// view, upload or entry.
// Threads: owner-thread-only (the view's reactor).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cohort/token.hpp"
#include "live/upload_files.hpp"
#include "live/upload_state.hpp"

namespace cohort::live {

class ViewUploads {
 public:
  // An upload token lasts this long: the client joins its lvu: channel right after the preflight.
  static constexpr std::chrono::minutes kTokenTtl{10};

  // changed: called when the receiving side changed what the view shows (an entry cut off).
  ViewUploads(UploadPlace& place, const TokenSigner* signer, std::string view_id, std::function<void()> changed);
  ~ViewUploads();
  ViewUploads(const ViewUploads&) = delete;
  ViewUploads& operator=(const ViewUploads&) = delete;

  // --- The view's API ---
  void allow(std::string name, UploadOptions options);
  void cancel(std::string_view name, std::string_view ref);
  std::vector<Json> consume(std::string_view name, const ConsumeUpload& fn);
  Json assign() const;  // {name: UploadState::assign(), ...}

  // --- The lv: topic ---
  // A form event's "uploads" ({upload ref: [declared entries]}).
  void declare(const Json& uploads);
  // "allow_upload" {ref, entries}: the reply {ref, config, entries: {ref: token}, errors} or
  // {ref, error: [[ref, reason], ...]}.
  JsonObject preflight(const Json& payload);
  // "progress" {ref, entry_ref, progress}: the entry after it (for the progress callback) and the
  // options it belongs to, when it is known.
  struct Progressed {
    UploadEntry entry;
    const UploadOptions* options;
  };
  std::optional<Progressed> progress(const Json& payload);

  // --- The lvu: channel (upload_channel.hpp) ---
  struct Receiving {
    std::size_t chunk_size;
    std::chrono::milliseconds chunk_timeout;
  };
  // The entry (upload_ref, entry_ref) starts receiving: its file is opened. nullopt and reason
  // set when it may not ("disallowed", "temp_full", "io_error").
  std::optional<Receiving> start(std::string_view upload_ref, std::string_view entry_ref, std::string& reason);
  // One chunk: "" when written, else why the upload is over ("file_size_limit_exceeded",
  // "chunk_too_large", "disallowed", "io_error"): the entry then failed and its file is gone.
  std::string chunk(std::string_view upload_ref, std::string_view entry_ref, std::string_view bytes);
  // The channel ended: an entry that did not receive every byte fails (reason), its file
  // deleted; returns whether it did.
  bool end(std::string_view upload_ref, std::string_view entry_ref, std::string_view reason);

  // Verifies an upload token: {view id, upload ref, entry ref} or nullopt.
  struct Claims {
    std::string view, upload, entry;
  };
  static std::optional<Claims> verify(const TokenSigner& signer, std::string_view token);

  // Deletes every file (the view ended).
  void clear();

 private:
  UploadState* by_ref(std::string_view ref);
  UploadState* by_name(std::string_view name);
  void discard(EntryState& entry);
  void fail(UploadState& upload, EntryState& entry, std::string reason);
  void count_errors(const UploadState& upload, std::size_t from);

  UploadPlace& place_;
  const TokenSigner* signer_;
  std::string view_id_;
  std::function<void()> changed_;
  std::map<std::string, UploadState, std::less<>> uploads_;  // by name
};

// The per-reactor directory the lvu: channel finds a view's uploads in.
void publish_uploads(const std::string& view_id, const std::shared_ptr<ViewUploads>& uploads);
void withdraw_uploads(const std::string& view_id, const ViewUploads* uploads);
std::shared_ptr<ViewUploads> find_uploads(std::string_view view_id);

}  // namespace cohort::live
