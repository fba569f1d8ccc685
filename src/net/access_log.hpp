// access_log.hpp — the access log (--access-log, category access): one line per HTTP request,
// one when a WebSocket or LongPoll session opens and one when it closes.
//
// Owns: the lines' events and fields (docs/operations.md, Logs): `request` (method, path
// without the query string, status, bytes written, duration_ms, client), `session_open`
// (transport, path, client) and `session_close` (transport, path, client, duration_ms, code,
// closed_by: client, server, or network when the connection ended without a close frame;
// messages_in and bytes_in: the data messages received and their payload bytes; bytes_out: the
// bytes of the data it was given to send (WebSocket: whole frames, as written; LongPoll: the
// messages' text), control frames not counted).
// Cost: a connection or request pays one branch (log::access_on()) while the log is off; a
// session's record (SessionAccess) exists only while it is on, so an idle socket holds one null
// pointer for it. Paths are client input: clipped and escaped (log_clip.hpp). Owner-thread-only
// records; the functions are any-thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace cohort::net {

struct SessionAccess {
  std::string_view transport;  // "websocket" or "longpoll"
  std::string path;
  std::string client;
  std::chrono::steady_clock::time_point opened = std::chrono::steady_clock::now();
  unsigned code = 1006;  // RFC 6455: closed without a close frame
  std::string_view closed_by = "network";
  bool closing = false;
  std::uint64_t messages_in = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;

  void received(std::size_t payload_bytes) {
    ++messages_in;
    bytes_in += payload_bytes;
  }

  // The first close of the session says how it ended (the later echo does not).
  void closed(unsigned close_code, std::string_view by) {
    if (closing) return;
    closing = true;
    code = close_code;
    closed_by = by;
  }
};

// A session's record, with its session_open line written; null when the access log is off.
std::unique_ptr<SessionAccess> open_session_access(std::string_view transport, std::string_view path,
                                                   std::string client);
// Writes the session_close line.
void log_session_close(const SessionAccess& access);
void log_request(std::string_view method, std::string_view target, unsigned status, std::size_t bytes,
                 std::chrono::steady_clock::duration took, std::string_view client);

}  // namespace cohort::net
