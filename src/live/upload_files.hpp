// upload_files.hpp — where a node keeps the files being uploaded to its live views, and how much.
//
// Owns: the upload directory (created mode 0700 at install; files a previous run left behind
// are deleted then), each entry's temporary file (a name of 24 random hex characters the node
// picks, created exclusively with mode 0600, never following a link), the node-wide budget of
// bytes those files may hold (Config::upload_max_temp_bytes: an entry reserves its declared size
// before its first byte and gives it back when its file goes), and the upload counters.
// Must never: use a name or path the client sent, or keep a file after its entry is gone.
// Threads: an UploadPlace is shared by every reactor; its budget and counters are atomics, its
// settings fixed at install. The file functions run on the entry's view's reactor.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cohort/json.hpp"
#include "live/upload_state.hpp"

namespace cohort::live {

// Counters for /metrics (cohort_live_upload*) and /metrics/live ("uploads"). Relaxed atomics (statistics only).
struct UploadStats {
  std::atomic<std::uint64_t> started{0};   // upload channels joined (an entry began sending)
  std::atomic<std::uint64_t> finished{0};  // entries whose every declared byte arrived
  std::atomic<std::uint64_t> consumed{0};
  std::atomic<std::uint64_t> bytes_received{0};
  // Refusals by reason: entries declared too big, of a type not accepted, beyond max_entries;
  // channel joins with a bad token or for an entry that may not send; a chunk past the declared
  // size or max_file_size, or larger than chunk_size; the node's budget full; a silent channel.
  std::atomic<std::uint64_t> refused_too_large{0};
  std::atomic<std::uint64_t> refused_not_accepted{0};
  std::atomic<std::uint64_t> refused_too_many_files{0};
  std::atomic<std::uint64_t> refused_token{0};
  std::atomic<std::uint64_t> refused_disallowed{0};
  std::atomic<std::uint64_t> refused_size_exceeded{0};
  std::atomic<std::uint64_t> refused_chunk_too_large{0};
  std::atomic<std::uint64_t> refused_temp_full{0};
  std::atomic<std::uint64_t> timed_out{0};
};

struct UploadPlace {
  std::string dir;                 // absolute or relative to the working directory
  std::int64_t max_temp_bytes = 0;
  std::size_t max_chunk = 0;       // the largest chunk a WebSocket frame can carry
  std::atomic<std::int64_t> temp_bytes{0};  // reserved now
  UploadStats stats;  // in /metrics as cohort_live_upload* (live_metrics.cpp)
};

// Creates dir (mode 0700) if needed and deletes the upload files a previous run left there.
// Returns an error message, or nullopt.
std::optional<std::string> prepare_upload_dir(const std::string& dir);

// Reserves entry's declared size from the budget and opens its file. Returns the refusal
// reason ("temp_full", "io_error"), or nullopt.
std::optional<std::string> open_entry_file(UploadPlace& place, EntryState& entry);
// Appends bytes; false on a write error.
bool write_entry_file(EntryState& entry, std::string_view bytes);
// Closes the descriptor (the file stays for consumption).
void close_entry_file(EntryState& entry);
// Closes and deletes the file (if any) and gives its reservation back.
void discard_entry_file(UploadPlace& place, EntryState& entry);

}  // namespace cohort::live
