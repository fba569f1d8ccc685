// view_shared.cpp — ViewInstance: frames whose diff is shared with the other views of the same
// page on this reactor (shared_render.hpp has the rule and why it is safe).
//
// Contract: a frame is shared only when its diff is a function of its key alone — the template,
// the changed followed stores (each: key, assign, the version the client holds and the one the
// view holds now), and the page title set — so every view with that key would have rendered the
// same bytes. A view that takes a shared diff adopts the memory of the slots it evaluated, so its
// next diffs, shared or its own, continue from what its client now holds. Never shared: a frame
// with a change the view made itself, a pending event effect, stream op, navigation or
// component change, or one whose slots read an assign that differs between views.
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cstdint>

#include "live/shared_render.hpp"
#include "live/view_instance.hpp"

namespace cohort::live {

std::string ViewInstance::share_key() const {
  if (changed_.empty() || !streams_.empty() || patch_pending_ || !effects_.events.empty() || effects_.reply ||
      effects_.patch || effects_.navigate || effects_.redirect || !rendering_ || !components_quiet())
    return {};
  std::string key = std::to_string(reinterpret_cast<std::uintptr_t>(route_.tmpl));
  for (const auto& name : changed_) {
    auto follow = std::find_if(stores_followed_.begin(), stores_followed_.end(), [&](const StoreFollow& f) {
      return f.assign == name && !f.own && f.loaded && f.has_state;
    });
    if (follow == stores_followed_.end()) return {};
    ((((key += '\x1f') += name) += '\x1f') += follow->key) += '\x1f';
    ((key += std::to_string(follow->rendered)) += '-') += std::to_string(follow->version);
  }
  // What the evaluated slots may read: a changed store's state (in the key), or a name that is
  // no assign of this view (then it comes from the state's own elements, or is missing).
  auto shared = [this](std::string_view name) { return changed_.count(name) > 0 || !assigns_.contains(name); };
  if (!rendering_->shareable(changed_, shared)) return {};
  if (effects_.title) (key += "\x1et") += *effects_.title;
  return key;
}

void ViewInstance::send_shared(const std::string& key) {
  const auto started = std::chrono::steady_clock::now();
  drop_retired_assigns();
  SharedRenders& renders = SharedRenders::here();
  Changed changed = std::exchange(changed_, {});
  auto& stats = services_.registry.stats;
  std::shared_ptr<const std::string> payload;
  if (const SharedDiff* hit = renders.find(key)) {
    rendering_->adopt(*hit->slots);
    effects_.title.reset();  // in the key: the shared diff carries it
    payload = hit->payload;
    stats.renders_shared.fetch_add(1, std::memory_order_relaxed);
  } else {
    JsonObject diff = rendering_->render_diff(assigns_, changed, this, &streams_);
    if (effects_.title) diff["t"] = *std::exchange(effects_.title, std::nullopt);
    payload = std::make_shared<const std::string>(diff.empty() ? std::string() : json::serialize(diff));
    renders.put(key, SharedDiff{payload, rendering_->touched_memory(changed)});
    stats.renders.fetch_add(1, std::memory_order_relaxed);
  }
  note_rendered();
  last_render_ = std::chrono::steady_clock::now();
  stats.render_seconds.observe_duration(last_render_ - started);
  if (payload->empty()) return;
  stats.diff_bytes.observe(payload->size());
  channel_->push_encoded("diff", *payload);
}

void ViewInstance::note_rendered() {
  for (auto& follow : stores_followed_) follow.rendered = follow.version;
}

}  // namespace cohort::live
