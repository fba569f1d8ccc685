// view_instance_uploads.cpp — ViewInstance's uploads: the Socket API and the client's upload
// pushes, handed to its ViewUploads (view_uploads.hpp); every change re-assigns "uploads".
// Kept apart from view_instance.cpp: uploads are a layer on the view, not part of its core.
#include "live/view_instance.hpp"

namespace cohort::live {

ViewUploads& ViewInstance::uploads() {
  if (!uploads_) {
    auto changed = [self = weak_from_this()] {
      auto view = self.lock();
      if (!view || view->ended_) return;
      view->show_uploads();
      view->schedule_render();
    };
    uploads_ = std::make_shared<ViewUploads>(services_.registry.uploads, services_.registry.signer, id_, changed);
    if (connected()) publish_uploads(id_, uploads_);
  }
  return *uploads_;
}

void ViewInstance::show_uploads() {
  if (uploads_) assign("uploads", uploads_->assign());
}

void ViewInstance::end_uploads() {
  if (!uploads_) return;
  withdraw_uploads(id_, uploads_.get());
  uploads_->clear();
}

void ViewInstance::allow_upload(std::string name, UploadOptions options) {
  uploads().allow(std::move(name), std::move(options));
  show_uploads();
}

void ViewInstance::cancel_upload(std::string_view name, std::string_view ref) {
  uploads().cancel(name, ref);
  show_uploads();
}

std::vector<Json> ViewInstance::consume_uploaded_entries(std::string_view name, const ConsumeUpload& fn) {
  auto out = uploads().consume(name, fn);
  show_uploads();
  return out;
}

void ViewInstance::declare_uploads(const Json& declared) {
  if (!uploads_) return;  // nothing allowed: nothing to declare into
  uploads_->declare(declared);
  show_uploads();
}

JsonObject ViewInstance::handle_allow_upload(const Json& payload) {
  JsonObject reply = uploads().preflight(payload);
  show_uploads();
  JsonObject diff = render_diff();
  if (!diff.empty()) reply["diff"] = std::move(diff);
  return reply;
}

JsonObject ViewInstance::handle_progress(const Json& payload) {
  auto progressed = uploads().progress(payload);
  show_uploads();
  if (progressed && progressed->options->progress) {
    auto callback = progressed->options->progress;  // a copy: the callback may re-allow the upload
    callback(progressed->entry, *this);
  }
  JsonObject reply;
  JsonObject diff = render_diff();
  if (!diff.empty()) reply["diff"] = std::move(diff);
  return reply;
}

}  // namespace cohort::live
