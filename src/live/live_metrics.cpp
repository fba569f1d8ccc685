// live_metrics.cpp — the cohort_live_* families and /metrics/live: see live_metrics.hpp.
#include "live/live_metrics.hpp"

#include <array>
#include <string_view>

namespace cohort::live {

namespace {

double n(const std::atomic<std::uint64_t>& v) { return static_cast<double>(v.load(std::memory_order_relaxed)); }

// Upload refusals by reason: the label value, which is also the key under uploads.refused.
struct UploadRefusal {
  std::string_view reason;
  std::atomic<std::uint64_t> UploadStats::*counter;
};
constexpr std::array<UploadRefusal, 9> kUploadRefusals = {{
    {"too_large", &UploadStats::refused_too_large},
    {"not_accepted", &UploadStats::refused_not_accepted},
    {"too_many_files", &UploadStats::refused_too_many_files},
    {"invalid_token", &UploadStats::refused_token},
    {"disallowed", &UploadStats::refused_disallowed},
    {"file_size_limit_exceeded", &UploadStats::refused_size_exceeded},
    {"chunk_too_large", &UploadStats::refused_chunk_too_large},
    {"temp_full", &UploadStats::refused_temp_full},
    {"timeout", &UploadStats::timed_out},
}};
constexpr std::string_view kUploadRefusalsName = "cohort_live_upload_refusals_total";
constexpr std::string_view kUploadRefusalsHelp = "Uploads refused, by reason (timeout: a silent upload channel).";

void views(const LiveStats& st, metrics::Scrape& s) {
  s.counter("cohort_live_views_mounted_total", "Live views mounted: for a page's HTTP render, and for each join of its live channel.", n(st.views_mounted));
  s.gauge("cohort_live_views_open", "Live views mounted and not ended now.",
          static_cast<double>(st.views_open.load(std::memory_order_relaxed)));
  s.counter("cohort_live_events_total", "Client events handled by live views.", n(st.events));
  s.counter("cohort_live_infos_total", "Messages handled by live views' handle_info.", n(st.infos));
  s.counter("cohort_live_renders_shared_total",
            "Live view frames sent as another view of the same page on the same reactor rendered them.",
            n(st.renders_shared));
  s.counter("cohort_live_event_waits_total", "Events whose reply waited for the store ops they started.", n(st.event_waits));
  s.counter("cohort_live_event_waits_expired_total",
            "Event replies sent at live_event_wait_ms before their store ops were done.", n(st.event_waits_expired));
  s.counter("cohort_live_renders_total", "Renders of live views (full renders and diffs).", n(st.renders));
  s.histogram("cohort_live_render_seconds", "Time to render a live view (a full render or a diff).", st.render_seconds);
  s.histogram("cohort_live_diff_bytes", "Size of each diff pushed to a client, as JSON.", st.diff_bytes);
}

void async_tasks(const LiveStats& st, const AsyncPool::Stats& a, metrics::Scrape& s) {
  s.gauge("cohort_live_async_queued", "Async tasks of live views waiting for a worker now.", n(a.queued));
  s.gauge("cohort_live_async_running", "Async tasks of live views on a worker now.", n(a.running));
  s.counter("cohort_live_async_started_total", "Async tasks taken by a worker.", n(a.started));
  s.counter("cohort_live_async_refused_total", "Async tasks refused because the queue was full.", n(a.refused));
  s.counter("cohort_live_async_failed_total", "Async tasks that threw or were refused.", n(st.async_failed));
  s.counter("cohort_live_async_cancelled_total", "Async tasks cancelled by their view.", n(st.async_cancelled));
}

void uploads(const UploadPlace& u, metrics::Scrape& s) {
  const UploadStats& st = u.stats;
  s.counter("cohort_live_uploads_started_total", "Upload entries that began sending.", n(st.started));
  s.counter("cohort_live_uploads_finished_total", "Upload entries whose every declared byte arrived.", n(st.finished));
  s.counter("cohort_live_uploads_consumed_total", "Uploaded entries consumed by their view.", n(st.consumed));
  s.counter("cohort_live_upload_received_bytes_total", "Upload bytes received.", n(st.bytes_received));
  s.gauge("cohort_live_upload_temp_bytes", "Bytes reserved now by uploads in the upload directory.",
          static_cast<double>(u.temp_bytes.load(std::memory_order_relaxed)));
  s.gauge("cohort_live_upload_temp_max_bytes", "The upload directory's budget (upload_max_temp_bytes).",
          static_cast<double>(u.max_temp_bytes));
  for (const auto& r : kUploadRefusals)
    s.counter(kUploadRefusalsName, kUploadRefusalsHelp, n(st.*r.counter), {{"reason", std::string(r.reason)}});
}

}  // namespace

void collect(const Registry& registry, const AsyncPool::Stats& async, metrics::Scrape& scrape) {
  views(registry.stats, scrape);
  async_tasks(registry.stats, async, scrape);
  uploads(registry.uploads, scrape);
}

JsonObject live_json(const metrics::Scrape& s) {
  auto count = [&](std::string_view name, const metrics::Labels& labels = {}) {
    return static_cast<std::int64_t>(s.value(name, labels).value_or(0));
  };
  JsonObject refused;
  for (const auto& r : kUploadRefusals)
    refused[r.reason] = count(kUploadRefusalsName, {{"reason", std::string(r.reason)}});
  return JsonObject{
      {"views_mounted", count("cohort_live_views_mounted_total")},
      {"views_open", count("cohort_live_views_open")},
      {"events", count("cohort_live_events_total")},
      {"infos", count("cohort_live_infos_total")},
      {"renders", count("cohort_live_renders_total")},
      {"diffs_pushed", s.histogram_count("cohort_live_diff_bytes").value_or(0)},
      {"diff_bytes", static_cast<std::int64_t>(s.histogram_sum("cohort_live_diff_bytes").value_or(0))},
      {"async_queued", count("cohort_live_async_queued")},
      {"async_running", count("cohort_live_async_running")},
      {"async_started", count("cohort_live_async_started_total")},
      {"async_refused", count("cohort_live_async_refused_total")},
      {"async_failed", count("cohort_live_async_failed_total")},
      {"async_cancelled", count("cohort_live_async_cancelled_total")},
      {"uploads", JsonObject{{"started", count("cohort_live_uploads_started_total")},
                             {"finished", count("cohort_live_uploads_finished_total")},
                             {"consumed", count("cohort_live_uploads_consumed_total")},
                             {"bytes_received", count("cohort_live_upload_received_bytes_total")},
                             {"temp_bytes", count("cohort_live_upload_temp_bytes")},
                             {"max_temp_bytes", count("cohort_live_upload_temp_max_bytes")},
                             {"refused", std::move(refused)}}}};
}

}  // namespace cohort::live
