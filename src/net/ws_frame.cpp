// ws_frame.cpp — RFC 6455 framing: see ws_frame.hpp for the contract.
#include "net/ws_frame.hpp"

#include "net/ws_deflate.hpp"

#include <algorithm>
#include <cstring>

namespace cohort::net::ws {

namespace {

bool is_control(Opcode op) { return static_cast<std::uint8_t>(op) & 0x8; }

bool known_opcode(std::uint8_t op) {
  return op == 0x0 || op == 0x1 || op == 0x2 || op == 0x8 || op == 0x9 || op == 0xA;
}

// Releases a string's heap block once it is no longer needed, so idle connections hold none.
void release(std::string& s) {
  if (s.capacity() > 64) std::string().swap(s);
  else s.clear();
}

// A close body is empty, or a valid code plus a UTF-8 reason (RFC 6455 5.5.1, 7.4).
bool valid_close_body(std::string_view body) {
  if (body.empty()) return true;
  if (body.size() == 1) return false;
  unsigned code = (static_cast<std::uint8_t>(body[0]) << 8) | static_cast<std::uint8_t>(body[1]);
  bool code_ok = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                 (code >= 3000 && code <= 4999);
  return code_ok && valid_utf8(body.substr(2));
}

// The inflate buffer a thread keeps between messages; a bigger one is freed after use.
constexpr std::size_t kKeepInflated = 256 * 1024;

}  // namespace

std::size_t write_header(std::uint8_t* out, Opcode op, std::uint64_t len, bool fin,
                         const std::uint8_t* mask) {
  std::size_t n = 0;
  out[n++] = static_cast<std::uint8_t>((fin ? 0x80 : 0x00) | static_cast<std::uint8_t>(op));
  std::uint8_t mask_bit = mask ? 0x80 : 0x00;
  if (len < 126) {
    out[n++] = mask_bit | static_cast<std::uint8_t>(len);
  } else if (len <= 0xFFFF) {
    out[n++] = mask_bit | 126;
    out[n++] = static_cast<std::uint8_t>(len >> 8);
    out[n++] = static_cast<std::uint8_t>(len);
  } else {
    out[n++] = mask_bit | 127;
    for (int i = 7; i >= 0; --i) out[n++] = static_cast<std::uint8_t>(len >> (8 * i));
  }
  if (mask) {
    std::memcpy(out + n, mask, 4);
    n += 4;
  }
  return n;
}

std::string encode_frame(Opcode op, std::string_view payload, bool fin) {
  std::uint8_t header[kMaxHeaderSize];
  std::size_t h = write_header(header, op, payload.size(), fin);
  std::string frame;
  frame.reserve(h + payload.size());
  frame.append(reinterpret_cast<const char*>(header), h);
  frame.append(payload);
  return frame;
}

std::string encode_masked_frame(Opcode op, std::string_view payload, std::uint32_t mask_key,
                                bool fin) {
  std::uint8_t mask[4];
  std::memcpy(mask, &mask_key, 4);
  std::uint8_t header[kMaxHeaderSize];
  std::size_t h = write_header(header, op, payload.size(), fin, mask);
  std::string frame;
  frame.reserve(h + payload.size());
  frame.append(reinterpret_cast<const char*>(header), h);
  frame.append(payload);
  apply_mask(reinterpret_cast<std::uint8_t*>(frame.data() + h), payload.size(), mask, 0);
  return frame;
}

std::string encode_close(CloseCode code, std::string_view reason, bool masked) {
  std::string body;
  auto c = static_cast<std::uint16_t>(code);
  body.push_back(static_cast<char>(c >> 8));
  body.push_back(static_cast<char>(c & 0xFF));
  // At most 123 bytes of reason, cut back to a character boundary so it stays UTF-8.
  std::size_t n = std::min<std::size_t>(reason.size(), 123);
  if (n < reason.size())
    while (n > 0 && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) --n;
  body.append(reason.substr(0, n));
  return masked ? encode_masked_frame(Opcode::close, body, 0x5a17c0de) : encode_frame(Opcode::close, body);
}

void apply_mask(std::uint8_t* data, std::size_t len, const std::uint8_t mask[4], std::size_t offset) {
  std::size_t i = 0;
  // Align the key to the offset, then go 8 bytes at a time.
  std::uint8_t key[8];
  for (int k = 0; k < 8; ++k) key[k] = mask[(offset + k) % 4];
  std::uint64_t wide;
  std::memcpy(&wide, key, 8);
  for (; i + 8 <= len; i += 8) {
    std::uint64_t chunk;
    std::memcpy(&chunk, data + i, 8);
    chunk ^= wide;
    std::memcpy(data + i, &chunk, 8);
  }
  for (; i < len; ++i) data[i] ^= mask[(offset + i) % 4];
}

bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    // Fast path: 8 ASCII bytes at once.
    if (end - p >= 8) {
      std::uint64_t chunk;
      std::memcpy(&chunk, p, 8);
      if ((chunk & 0x8080808080808080ULL) == 0) {
        p += 8;
        continue;
      }
    }
    unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the first continuation byte
    if (c >= 0xC2 && c <= 0xDF) extra = 1;
    else if (c == 0xE0) { extra = 2; lo = 0xA0; }
    else if (c >= 0xE1 && c <= 0xEC) extra = 2;
    else if (c == 0xED) { extra = 2; hi = 0x9F; }  // no UTF-16 surrogates
    else if (c >= 0xEE && c <= 0xEF) extra = 2;
    else if (c == 0xF0) { extra = 3; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) extra = 3;
    else if (c == 0xF4) { extra = 3; hi = 0x8F; }  // nothing above U+10FFFF
    else return false;
    if (end - p <= extra) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (int k = 2; k <= extra; ++k)
      if ((p[k] & 0xC0) != 0x80) return false;
    p += extra + 1;
  }
  return true;
}

