// net_metrics.cpp — the net layer's /metrics families: see net_metrics.hpp.
#include "net/net_metrics.hpp"

#include <string>

#include "net/client_json.hpp"

namespace cohort::net {

namespace {

double load(const std::atomic<std::uint64_t>& v) { return static_cast<double>(v.load(std::memory_order_relaxed)); }

void connections(const Metrics& m, metrics::Scrape& s) {
  s.gauge("cohort_connections_open", "TCP connections open now (HTTP, WebSocket and LongPoll polls).",
          load(m.connections_open));
  s.gauge("cohort_websockets_open", "WebSocket connections open now.", load(m.websockets_open));
  s.gauge("cohort_longpoll_sessions_open", "LongPoll sessions open now.", load(m.long_poll.sessions_open));
  s.counter("cohort_connections_refused_total", "Connections refused because max_connections were open.",
            load(m.connections_refused));
  s.counter("cohort_http_requests_total", "HTTP requests answered.", load(m.http_requests));
  s.counter("cohort_tls_handshake_failures_total", "TLS handshakes that failed.", load(m.tls_handshake_failures));
  std::int64_t outbound = 0;
  for (const auto& h : m.hot) outbound += h.outbound_bytes.load(std::memory_order_relaxed);
  s.gauge("cohort_outbound_queue_bytes", "Bytes queued for sending, over every WebSocket and LongPoll session.",
          static_cast<double>(outbound));
}

void messages(const Metrics& m, metrics::Scrape& s) {
  s.counter("cohort_messages_in_total", "WebSocket messages received.", static_cast<double>(m.sum(&HotCounters::messages_in)));
  s.counter("cohort_frames_out_total", "WebSocket frames queued for sending.",
            static_cast<double>(m.sum(&HotCounters::frames_out)));
  s.counter("cohort_socket_writes_total", "Gathered socket writes (one write carries many frames).",
            static_cast<double>(m.sum(&HotCounters::writes)));
  s.counter("cohort_longpoll_polls_total", "LongPoll polls answered.", load(m.long_poll.polls));
  s.counter("cohort_longpoll_messages_out_total", "Messages sent in LongPoll poll answers.", load(m.long_poll.messages_out));
  s.counter("cohort_longpoll_dropped_timeout_total", "LongPoll sessions dropped because nobody polled.",
            load(m.long_poll.dropped_timeout));
  s.counter("cohort_longpoll_dropped_overflow_total", "LongPoll sessions dropped because their buffer was full.",
            load(m.long_poll.dropped_overflow));
  s.counter("cohort_longpoll_binary_dropped_total", "Binary server messages a LongPoll client could not be given.",
            load(m.long_poll.binary_dropped));
}

void closes_and_refusals(const Metrics& m, metrics::Scrape& s) {
  s.counter("cohort_slow_consumer_closes_total", "Sockets closed because their outbound queue passed its limit.",
            load(m.slow_consumer_closes));
  s.counter("cohort_protocol_closes_total", "Sockets closed for bad framing or bad messages.", load(m.protocol_closes));
  for (std::size_t i = 0; i <= CloseCodes::kCodes.size(); ++i)
    s.counter("cohort_websocket_closes_sent_total", "WebSocket close frames sent by the node, by close code.",
              load(m.close_codes.sent[i]),
              {{"code", i < CloseCodes::kCodes.size() ? std::to_string(CloseCodes::kCodes[i]) : "other"}});
  // Per-client limits (docs/security.md): one series per limit, refusals and closes.
  for (unsigned l = 0; l < LimitCounters::kCount; ++l) {
    const auto& limit = kLimits[l];
    const metrics::Labels label{{"limit", std::string(limit.name)}};
    if (limit.refuses)
      s.counter("cohort_limit_refusals_total", "Requests refused by a per-client limit.", load(m.limits.refusals[l]), label);
    if (limit.closes)
      s.counter("cohort_limit_closes_total", "Sockets closed by a per-client limit.", load(m.limits.closes[l]), label);
  }
  const ParserRefusals& p = parser_refusals();
  auto parser = [&](const char* kind, const std::atomic<std::uint64_t>& v) {
    s.counter("cohort_parser_refusals_total", "Client JSON or form input refused by the bounded parsers.", load(v),
              {{"kind", kind}});
  };
  parser("json_malformed", p.json_malformed);
  parser("json_too_deep", p.json_too_deep);
  parser("json_too_big", p.json_too_big);
  parser("form_too_deep", p.form_too_deep);
}

void channels(const Metrics& m, metrics::Scrape& s) {
  s.histogram("cohort_channel_join_seconds",
              "Time from a phx_join received to its reply sent (ok or error), including a store's load.",
              m.join_seconds);
  m.channels_by_class.each([&](std::string_view topic_class, std::int64_t n) {
    s.gauge("cohort_channels_joined", "Channels joined now, by topic class (the topic before its first ':'; 32 classes, then other).",
            static_cast<double>(n), {{"topic_class", std::string(topic_class)}});
  });
}

}  // namespace

void collect(const Metrics& m, metrics::Scrape& scrape) {
  connections(m, scrape);
  messages(m, scrape);
  closes_and_refusals(m, scrape);
  channels(m, scrape);
}

}  // namespace cohort::net
