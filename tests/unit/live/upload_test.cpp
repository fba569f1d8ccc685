// upload_test.cpp — live uploads' rules (src/live/upload_state.*, view_uploads.*, upload_files.*):
// what a declared entry is judged, the preflight, progress that bytes must back, and the
// receiving side's limits on a real temporary directory.
#include "live/upload_state.hpp"
#include "live/view_uploads.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

using cohort::Json;
using cohort::JsonObject;
using cohort::TokenKind;
using cohort::TokenSigner;
using cohort::json::array;
using namespace cohort::live;

namespace {

Json declared(std::string ref, std::int64_t size, std::string name = "a.txt", std::string type = "text/plain") {
  return JsonObject{{"ref", ref}, {"name", name}, {"size", size}, {"type", type}, {"last_modified", 1}};
}

UploadOptions options(int max_entries = 2, std::int64_t max_size = 1000, bool auto_upload = false) {
  UploadOptions o;
  o.accept = {".png", "image/*", "text/plain"};
  o.max_entries = max_entries;
  o.max_file_size = max_size;
  o.auto_upload = auto_upload;
  o.chunk_size = 100;
  return o;
}

bool put(UploadState& u, array entries) {
  std::vector<EntryState> dropped;
  return u.put_entries(Json(std::move(entries)), dropped);
}

}  // namespace

TEST(UploadAccept, ExtensionsAndTypesAndWildcards) {
  std::vector<std::string> accept{".PNG", "image/*", "application/pdf"};
  EXPECT_TRUE(accepted(accept, "photo.png", ""));
  EXPECT_TRUE(accepted(accept, "Photo.PnG", "application/octet-stream"));  // the extension suffices
  EXPECT_TRUE(accepted(accept, "x", "image/webp"));
  EXPECT_TRUE(accepted(accept, "doc", "application/pdf"));
  EXPECT_FALSE(accepted(accept, "run.exe", "application/x-msdownload"));
  EXPECT_FALSE(accepted(accept, "png", "text/plain"));       // no extension at all
  EXPECT_FALSE(accepted(accept, ".png", "text/plain"));      // a dot file has no extension
  EXPECT_FALSE(accepted(accept, "a.png.exe", "image"));      // "image" is not "image/..."
  EXPECT_FALSE(accepted(accept, "dir.png/run", "text/x"));  // the extension of the last segment
  EXPECT_TRUE(accepted({}, "anything.bin", ""));             // no accept list: any file
}

TEST(UploadState, JudgesEachDeclaredEntry) {
  UploadState u("file", "phx-upload-x", options());
  EXPECT_FALSE(put(u, array{declared("0", 1001), declared("1", 10, "run.exe", "application/x-msdownload")}));
  ASSERT_EQ(u.entries().size(), 2u);
  EXPECT_EQ(u.entries()[0].entry.errors, std::vector<std::string>{"too_large"});
  EXPECT_EQ(u.entries()[1].entry.errors, std::vector<std::string>{"not_accepted"});
  EXPECT_EQ(u.error_pairs(), (array{array{"0", "too_large"}, array{"1", "not_accepted"}}));
  // A size that is not a number is no size.
  UploadState v("file", "phx-upload-y", options());
  EXPECT_FALSE(put(v, array{JsonObject{{"ref", "0"}, {"name", "a.txt"}, {"size", "12"}, {"type", "text/plain"}}}));
  EXPECT_EQ(v.entries()[0].entry.errors, std::vector<std::string>{"too_large"});
}

TEST(UploadState, TooManyFilesComesAndGoesWithTheCount) {
  UploadState u("file", "up", options(2));
  EXPECT_FALSE(put(u, array{declared("0", 1), declared("1", 1), declared("2", 1)}));
  EXPECT_EQ(u.error_pairs(), (array{array{"up", "too_many_files"}}));
  EXPECT_EQ(u.assign().at("errors"), (array{"too_many_files"}));
  EXPECT_EQ(u.assign().at("error_refs"), "up");
  u.drop("2");
  EXPECT_TRUE(u.error_pairs().empty());
  // An auto upload goes on with the entries that fit (Phoenix does the same).
  UploadState a("file", "up", options(1, 1000, true));
  EXPECT_TRUE(put(a, array{declared("0", 1), declared("1", 1)}));
  EXPECT_EQ(a.error_pairs(), (array{array{"up", "too_many_files"}}));
}

