// cohort/upload.hpp — file uploads to a live view, as Phoenix LiveView does them (docs/live.md, Uploads).
//
// What it provides: the options of Socket::allow_upload and what Socket::consume_uploaded_entries
// hands the app. A view allows an upload by name in mount; its template renders the file input
// from the "uploads" assign; the official phoenix_live_view client then declares the chosen
// files, the node validates them (size, type, count) and gives each valid one a signed token,
// and the client sends the file over the same socket in chunks (topic "lvu:<ref>"). The file
// lands in a temporary file only the node names; the view consumes it (copies what it keeps)
// and the node deletes it. What the client declares (name, size, MIME type) is its claim: the
// node enforces the size while receiving, but never reads the type from the bytes.
//
// Limits: max_entries files per upload, max_file_size bytes per file (a chunk past it, or past
// the size the client declared, ends the upload and deletes what arrived), chunk_size bytes per
// chunk (at most Config::max_frame less 1 KiB), and Config::upload_max_temp_bytes for all the
// files being held by a node at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cohort/json.hpp"

namespace cohort::live {

class Socket;

// One file of an upload, as the view sees it. client_* fields are what the browser declared.
struct UploadEntry {
  std::string ref;          // the client's ref for the file (unique within the upload)
  std::string client_name;  // the file's name on the client: never a path on the server
  std::string client_type;  // the declared MIME type (the client's claim)
  std::int64_t client_size = 0;
  std::int64_t client_last_modified = 0;
  int progress = 0;   // 0..100, as the client reports it
  bool done = false;  // every declared byte has arrived and the client reported 100
  bool valid = false;
  std::vector<std::string> errors;  // "too_large", "not_accepted", ...
};

struct UploadOptions {
  // Accepted files: extensions (".png"), MIME types ("image/png") or "image/*", "audio/*",
  // "video/*". A file is accepted when its name's extension or its declared type is listed.
  // Empty: any file.
  std::vector<std::string> accept;
  int max_entries = 1;
  std::int64_t max_file_size = 8'000'000;
  std::size_t chunk_size = 64'000;
  std::chrono::milliseconds chunk_timeout{10'000};  // a channel silent this long is ended
  // true: files upload as soon as they are chosen (the input's change); false: when the form is
  // submitted, before the submit event reaches the view.
  bool auto_upload = false;
  // Called after each progress report of an entry (e.g. to consume it as soon as it is done).
  std::function<void(const UploadEntry& entry, Socket& socket)> progress;
};

// consume_uploaded_entries's callback: path is the temporary file (read or copy it now: it is
// deleted right after); the return value is collected.
using ConsumeUpload = std::function<Json(const std::string& path, const UploadEntry& entry)>;

}  // namespace cohort::live
