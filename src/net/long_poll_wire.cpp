// long_poll_wire.cpp — LongPoll bodies and frame payloads: see long_poll_wire.hpp.
#include "net/long_poll_wire.hpp"

#include <openssl/evp.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

namespace cohort::net {

namespace {

constexpr std::uint8_t kFin = 0x80;
constexpr std::uint8_t kRsv1 = 0x40;
constexpr std::uint8_t kMask = 0x80;

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// A JSON string literal holding text (quotes and escapes added).
void append_json_string(std::string& out, std::string_view text) {
  out += boost::json::serialize(boost::json::string_view(text.data(), text.size()));
}

}  // namespace

std::optional<std::string> decode_base64(std::string_view text) {
  std::size_t len = text.size();
  std::size_t pad = 0;
  while (pad < 2 && len > 0 && text[len - 1] == '=') ++pad, --len;
  for (std::size_t i = 0; i < len; ++i)
    if (!is_base64_char(text[i])) return std::nullopt;
  if (len % 4 == 1) return std::nullopt;
  // EVP_DecodeBlock wants whole 4-character groups: pad the tail back.
  std::string padded(text.substr(0, len));
  while (padded.size() % 4) padded += '=';
  std::string out(padded.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(padded.data()), static_cast<int>(padded.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes: drop them.
  std::size_t fill = padded.size() - len;
  out.resize(static_cast<std::size_t>(n) - fill);
  return out;
}

PostedBatch parse_post_body(std::string_view body, std::size_t max_lines) {
  PostedBatch batch;
  std::size_t line_no = 0;
  while (!body.empty()) {
    auto nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view{} : body.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_no;
    if (line.empty()) continue;
    if (batch.messages.size() == max_lines) {
      batch.error = "more than " + std::to_string(max_lines) + " messages in one POST";
      batch.messages.clear();
      return batch;
    }
    if (line.front() == '[') {
      batch.messages.push_back({ws::Opcode::text, std::string(line)});
      continue;
    }
    auto bytes = decode_base64(line);
    if (!bytes) {
      batch.error = "line " + std::to_string(line_no) + " is neither a JSON array nor base64";
      batch.messages.clear();
      return batch;
    }
    batch.messages.push_back({ws::Opcode::binary, std::move(*bytes)});
  }
  return batch;
}

std::string status_body(unsigned status) { return "{\"status\":" + std::to_string(status) + "}"; }

std::string poll_body(unsigned status, std::string_view token, const std::vector<std::string>& messages) {
  std::size_t size = 48 + token.size();
  for (const auto& m : messages) size += m.size() + m.size() / 8 + 4;
  std::string out;
  out.reserve(size);
  out += "{\"status\":" + std::to_string(status) + ",\"token\":";
  if (token.empty()) out += "null";
  else append_json_string(out, token);
  out += ",\"messages\":[";
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, messages[i]);
  }
  out += "]}";
  return out;
}

std::optional<FrameHead> read_frame_head(std::string_view data) {
  if (data.size() < 2) return std::nullopt;
  auto b0 = static_cast<std::uint8_t>(data[0]);
  auto b1 = static_cast<std::uint8_t>(data[1]);
  FrameHead h;
  h.op = static_cast<ws::Opcode>(b0 & 0x0F);
  h.fin = b0 & kFin;
  h.rsv1 = b0 & kRsv1;
  h.masked = b1 & kMask;
  std::uint64_t len = b1 & 0x7F;
  h.header = 2;
  if (len == 126) {
    if (data.size() < 4) return std::nullopt;
    len = (std::uint64_t{static_cast<std::uint8_t>(data[2])} << 8) | static_cast<std::uint8_t>(data[3]);
    h.header = 4;
  } else if (len == 127) {
    if (data.size() < 10) return std::nullopt;
    len = 0;
    for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<std::uint8_t>(data[2 + i]);
    h.header = 10;
  }
  if (h.masked) h.header += 4;
  h.payload = len;
  return h;
}

std::size_t FrameUnwrapper::take(std::string_view data, const OnMessage& on_message) {
  std::size_t used = 0;
  while (used < data.size()) {
    auto head = read_frame_head(data.substr(used));
    if (!head || data.size() - used - head->header < head->payload) break;  // the rest comes later
    std::string_view payload = data.substr(used + head->header, head->payload);
    used += head->header + head->payload;
    bool message = head->op == ws::Opcode::text || head->op == ws::Opcode::binary;
    if (!message) {
      if (head->op == ws::Opcode::continuation) ++skipped_;
      continue;  // close, ping, pong: nothing for a LongPoll client
    }
    if (head->masked || head->rsv1 || !head->fin) {
      ++skipped_;
      continue;
    }
    on_message(head->op, payload);
  }
  return used;
}

void FrameUnwrapper::feed(std::string_view piece, const OnMessage& on_message) {
  if (partial_.empty()) {
    std::size_t used = take(piece, on_message);
    if (used < piece.size()) partial_.assign(piece.substr(used));
    return;
  }
  partial_.append(piece);
  std::size_t used = take(partial_, on_message);
  partial_.erase(0, used);
}

}  // namespace cohort::net
