// access_log.cpp — the access log's lines (access_log.hpp).
#include "net/access_log.hpp"

#include "log/log.hpp"
#include "net/log_clip.hpp"

namespace cohort::net {

namespace {
// A path is client input: long enough for real routes, never kilobytes per line.
constexpr std::size_t kPathBytes = 512;

std::int64_t ms_of(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}
}  // namespace

std::unique_ptr<SessionAccess> open_session_access(std::string_view transport, std::string_view path,
                                                   std::string client) {
  if (!log::access_on()) return nullptr;
  auto access = std::make_unique<SessionAccess>();
  access->transport = transport;
  access->path = log_clip(path, kPathBytes);
  access->client = std::move(client);
  log::event(log::Category::access, log::Level::info, "session_open",
             {{"transport", transport}, {"path", access->path}, {"client", access->client}});
  return access;
}

void log_session_close(const SessionAccess& a) {
  log::event(log::Category::access, log::Level::info, "session_close",
             {{"transport", a.transport},
              {"path", a.path},
              {"client", a.client},
              {"duration_ms", ms_of(std::chrono::steady_clock::now() - a.opened)},
              {"code", a.code},
              {"closed_by", a.closed_by},
              {"messages_in", a.messages_in},
              {"bytes_in", a.bytes_in},
              {"bytes_out", a.bytes_out}});
}

void log_request(std::string_view method, std::string_view target, unsigned status, std::size_t bytes,
                 std::chrono::steady_clock::duration took, std::string_view client) {
  const std::string path = log_clip(target.substr(0, target.find('?')), kPathBytes);
  log::event(log::Category::access, log::Level::info, "request",
             {{"method", log_clip(method, 32)},
              {"path", path},
              {"status", status},
              {"bytes", bytes},
              {"duration_ms", ms_of(took)},
              {"client", client}});
}

}  // namespace cohort::net