TEST(UploadState, RecordsAtMostABoundedNumberOfEntries) {
  UploadState u("file", "up", options(1));
  array many;
  for (int i = 0; i < 200; ++i) many.push_back(declared(std::to_string(i), 1));
  put(u, std::move(many));
  EXPECT_EQ(u.entries().size(), static_cast<std::size_t>(1 + UploadState::kExtraEntries));
}

TEST(UploadState, OneFileUploadsReplaceTheirEntry) {
  UploadState u("file", "up", options(1));
  EXPECT_TRUE(put(u, array{declared("0", 5)}));
  std::vector<EntryState> dropped;
  EXPECT_TRUE(u.put_entries(Json(array{declared("1", 6)}), dropped));
  ASSERT_EQ(dropped.size(), 1u);
  EXPECT_EQ(dropped[0].entry.ref, "0");
  ASSERT_EQ(u.entries().size(), 1u);
  EXPECT_EQ(u.entries()[0].entry.ref, "1");
}

TEST(UploadState, PreflightAllowsValidEntriesWithinMaxEntriesOnce) {
  UploadState u("file", "up", options(2, 1000, true));
  put(u, array{declared("0", 5), declared("1", 5000), declared("2", 5)});
  auto p = u.preflight({"0", "1", "2"});
  EXPECT_EQ(p.allowed, std::vector<std::string>{"0"});
  EXPECT_EQ(p.errors, (JsonObject{{"1", array{"too_large"}}}));  // "2" is beyond max_entries: neither
  EXPECT_TRUE(u.preflight({"0"}).allowed.empty());  // already preflighted
  EXPECT_EQ(u.assign().at("preflighted_refs"), "0,1");
  EXPECT_EQ(u.assign().at("active_refs"), "0,1,2");
}

TEST(UploadState, ProgressOfOneHundredNeedsEveryByte) {
  UploadState u("file", "up", options());
  put(u, array{declared("0", 10)});
  EXPECT_TRUE(u.progress("0", 50));
  EXPECT_TRUE(u.progress("0", 100));  // claimed, but the bytes are not in
  EXPECT_FALSE(u.entries()[0].entry.done);
  EXPECT_EQ(u.entries()[0].entry.progress, 50);
  u.entries()[0].status = EntryStatus::complete;
  EXPECT_TRUE(u.progress("0", 100));
  EXPECT_TRUE(u.entries()[0].entry.done);
  EXPECT_EQ(u.assign().at("done_refs"), "0");
  EXPECT_FALSE(u.progress("0", 101));
  EXPECT_FALSE(u.progress("nope", 10));
}

class Receiving : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() / ("cohort-upload-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    ASSERT_FALSE(prepare_upload_dir(dir.string()));
    place.dir = dir.string();
    place.max_temp_bytes = 100;
    place.max_chunk = 1000;
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::size_t files() const {
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
  }
  // A view's uploads with one allowed upload and the tokens of its entries (by ref).
  std::string token_for(ViewUploads& v, const std::string& ref, std::int64_t size) {
    JsonObject reply = v.preflight(JsonObject{{"ref", upload_ref(v)}, {"entries", array{declared(ref, size)}}});
    return std::string(reply.at("entries").at(ref).as_string());
  }
  static std::string upload_ref(ViewUploads& v) { return std::string(v.assign().at("file").at("ref").as_string()); }

  std::filesystem::path dir;
  UploadPlace place;
  TokenSigner signer{std::string(40, 's')};
};

