// ws_deflate.cpp — permessage-deflate payloads with zlib: see ws_deflate.hpp for the contract.
#include "net/ws_deflate.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace cohort::net::ws {

namespace {
// RFC 7692 7.2.1: a sender removes these 4 bytes (an empty stored block) from the end of a
// message compressed with a sync flush; the receiver puts them back before inflating.
constexpr unsigned char kTail[4] = {0x00, 0x00, 0xff, 0xff};
constexpr int kWindowBits = 15;  // raw DEFLATE (negative windowBits below), 32 KiB window
constexpr int kMemLevel = 8;
}  // namespace

struct Deflater::State {
  z_stream z{};
};

Deflater::Deflater(int level) : state_(std::make_unique<State>()) {
  if (deflateInit2(&state_->z, level, Z_DEFLATED, -kWindowBits, kMemLevel, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::bad_alloc();
}

Deflater::~Deflater() { deflateEnd(&state_->z); }

void Deflater::compress(std::string_view in, std::string& out, bool keep_tail) {
  z_stream& z = state_->z;
  deflateReset(&z);  // no context takeover: every message starts from an empty window
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::size_t start = out.size();
  for (;;) {
    std::size_t room = deflateBound(&z, z.avail_in) + 16;
    std::size_t at = out.size();
    out.resize(at + room);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + at);
    z.avail_out = static_cast<uInt>(room);
    deflate(&z, Z_SYNC_FLUSH);
    out.resize(out.size() - z.avail_out);
    if (z.avail_in == 0 && z.avail_out != 0) break;  // all input consumed and flushed
  }
  if (!keep_tail && out.size() - start >= 4 && std::memcmp(out.data() + out.size() - 4, kTail, 4) == 0)
    out.resize(out.size() - 4);
}

struct Inflater::State {
  z_stream z{};
};

Inflater::Inflater() : state_(std::make_unique<State>()) {
  if (inflateInit2(&state_->z, -kWindowBits) != Z_OK) throw std::bad_alloc();
}

Inflater::~Inflater() { inflateEnd(&state_->z); }

namespace {
// Runs inflate over in until it is consumed; false with result set when it must stop.
bool inflate_into(z_stream& z, std::string_view in, std::size_t limit, std::string& out, InflateResult& result,
                  bool& ended) {
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  for (;;) {
    if (out.capacity() - out.size() < 1024) out.reserve(std::max<std::size_t>(out.capacity() * 2, 4096));
    std::size_t at = out.size();
    std::size_t room = std::min(out.capacity() - at, limit + 1 - at);  // never hold more than limit + 1
    out.resize(at + room);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + at);
    z.avail_out = static_cast<uInt>(room);
    int rc = ::inflate(&z, Z_SYNC_FLUSH);
    out.resize(out.size() - z.avail_out);
    if (out.size() > limit) return result = InflateResult::too_big, false;
    if (rc == Z_STREAM_END) return ended = true;  // a final block: the rest is ignored (RFC 7692 7.2.2)
    if (rc != Z_OK && rc != Z_BUF_ERROR) return result = InflateResult::bad_data, false;
    if (z.avail_out != 0) break;  // input consumed and output drained
  }
  return true;
}
}  // namespace

InflateResult Inflater::inflate(std::string_view in, std::size_t limit, std::string& out) {
  z_stream& z = state_->z;
  inflateReset(&z);  // the client compresses without context takeover (negotiated)
  out.clear();
  InflateResult result = InflateResult::ok;
  bool ended = false;
  if (!inflate_into(z, in, limit, out, result, ended)) return result;
  std::string_view tail(reinterpret_cast<const char*>(kTail), 4);
  if (!ended && !inflate_into(z, tail, limit, out, result, ended)) return result;
  return InflateResult::ok;
}

Deflater& thread_deflater() {
  thread_local Deflater deflater;
  return deflater;
}

Inflater& thread_inflater() {
  thread_local Inflater inflater;
  return inflater;
}

void append_stored_block(std::string& out, std::string_view data) {
  // BFINAL=0, BTYPE=00 in the low bits of one byte (the rest pads to the byte boundary), then
  // LEN and its one's complement NLEN, little-endian (RFC 1951 3.2.4).
  auto len = static_cast<std::uint16_t>(data.size());
  char head[5] = {0x00, static_cast<char>(len & 0xFF), static_cast<char>(len >> 8),
                  static_cast<char>(~len & 0xFF), static_cast<char>((~len >> 8) & 0xFF)};
  out.append(head, 5);
  out.append(data);
}

