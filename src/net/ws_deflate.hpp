// ws_deflate.hpp — permessage-deflate (RFC 7692) payload compression, on top of zlib.
//
// Owns: turning a message payload into the DEFLATE bytes of a compressed frame and back, with
// no context takeover in either direction: every message is compressed and inflated on its own
// (the stream is reset between messages). That is what lets one compressed broadcast frame be
// sent unchanged to every subscriber, and one inflater serve every connection of a thread.
// zlib is the standard implementation of the DEFLATE format RFC 7692 names; nothing here
// re-implements it, except the 5-byte header of a stored (uncompressed) block, used to put a
// per-client prefix in front of shared compressed bytes (see concatenation below).
//
// Concatenation: a message compressed with Z_SYNC_FLUSH ends on a byte boundary with non-final
// blocks, so pieces compressed independently ("with the tail kept") can be joined; only the
// last piece has its 00 00 ff ff tail removed. Each piece refers back only into its own bytes.
//
// Threads: a Deflater or Inflater is single-threaded; thread_deflater()/thread_inflater() give
// each thread (each reactor, each bench loop) its own, created on first use and reused.
// Failure: compression of in-memory data cannot fail short of allocation failure (throws
// std::bad_alloc); inflation reports bad data and the size limit as values.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "net/ws_frame.hpp"

namespace cohort::net::ws {

// zlib level 1: on a 10,000-key presence state (760 KB of JSON) it gives 7.9x in 2.4 ms; the
// default level 6 gives 8.9x in 6 ms and level 9 9.6x in 40 ms. A state is compressed once per
// change per reactor, a broadcast once per reactor, so speed matters more than the last 10%.
inline constexpr int kDeflateLevel = 1;

class Deflater {
 public:
  explicit Deflater(int level = kDeflateLevel);
  ~Deflater();
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;

  // Appends the DEFLATE bytes of in (a whole message, or one piece of a concatenation) to out.
  // keep_tail: leave the 00 00 ff ff of the final sync flush (for a piece that others follow).
  void compress(std::string_view in, std::string& out, bool keep_tail = false);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

enum class InflateResult { ok, too_big, bad_data };

class Inflater {
 public:
  Inflater();
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Inflates one message's DEFLATE bytes (its tail already removed) into out (replaced).
  // Stops as soon as more than limit bytes come out: too_big (a zlib bomb costs limit bytes).
  InflateResult inflate(std::string_view in, std::size_t limit, std::string& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// This thread's compressor and inflater.
Deflater& thread_deflater();
Inflater& thread_inflater();

// Appends a stored DEFLATE block holding data (at most 65535 bytes) to out: a piece that can
// precede independently compressed pieces (see concatenation above).
void append_stored_block(std::string& out, std::string_view data);

// A complete unmasked frame with RSV1 set whose payload is payload compressed.
std::string encode_deflated_frame(Opcode op, std::string_view payload);

// The text of a payload many messages share (one topic's presence state, sent to each joiner
// of a reactor): held once, and compressed once (tail kept, so that it can sit between other
// pieces) the first time a compressed message asks for it. Owner thread only.
class SharedPayload {
 public:
  explicit SharedPayload(std::shared_ptr<const std::string> text) : text_(std::move(text)) {}
  const std::shared_ptr<const std::string>& text() const { return text_; }
  const std::shared_ptr<const std::string>& deflated() const;

 private:
  std::shared_ptr<const std::string> text_;
  mutable std::shared_ptr<const std::string> deflated_;  // null until asked
};

// One complete text message head + shared + tail as the consecutive pieces of one unmasked
// frame, sent in that order: the shared bytes are referenced, never copied; only the first
// piece (frame header and head) and the last (tail) are built per call. Compressed (RSV1)
// when shared's text is at least deflate_min bytes and head and tail fit a stored block each:
// stored head, shared's compressed bytes, stored tail (see concatenation above).
std::vector<std::shared_ptr<const std::string>> spliced_text_frame(std::string_view head, const SharedPayload& shared,
                                                                   std::string_view tail, std::size_t deflate_min);

// The parts of a complete unmasked frame (as encode_frame writes it); ok is false when frame
// is not exactly one such frame.
struct FrameView {
  bool ok = false;
  Opcode op = Opcode::text;
  bool fin = false;
  bool rsv1 = false;
  std::string_view payload;
};
FrameView view_frame(std::string_view frame);

}  // namespace cohort::net::ws
