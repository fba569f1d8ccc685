// fuzz_replay.cpp — runs a libFuzzer target without libFuzzer, so that every build (gcc too)
// and every CI run exercises it.
//
// Usage: <target> [--runs=N] PATH...   (PATH: a file, or a directory of files: the target's
// committed corpus, tests/fuzz/corpus/<target>/, seeds and past crashes alike)
// Runs LLVMFuzzerTestOneInput over every file, then over N inputs made from them with a fixed
// seed (deterministic): bytes flipped, runs inserted, erased or repeated, two files spliced,
// and tokens of the formats fuzzed here (brackets, quotes, escapes, template tags) dropped in.
// It finds far less than libFuzzer (no coverage feedback); its job is to keep every committed
// input and the obvious damage to it running on each build. A failed invariant aborts the
// process, which fails the CTest test; the input that failed is written first to
// ./replay-crash-<target> (the test's working directory) for libFuzzer or a debugger to replay.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

constexpr std::uint32_t kSeed = 0x5eedf022;
constexpr std::size_t kMaxInput = 64 * 1024;  // mutations stop growing an input here

// The input being run and where a crash saves it (set before any run; read by the handler).
const std::string* g_current = nullptr;
std::string g_crash_path;

// On SIGABRT or SIGSEGV: write the input (async-signal-safe calls only), then die of the signal.
extern "C" void save_input(int sig) {
  if (g_current) {
    int fd = ::open(g_crash_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      (void)!::write(fd, g_current->data(), g_current->size());
      ::close(fd);
      static const char msg[] = "fuzz_replay: the failing input is in ./";
      (void)!::write(2, msg, sizeof msg - 1);
      (void)!::write(2, g_crash_path.data(), g_crash_path.size());
      (void)!::write(2, "\n", 1);
    }
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void run(const std::string& input) {
  g_current = &input;
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
  g_current = nullptr;
}

bool read_file(const std::filesystem::path& path, std::vector<std::string>& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

// Every file under the paths, in a stable order.
bool load(const std::vector<std::string>& paths, std::vector<std::string>& inputs) {
  namespace fs = std::filesystem;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(p, ec))
        if (e.is_regular_file()) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files)
        if (!read_file(f, inputs)) return false;
    } else if (!read_file(p, inputs)) {
      std::fprintf(stderr, "cannot read %s\n", p.c_str());
      return false;
    }
  }
  return true;
}

// Pieces of the formats under test: JSON, URL encoding, form names, HTTP, templates, wire heads.
constexpr std::string_view kTokens[] = {
    "[", "]", "{", "}", "\"", "\\", ":", ",", "null", "true", "1e999", "-0", "\\u0000", "\\ud800",
    "%", "%5B", "%5D", "%zz", "+", "&", "=", "[]", "[a]", "\r\n", "\r\n\r\n", "Content-Length: ",
    "Transfer-Encoding: chunked\r\n", "Host: ", "/", "%2F", "..", "?", "{{", "}}", "{{{", "{{#a}}",
    "{{/a}}", "{{^a}}", "{{>b}}", "{{@c x}}", "{{#stream:s}}", "<div>", "</div>", "\"op\":\"add\"",
    "\"path\":\"/a/0\"", "\"value\":", "~0", "~1", "/-", "\xff", "\xc3\xa9", "\n", " ", "\0"};

std::string mutate(const std::string& base, const std::vector<std::string>& all, std::mt19937& rng) {
  auto pick = [&](std::size_t n) { return n ? static_cast<std::size_t>(rng() % n) : 0; };
  std::string s = base;
  for (unsigned steps = 1 + pick(4); steps > 0; --steps) {
    switch (pick(7)) {
      case 0:  // flip a bit
        if (!s.empty()) s[pick(s.size())] ^= static_cast<char>(1 << pick(8));
        break;
      case 1: {  // insert random bytes
        std::string r(1 + pick(8), '\0');
        for (auto& c : r) c = static_cast<char>(rng());
        s.insert(pick(s.size() + 1), r);
        break;
      }
      case 2:  // erase a run
        if (!s.empty()) {
          std::size_t at = pick(s.size());
          s.erase(at, 1 + pick(std::min<std::size_t>(s.size() - at, 64)));
        }
        break;
      case 3:  // repeat a run (deep nesting, long names)
        if (!s.empty() && s.size() < kMaxInput) {
          std::size_t at = pick(s.size());
          std::string run = s.substr(at, 1 + pick(std::min<std::size_t>(s.size() - at, 16)));
          std::string rep;
          for (std::size_t k = 1 + pick(200); k > 0 && rep.size() < kMaxInput; --k) rep += run;
          s.insert(at, rep);
        }
        break;
      case 4: {  // splice another input in
        const std::string& other = all[pick(all.size())];
        std::size_t from = pick(other.size() + 1);
        s = s.substr(0, pick(s.size() + 1)) + other.substr(from, pick(other.size() - from + 1));
        break;
      }
      case 5:  // truncate
        s.resize(pick(s.size() + 1));
        break;
      default: {  // a token of the formats
        std::string_view t = kTokens[pick(std::size(kTokens))];
        s.insert(pick(s.size() + 1), t.data(), t.size());
      }
    }
  }
  if (s.size() > kMaxInput) s.resize(kMaxInput);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  long runs = 100000;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--runs=", 7) == 0) runs = std::strtol(argv[i] + 7, nullptr, 10);
    else paths.emplace_back(argv[i]);
  }
  std::vector<std::string> inputs;
  if (!load(paths, inputs)) return 1;
  g_crash_path = "replay-crash-" + std::filesystem::path(argv[0]).filename().string();
  std::signal(SIGABRT, save_input);
  std::signal(SIGSEGV, save_input);
  if (inputs.empty()) inputs.emplace_back();
  auto t0 = std::chrono::steady_clock::now();
  for (const auto& input : inputs) run(input);
  std::mt19937 rng(kSeed);
  for (long i = 0; i < runs; ++i) run(mutate(inputs[rng() % inputs.size()], inputs, rng));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%s: %zu corpus inputs + %ld mutations, every invariant held (%lld ms)\n",
              std::filesystem::path(argv[0]).filename().c_str(), inputs.size(), runs, static_cast<long long>(ms));
  return 0;
}