const std::shared_ptr<const std::string>& SharedPayload::deflated() const {
  if (!deflated_) {
    auto d = std::make_shared<std::string>();
    thread_deflater().compress(*text_, *d, /*keep_tail=*/true);
    deflated_ = std::move(d);
  }
  return deflated_;
}

namespace {
constexpr std::size_t kStoredBlockHeader = 5;

// The frame header for a text payload of size bytes (RSV1 set when compressed), with room for
// the head piece's reserve more bytes.
std::shared_ptr<std::string> frame_start(std::size_t size, bool compressed, std::size_t reserve) {
  std::uint8_t header[kMaxHeaderSize];
  std::size_t h = write_header(header, Opcode::text, size, true);
  if (compressed) header[0] |= kRsv1;
  auto first = std::make_shared<std::string>();
  first->reserve(h + reserve);
  first->append(reinterpret_cast<const char*>(header), h);
  return first;
}

// The last piece of a spliced frame: tail as is, or as a stored block followed by the byte
// that, with the 00 00 ff ff the receiver appends (RFC 7692 7.2.2), is an empty stored block.
// Built once per thread for the tail it last saw (every caller passes "]" today).
const std::shared_ptr<const std::string>& tail_piece(std::string_view tail, bool compressed) {
  struct Cached {
    std::string tail;
    std::shared_ptr<const std::string> piece;
  };
  thread_local Cached cached[2];
  Cached& c = cached[compressed];
  if (!c.piece || c.tail != tail) {
    std::string piece;
    if (compressed) {
      append_stored_block(piece, tail);
      piece.push_back('\0');
    } else {
      piece = tail;
    }
    c.tail = tail;
    c.piece = std::make_shared<const std::string>(std::move(piece));
  }
  return c.piece;
}
}  // namespace

std::vector<std::shared_ptr<const std::string>> spliced_text_frame(std::string_view head, const SharedPayload& shared,
                                                                   std::string_view tail, std::size_t deflate_min) {
  const auto& text = shared.text();
  if (text->size() < deflate_min || head.size() > 0xFFFF || tail.size() > 0xFFFF) {
    auto first = frame_start(head.size() + text->size() + tail.size(), false, head.size());
    first->append(head);
    return {std::move(first), text, tail_piece(tail, false)};
  }
  const auto& deflated = shared.deflated();
  const auto& last = tail_piece(tail, true);
  const std::size_t stored_head = kStoredBlockHeader + head.size();
  auto first = frame_start(stored_head + deflated->size() + last->size(), true, stored_head);
  append_stored_block(*first, head);
  return {std::move(first), deflated, last};
}

std::string encode_deflated_frame(Opcode op, std::string_view payload) {
  std::string deflated;
  thread_deflater().compress(payload, deflated);
  std::uint8_t header[kMaxHeaderSize];
  std::size_t h = write_header(header, op, deflated.size(), true);
  header[0] |= kRsv1;
  std::string frame;
  frame.reserve(h + deflated.size());
  frame.append(reinterpret_cast<const char*>(header), h);
  frame.append(deflated);
  return frame;
}

FrameView view_frame(std::string_view frame) {
  FrameView v;
  if (frame.size() < 2) return v;
  auto b0 = static_cast<std::uint8_t>(frame[0]);
  auto b1 = static_cast<std::uint8_t>(frame[1]);
  if (b1 & 0x80) return v;  // masked: not a server frame
  std::uint64_t len = b1 & 0x7F;
  std::size_t h = 2;
  if (len == 126) {
    if (frame.size() < 4) return v;
    len = (std::uint64_t{static_cast<std::uint8_t>(frame[2])} << 8) | static_cast<std::uint8_t>(frame[3]);
    h = 4;
  } else if (len == 127) {
    if (frame.size() < 10) return v;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<std::uint8_t>(frame[2 + i]);
    h = 10;
  }
  if (frame.size() - h != len) return v;
  v.ok = true;
  v.op = static_cast<Opcode>(b0 & 0x0F);
  v.fin = b0 & 0x80;
  v.rsv1 = b0 & kRsv1;
  v.payload = frame.substr(h);
  return v;
}

}  // namespace cohort::net::ws
