// bindings.cpp — the client bindings page: see bindings.hpp.
#include "apps/bindings.hpp"

#include "apps/view_support.hpp"

#include <filesystem>

namespace cohort::apps {

namespace {

class BindingsView final : public live::View {
 public:
  void mount(const live::Params&, const live::Session&, live::Socket& s) override {
    assign_me(s);
    for (auto key : {"pushed", "away", "ticks", "escapes", "saves"}) s.assign(key, Json(0));
    s.assign("typed", "");
    s.assign("last_by", "");
    s.assign("received", "");
    allow_quick_upload(s);
  }

  void handle_event(std::string_view event, const Json& value, live::Socket& s) override {
    if (event == "pushed") {  // JS.push with a value: {"by": n}
      s.assign("last_by", std::to_string(input::integer(value, "by").value_or(0)));
      return bump(s, "pushed");
    }
    if (event == "away" || event == "ticks" || event == "saves") return bump(s, std::string(event));
    if (event == "escape" && input::text(value, "key") == "Escape") return bump(s, "escapes");
    if (event == "typed") s.assign("typed", input::text(input::object(value, "note"), "text"));
  }

 private:
  // An auto upload: a file goes up as soon as it is chosen, in small chunks, and the progress
  // callback consumes it once done (its size read from the file that arrived).
  static void allow_quick_upload(live::Socket& s) {
    live::UploadOptions o;
    o.auto_upload = true;
    o.max_file_size = 1'000'000;
    o.chunk_size = 10'000;
    o.progress = [](const live::UploadEntry& entry, live::Socket& socket) {
      if (!entry.done) return;
      auto got = socket.consume_uploaded_entries("quick", [](const std::string& path, const live::UploadEntry& e) {
        return Json(e.client_name + " (" + std::to_string(std::filesystem::file_size(path)) + " bytes)");
      });
      if (!got.empty()) socket.assign("received", got.front());
    };
    s.allow_upload("quick", std::move(o));
  }

  static void bump(live::Socket& s, const std::string& key) {
    s.assign(key, Json(s.get(key).to_number<std::int64_t>() + 1));
  }
};

}  // namespace

void install_bindings(live::Live& live) {
  live.view("/bindings", "bindings", [] { return std::make_unique<BindingsView>(); }, "Client bindings");
}

}  // namespace cohort::apps