bool FrameReader::fail(CloseCode code, std::string_view reason) {
  failed_ = true;
  error_ = FrameError{code, reason};
  release(pending_);
  release(message_);
  return false;
}

bool FrameReader::feed(std::uint8_t* data, std::size_t len, FrameSink& sink) {
  if (failed_) return false;
  if (closed_) return true;
  if (pending_.empty()) {
    long used = consume(data, len, sink);
    if (used < 0) return false;
    if (!closed_ && static_cast<std::size_t>(used) < len)
      pending_.assign(reinterpret_cast<const char*>(data) + used, len - used);
    return true;
  }
  // A partial frame is waiting: join it with the new bytes and decode from there.
  pending_.append(reinterpret_cast<const char*>(data), len);
  std::string joined;
  joined.swap(pending_);
  long used = consume(reinterpret_cast<std::uint8_t*>(joined.data()), joined.size(), sink);
  if (used < 0) return false;
  if (!closed_ && static_cast<std::size_t>(used) < joined.size()) {
    joined.erase(0, used);
    pending_.swap(joined);
  }
  return true;
}

long FrameReader::consume(std::uint8_t* data, std::size_t len, FrameSink& sink) {
  std::size_t pos = 0;
  while (!closed_ && len - pos >= 2) {
    const std::uint8_t* p = data + pos;
    bool fin = p[0] & 0x80;
    bool rsv1 = p[0] & kRsv1;
    if ((p[0] & 0x30) || (rsv1 && !deflate_)) return fail(CloseCode::protocol_error, "reserved bits set"), -1;
    std::uint8_t raw_op = p[0] & 0x0F;
    if (!known_opcode(raw_op)) return fail(CloseCode::protocol_error, "unknown opcode"), -1;
    auto op = static_cast<Opcode>(raw_op);
    if (rsv1 && (is_control(op) || op == Opcode::continuation))
      return fail(CloseCode::protocol_error, "RSV1 on a control or continuation frame"), -1;
    bool masked = p[1] & 0x80;
    if (masked != expect_masked_)
      return fail(CloseCode::protocol_error, expect_masked_ ? "unmasked client frame" : "masked server frame"), -1;
    std::uint64_t plen = p[1] & 0x7F;
    std::size_t h = 2;
    if (plen == 126) {
      if (len - pos < 4) break;
      plen = (std::uint64_t{p[2]} << 8) | p[3];
      if (plen < 126) return fail(CloseCode::protocol_error, "non-minimal length"), -1;
      h = 4;
    } else if (plen == 127) {
      if (len - pos < 10) break;
      plen = 0;
      for (int i = 0; i < 8; ++i) plen = (plen << 8) | p[2 + i];
      if (plen >> 63) return fail(CloseCode::protocol_error, "length high bit set"), -1;
      if (plen <= 0xFFFF) return fail(CloseCode::protocol_error, "non-minimal length"), -1;
      h = 10;
    }
    if (is_control(op) && (plen > 125 || !fin))
      return fail(CloseCode::protocol_error, "bad control frame"), -1;
    // The size limit is checked on the header, before any payload is buffered.
    if (!is_control(op) && plen + message_.size() > max_message_)
      return fail(CloseCode::too_big, "message too big"), -1;
    const std::uint8_t* mask = nullptr;
    if (masked) {
      if (len - pos < h + 4) break;
      mask = p + h;
      h += 4;
    }
    if (len - pos - h < plen) break;
    std::uint8_t* payload = data + pos + h;
    if (mask) apply_mask(payload, plen, mask, 0);
    if (!on_frame(fin, rsv1, op, {reinterpret_cast<const char*>(payload), plen}, sink)) return -1;
    pos += h + plen;
  }
  return static_cast<long>(pos);
}