TEST_F(Receiving, WritesExactlyTheDeclaredBytesInA0600File) {
  ViewUploads v(place, &signer, "view-1", {});
  v.allow("file", options(2, 1000));
  std::string token = token_for(v, "0", 30);
  auto claims = ViewUploads::verify(signer, token);
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->view, "view-1");
  EXPECT_EQ(claims->entry, "0");
  std::string reason;
  ASSERT_TRUE(v.start(claims->upload, "0", reason)) << reason;
  EXPECT_EQ(place.temp_bytes.load(), 30);
  EXPECT_EQ(v.chunk(claims->upload, "0", std::string(20, 'x')), "");
  ASSERT_EQ(files(), 1u);
  struct stat st{};
  ASSERT_EQ(::stat(std::filesystem::directory_iterator(dir)->path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(v.chunk(claims->upload, "0", std::string(10, 'x')), "");
  v.progress(JsonObject{{"ref", claims->upload}, {"entry_ref", "0"}, {"progress", 100}});
  std::string seen;
  auto out = v.consume("file", [&](const std::string& path, const UploadEntry& e) {
    seen = path;
    EXPECT_EQ(std::filesystem::file_size(path), 30u);
    return Json(e.client_name);
  });
  EXPECT_EQ(out, std::vector<Json>{Json("a.txt")});
  EXPECT_FALSE(std::filesystem::exists(seen));
  EXPECT_EQ(place.temp_bytes.load(), 0);
  EXPECT_EQ(place.stats.consumed.load(), 1u);
}

TEST_F(Receiving, CutsOffALiarAndAnOversizedChunk) {
  int changes = 0;
  ViewUploads v(place, &signer, "view-1", [&] { ++changes; });
  v.allow("file", options(2, 1000, true));  // auto: entry 1 goes on despite entry 0's error
  auto c0 = *ViewUploads::verify(signer, token_for(v, "0", 10));
  std::string reason;
  ASSERT_TRUE(v.start(c0.upload, "0", reason));
  EXPECT_EQ(v.chunk(c0.upload, "0", std::string(8, 'x')), "");
  EXPECT_EQ(v.chunk(c0.upload, "0", std::string(3, 'x')), "file_size_limit_exceeded");
  EXPECT_EQ(files(), 0u);
  EXPECT_EQ(changes, 1);
  EXPECT_EQ(v.chunk(c0.upload, "0", "x"), "disallowed");  // over for good
  EXPECT_FALSE(v.start(c0.upload, "0", reason));
  EXPECT_EQ(reason, "disallowed");

  auto c1 = *ViewUploads::verify(signer, token_for(v, "1", 50));
  ASSERT_TRUE(v.start(c1.upload, "1", reason));
  EXPECT_EQ(v.chunk(c1.upload, "1", std::string(101, 'x')), "chunk_too_large");
  EXPECT_EQ(files(), 0u);
  EXPECT_EQ(place.temp_bytes.load(), 0);
}

TEST_F(Receiving, TheBudgetRefusesAndAViewsEndDeletesItsFiles) {
  {
    ViewUploads v(place, &signer, "view-1", {});
    v.allow("file", options(3, 1000, true));
    auto a = *ViewUploads::verify(signer, token_for(v, "0", 80));
    auto b = *ViewUploads::verify(signer, token_for(v, "1", 30));
    std::string reason;
    ASSERT_TRUE(v.start(a.upload, "0", reason));
    EXPECT_FALSE(v.start(b.upload, "1", reason));
    EXPECT_EQ(reason, "temp_full");
    EXPECT_EQ(v.chunk(a.upload, "0", std::string(40, 'x')), "");
    EXPECT_EQ(files(), 1u);
  }
  EXPECT_EQ(files(), 0u);
  EXPECT_EQ(place.temp_bytes.load(), 0);
}

TEST_F(Receiving, ATokenOfAnotherKindOrSecretIsNoUploadToken) {
  ViewUploads v(place, &signer, "view-1", {});
  v.allow("file", options());
  std::string token = token_for(v, "0", 10);
  EXPECT_FALSE(ViewUploads::verify(TokenSigner(std::string(40, 't')), token));
  EXPECT_FALSE(ViewUploads::verify(signer, signer.sign(TokenKind::session, JsonObject{{"v", "view-1"}, {"u", "x"}, {"e", "0"}},
                                                       std::chrono::seconds(60))));
}
