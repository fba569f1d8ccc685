// minimal_server.cpp — `cohort-bench minimal-server --port P`: the yardstick for `echo`.
//
// What it is: the least a server must do to answer `cohort-bench echo`, so that Cohort's
// request/reply path can be stated as a fraction of it (docs/benchmarks.md, "The request/reply
// path"). One thread, one epoll set, level-triggered, plain TCP on 127.0.0.1.
// What it does: answers the WebSocket upgrade (finds Sec-WebSocket-Key, writes the 101; no
// extension is accepted), then finds frame boundaries only (the length field of each header)
// and answers every complete client frame with one fixed phx_reply. It parses nothing else: no
// masking undone, no UTF-8 check, no JSON. The reply's ref is the frame's count on its
// connection, which is the ref the bench used (each connection numbers its join, pushes and
// heartbeats 1, 2, 3, ...); the join_ref is always "1", the bench's join ref. A close frame
// closes the socket. All answers to one read leave in one write.
// Not a server for anything else: no limits, no timeouts, no TLS; a peer that stops reading
// makes its connection's buffer grow. Runs until killed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "modes.hpp"
#include "ws_handshake.hpp"

namespace cohort::bench {

namespace {

// About the size of Cohort's reply to the bench's ping (["1","7","room:echo-12","phx_reply",
// {"status":"ok","response":{"n":12}}]), so both servers write as many bytes.
constexpr std::string_view kReplyHead = "[\"1\",\"";
constexpr std::string_view kReplyTail = "\",\"room:echo\",\"phx_reply\",{\"status\":\"ok\",\"response\":{\"n\":0}}]";

struct Peer {
  int fd = -1;
  bool upgraded = false;
  std::uint64_t frames = 0;  // client frames answered: the last ref used
  std::string in;            // bytes not yet consumed (an incomplete head or frame)
  std::string out;           // bytes the socket did not take yet
};

// The length of the complete frame at the start of bytes, or 0 if it has not all arrived.
std::size_t frame_length(std::string_view bytes) {
  if (bytes.size() < 2) return 0;
  auto b = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
  std::uint64_t len = b(1) & 0x7F;
  std::size_t head = 2;
  if (len == 126) {
    if (bytes.size() < 4) return 0;
    len = (std::uint64_t{b(2)} << 8) | b(3);
    head = 4;
  } else if (len == 127) {
    if (bytes.size() < 10) return 0;
    len = 0;
    for (std::size_t i = 2; i < 10; ++i) len = (len << 8) | b(i);
    head = 10;
  }
  if (b(1) & 0x80) head += 4;  // the mask key
  return bytes.size() < head || bytes.size() - head < len ? 0 : head + static_cast<std::size_t>(len);
}

// Appends one reply frame (text, unmasked) carrying ref.
void append_reply(std::string& out, std::uint64_t ref) {
  char digits[24];
  auto end = std::to_chars(digits, digits + sizeof digits, ref).ptr;
  std::size_t len = kReplyHead.size() + static_cast<std::size_t>(end - digits) + kReplyTail.size();
  out.push_back(static_cast<char>(0x81));  // FIN + text
  out.push_back(static_cast<char>(len));   // always < 126
  out.append(kReplyHead).append(digits, end).append(kReplyTail);
}

// Answers the upgrade once its head has arrived; false when the head is not a WebSocket upgrade.
bool answer_upgrade(Peer& p) {
  std::size_t end = p.in.find("\r\n\r\n");
  if (end == std::string::npos) return true;  // wait for the rest
  constexpr std::string_view kKey = "Sec-WebSocket-Key: ";
  std::size_t k = p.in.find(kKey);
  if (k == std::string::npos || k > end) return false;
  std::size_t v = k + kKey.size();
  std::string_view key(p.in.data() + v, p.in.find("\r\n", v) - v);
  p.out += "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
  p.out += websocket_accept(key);
  p.out += "\r\n\r\n";
  p.in.erase(0, end + 4);
  p.upgraded = true;
  return true;
}

// Answers every complete frame in p.in; false when the peer sent a close frame.
bool answer_frames(Peer& p) {
  std::string_view rest(p.in);
  while (std::size_t n = frame_length(rest)) {
    if ((static_cast<std::uint8_t>(rest[0]) & 0x0F) == 0x8) return false;
    append_reply(p.out, ++p.frames);
    rest.remove_prefix(n);
  }
  p.in.erase(0, p.in.size() - rest.size());
  return true;
}

// Writes what p.out holds; false when the socket failed. Keeps what it did not take.
bool flush(Peer& p, int epoll) {
  if (p.out.empty()) return true;
  ssize_t n = ::send(p.fd, p.out.data(), p.out.size(), MSG_NOSIGNAL);
  if (n < 0 && errno != EAGAIN) return false;
  p.out.erase(0, n < 0 ? 0 : static_cast<std::size_t>(n));
  epoll_event ev{};
  ev.events = p.out.empty() ? EPOLLIN : EPOLLIN | EPOLLOUT;
  ev.data.fd = p.fd;
  if (!p.out.empty()) epoll_ctl(epoll, EPOLL_CTL_MOD, p.fd, &ev);
  return true;
}

// One readiness event of a peer; false when it should be closed.
bool serve(Peer& p, int epoll, std::uint32_t events, char* buffer, std::size_t size) {
  if (events & EPOLLOUT) {
    if (!flush(p, epoll)) return false;
    if (p.out.empty()) {
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.fd = p.fd;
      epoll_ctl(epoll, EPOLL_CTL_MOD, p.fd, &ev);
    }
  }
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return true;
  ssize_t n = ::recv(p.fd, buffer, size, 0);
  if (n == 0 || (n < 0 && errno != EAGAIN)) return false;
  if (n < 0) return true;
  p.in.append(buffer, static_cast<std::size_t>(n));
  if (!p.upgraded && !answer_upgrade(p)) return false;
  if (p.upgraded && !answer_frames(p)) return false;
  return flush(p, epoll);
}

int listen_on(unsigned port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 1024) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void accept_all(int listener, int epoll, std::unordered_map<int, Peer>& peers) {
  while (true) {
    int fd = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK);
    if (fd < 0) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &ev);
    peers[fd].fd = fd;
  }
}

}  // namespace

int run_minimal_server(unsigned port) {
  int listener = listen_on(port);
  if (listener < 0) return setup_failed("cannot listen on 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno));
  int epoll = epoll_create1(0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &ev);
  std::printf("cohort-bench minimal-server on ws://127.0.0.1:%u (any path)\n", port);
  std::fflush(stdout);
  std::unordered_map<int, Peer> peers;
  constexpr std::size_t kBuffer = 64 * 1024;
  auto buffer = std::make_unique<char[]>(kBuffer);
  epoll_event events[256];
  while (true) {
    int n = epoll_wait(epoll, events, 256, -1);
    if (n < 0 && errno != EINTR) return setup_failed(std::string("epoll_wait: ") + std::strerror(errno));
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == listener) {
        accept_all(listener, epoll, peers);
        continue;
      }
      auto it = peers.find(fd);
      if (it == peers.end() || serve(it->second, epoll, events[i].events, buffer.get(), kBuffer)) continue;
      ::close(fd);  // also leaves the epoll set
      peers.erase(it);
    }
  }
}

}  // namespace cohort::bench