bool FrameReader::deliver(Opcode op, std::string_view payload, bool deflated, FrameSink& sink) {
  if (!deflated) {
    if (op == Opcode::text && !valid_utf8(payload)) return fail(CloseCode::invalid_payload, "text is not UTF-8");
    sink.on_message(op, payload);
    return true;
  }
  if (sink.on_deflated_message(op, payload)) return true;
  thread_local std::string inflated;  // reused by every connection of the thread, one at a time
  switch (thread_inflater().inflate(payload, max_message_, inflated)) {
    case InflateResult::too_big:
      return fail(CloseCode::too_big, "message too big once inflated");
    case InflateResult::bad_data:
      return fail(CloseCode::invalid_payload, "bad permessage-deflate data");
    case InflateResult::ok:
      break;
  }
  std::string message;
  message.swap(inflated);  // the sink may feed another reader of this thread: hand it a private buffer
  bool ok = deliver(op, message, false, sink);
  if (inflated.empty() && message.capacity() <= kKeepInflated) inflated.swap(message);
  return ok;
}

bool FrameReader::on_frame(bool fin, bool rsv1, Opcode op, std::string_view payload, FrameSink& sink) {
  switch (op) {
    case Opcode::close:
      if (!valid_close_body(payload)) return fail(CloseCode::protocol_error, "bad close frame");
      closed_ = true;
      release(pending_);
      release(message_);
      sink.on_control(op, payload);
      return true;
    case Opcode::ping:
    case Opcode::pong:
      sink.on_control(op, payload);
      return true;
    case Opcode::continuation:
      if (!in_message_) return fail(CloseCode::protocol_error, "continuation without a message");
      message_.append(payload);
      if (!fin) return true;
      in_message_ = false;
      if (!deliver(message_op_, message_, message_deflated_, sink)) return false;
      release(message_);
      return true;
    case Opcode::text:
    case Opcode::binary:
      if (in_message_) return fail(CloseCode::protocol_error, "new message inside a fragmented one");
      if (fin) return deliver(op, payload, rsv1, sink);
      in_message_ = true;
      message_op_ = op;
      message_deflated_ = rsv1;
      message_.assign(payload);
      return true;
  }
  return fail(CloseCode::protocol_error, "unknown opcode");
}

}  // namespace cohort::net::ws
