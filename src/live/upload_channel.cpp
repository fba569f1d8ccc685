// upload_channel.cpp — the lvu: topic: see upload_channel.hpp.
#include "live/upload_channel.hpp"

#include "cohort/input.hpp"
#include "live/view_uploads.hpp"

namespace cohort::live {

namespace {

class UploadChannel final : public Channel {
 public:
  UploadChannel(const TokenSigner& signer, UploadPlace& place) : signer_(signer), place_(place) {}

  JoinResult join(const Json& params, ChannelContext& ctx) override {
    std::string_view entry_ref = std::string_view(ctx.topic()).substr(4);  // "lvu:"
    auto claims = ViewUploads::verify(signer_, input::text(params, "token"));
    if (!claims || claims->entry != entry_ref) {
      place_.stats.refused_token.fetch_add(1, std::memory_order_relaxed);
      return JoinResult::refuse("invalid_token");
    }
    auto uploads = find_uploads(claims->view);
    if (!uploads) {
      place_.stats.refused_disallowed.fetch_add(1, std::memory_order_relaxed);
      return JoinResult::refuse("disallowed");
    }
    std::string reason;
    auto receiving = uploads->start(claims->upload, claims->entry, reason);
    if (!receiving) return JoinResult::refuse(reason);
    claims_ = std::move(*claims);
    uploads_ = uploads;
    limits_ = *receiving;
    last_chunk_ = std::chrono::steady_clock::now();
    arm_timer(ctx, limits_.chunk_timeout);
    return JoinResult::accept();
  }

  Reply handle_in(std::string_view event, const Payload& payload, ChannelContext& ctx) override {
    if (event != "chunk" || !payload.is_binary()) return Reply::error("unhandled event");
    auto uploads = uploads_.lock();
    if (!uploads || over_) return Reply::error("disallowed");
    last_chunk_ = std::chrono::steady_clock::now();
    std::string refusal = uploads->chunk(claims_.upload, claims_.entry, payload.bytes);
    if (refusal.empty()) return Reply::ok();
    over_ = true;
    // The reply first (the client reads the reason from it), then the channel ends, cleanly:
    // the refusal is the client's to show, not a fault of the node's.
    ctx.after(std::chrono::milliseconds(0), [&ctx] { ctx.stop("refused"); });
    JsonObject why{{"reason", refusal}};
    if (refusal == "chunk_too_large") why["limit"] = limits_.chunk_size;
    return Reply::error(std::move(why));
  }

  void terminate(std::string_view, ChannelContext&) override {
    if (auto uploads = uploads_.lock()) uploads->end(claims_.upload, claims_.entry, over_ ? "closed" : "incomplete");
  }

 private:
  // A channel that sends nothing for chunk_timeout before its last byte is ended (its partial
  // file deleted). One timer at a time: when it fires after a chunk came, it waits the rest.
  void arm_timer(ChannelContext& ctx, std::chrono::milliseconds delay) {
    ctx.after(delay, [this, &ctx] {
      if (over_) return;
      auto uploads = uploads_.lock();
      if (!uploads) return;
      auto idle = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - last_chunk_);
      if (idle < limits_.chunk_timeout) return arm_timer(ctx, limits_.chunk_timeout - idle);
      if (!uploads->end(claims_.upload, claims_.entry, "timeout")) return;  // complete: it waits to be consumed
      over_ = true;
      ctx.stop("timeout");
    });
  }

  const TokenSigner& signer_;
  UploadPlace& place_;
  ViewUploads::Claims claims_;
  std::weak_ptr<ViewUploads> uploads_;
  ViewUploads::Receiving limits_{};
  std::chrono::steady_clock::time_point last_chunk_{};
  bool over_ = false;
};

}  // namespace

ChannelFactory upload_channel_factory(const TokenSigner& signer, UploadPlace& place) {
  return [&signer, &place] { return std::make_unique<UploadChannel>(signer, place); };
}

}  // namespace cohort::live
