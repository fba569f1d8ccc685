// transport.hpp — what a Phoenix socket runs on: a WebSocket or a LongPoll session.
//
// Owns nothing: a Transport is a non-owning handle to the one connection a socket handler was
// opened on (WsHandler::on_open), either a WsConnection or a LongPollSession, with the calls the
// channels socket makes on it (send a frame, a text or binary message, a shared broadcast frame;
// admit a message against the rate; close; is_open; its reactor and node context).
// Why a tagged handle and not a virtual interface: a WebSocket message goes through here on the
// hot path (fan-out sends one broadcast frame per subscriber); a branch the CPU predicts is
// cheaper than an indirect call and keeps WsConnection's methods inlinable. Owner-thread-only,
// like both connections; the handle is valid until the handler is told on_closed().
#pragma once

#include <cstddef>
#include <string_view>

#include "net/long_poll_session.hpp"
#include "net/ws_connection.hpp"

namespace cohort::net {

class Transport {
 public:
  Transport() = default;
  explicit Transport(WsConnection& ws) : ws_(&ws) {}
  explicit Transport(LongPollSession& poll) : poll_(&poll) {}

  explicit operator bool() const { return ws_ || poll_; }
  bool long_poll() const { return poll_ != nullptr; }

  // WsConnection::send: a complete frame (or consecutive pieces of one); broadcast = a shared
  // frame that waits for the reactor's flush round. A LongPoll session takes the message out.
  void send(const Frame& frame, bool broadcast = false) {
    if (ws_) [[likely]] return ws_->send(frame, broadcast);
    poll_->send(frame);
  }
  void send_text(std::string_view text) {
    if (ws_) [[likely]] return ws_->send_text(text);
    poll_->send_text(text);
  }
  void send_binary(std::string_view bytes) {
    if (ws_) [[likely]] return ws_->send_binary(bytes);
    poll_->send_binary(bytes);
  }
  Frame encode(ws::Opcode op, std::string_view payload) const {
    return ws_ ? ws_->encode(op, payload) : poll_->encode(op, payload);
  }
  std::size_t deflate_min() const { return ws_ ? ws_->deflate_min() : poll_->deflate_min(); }
  Admission take_message() { return ws_ ? ws_->take_message() : poll_->take_message(); }
  void close(ws::CloseCode code, std::string_view reason) {
    if (ws_) return ws_->close(code, reason);
    poll_->close(code, reason);
  }
  bool is_open() const { return ws_ ? ws_->is_open() : poll_->is_open(); }
  Reactor& reactor() { return ws_ ? ws_->reactor() : poll_->reactor(); }
  NetContext& net() { return ws_ ? ws_->net() : poll_->net(); }

 private:
  WsConnection* ws_ = nullptr;
  LongPollSession* poll_ = nullptr;
};

}  // namespace cohort::net
