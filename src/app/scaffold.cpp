// scaffold.cpp — `cohort new` and `cohort gen live`: see scaffold.hpp.
#include "app/scaffold.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "net/runtime_files.hpp"

namespace cohort::commands {

namespace fs = std::filesystem;

namespace {

using Words = std::map<std::string, std::string>;  // scaffold word → what it becomes

const char* const kNewUsage =
    "usage: cohort new APP [--dir D]\n"
    "  writes a Cohort app named APP into D (default ./APP): CMakeLists.txt, main.cpp, a store kind,\n"
    "  a live view with its template, their tests (cohort/testing.hpp), a browser test and a README\n";
const char* const kGenUsage =
    "usage: cohort gen live NAME [--dir D]\n"
    "  adds a live view NAME to the app in D (default .): src/NAME_view.{hpp,cpp}, templates/NAME.html\n"
    "  and tests/NAME_view_test.cpp\n";

int fail(int code, const std::string& message) {
  std::fprintf(stderr, "%s\n", message.c_str());
  return code;
}

// A name that is a C++ identifier of the app's namespace and a file name at once.
std::optional<std::string> bad_name(const std::string& name, const char* what) {
  static const std::regex shape("[a-z][a-z0-9_]{0,31}");
  static const std::set<std::string> reserved = {
      "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case", "catch", "char", "class", "concept",
      "const", "consteval", "constexpr", "continue", "default", "delete", "do", "double", "else", "enum",
      "explicit", "export", "extern", "false", "float", "for", "friend", "goto", "if", "inline", "int", "long",
      "main", "mutable", "namespace", "new", "noexcept", "not", "nullptr", "operator", "or", "private",
      "protected", "public", "register", "requires", "return", "short", "signed", "sizeof", "static", "struct",
      "switch", "template", "this", "throw", "true", "try", "typedef", "typename", "union", "unsigned", "using",
      "virtual", "void", "volatile", "while", "xor", "std", "cohort", "testing", "test", "boost"};
  if (!std::regex_match(name, shape))
    return std::string(what) + " '" + name + "' must be 1 to 32 lower-case letters, digits or '_', starting with a letter";
  if (reserved.contains(name)) return std::string(what) + " '" + name + "' is a C++ keyword or a name Cohort uses";
  return std::nullopt;
}

std::string replaced(std::string text, const Words& words) {
  for (const auto& [word, value] : words)
    for (auto at = text.find(word); at != std::string::npos; at = text.find(word, at + value.size()))
      text.replace(at, word.size(), value);
  return text;
}

// The files of scaffold/<part> as (path relative to it, with the words replaced, source file).
std::optional<std::vector<std::pair<fs::path, fs::path>>> files_of(const std::string& part, const Words& words,
                                                                   std::string& error) {
  std::string tried;
  auto root = net::find_runtime_dir("scaffold", tried);
  if (!root) return error = "no scaffold files: looked in " + tried + " (install Cohort with cmake --install)", std::nullopt;
  fs::path from = fs::path(*root) / part;
  std::vector<std::pair<fs::path, fs::path>> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(from, ec); !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    if (it->is_regular_file()) out.emplace_back(replaced(fs::relative(it->path(), from).string(), words), it->path());
  if (ec || out.empty()) return error = "cannot read the scaffold files in " + from.string(), std::nullopt;
  return out;
}

std::optional<std::string> write_all(const fs::path& dir, const std::vector<std::pair<fs::path, fs::path>>& files,
                                     const Words& words) {
  for (const auto& [to, from] : files) {
    std::ifstream in(from, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    fs::path target = dir / to;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    std::ofstream out(target, std::ios::binary);
    out << replaced(text.str(), words);
    if (ec || !in || !out.flush()) return "cannot write " + target.string();
    std::printf("  wrote %s\n", target.string().c_str());
  }
  return std::nullopt;
}

// Splits args into positional words and the value of --dir (nullopt: usage error).
std::optional<std::vector<std::string>> positional(const std::vector<std::string>& args, std::string& dir) {
  std::vector<std::string> words;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--dir" && i + 1 < args.size()) dir = args[++i];
    else if (args[i].starts_with("--dir=")) dir = args[i].substr(6);
    else if (args[i].starts_with("-")) return std::nullopt;
    else words.push_back(args[i]);
  }
  return words;
}

bool asks_help(const std::vector<std::string>& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}

// The project name of the CMakeLists.txt in dir: what `cohort new` wrote there.
std::optional<std::string> app_of(const fs::path& dir) {
  std::ifstream in(dir / "CMakeLists.txt");
  std::stringstream text;
  text << in.rdbuf();
  std::smatch m;
  static const std::regex project(R"(project\(([a-z][a-z0-9_]*))");
  std::string s = text.str();
  if (!std::regex_search(s, m, project)) return std::nullopt;
  return m[1].str();
}

}  // namespace

int new_app(const std::vector<std::string>& args, const std::string& version) {
  if (asks_help(args)) return std::printf("%s", kNewUsage), 0;
  std::string dir_arg;
  auto words = positional(args, dir_arg);
  if (!words || words->size() != 1) return fail(2, kNewUsage);
  const std::string& app = words->front();
  if (auto bad = bad_name(app, "the app name")) return fail(2, *bad);
  fs::path dir = dir_arg.empty() ? fs::path(app) : fs::path(dir_arg);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) return fail(2, dir.string() + " is not empty: choose another --dir");
  std::string upper = app;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Words scaffold_words{{"@app@", app}, {"@APP@", upper}, {"@cohort_version@", version}};
  std::string error;
  auto files = files_of("app", scaffold_words, error);
  if (!files) return fail(1, error);
  std::printf("cohort new %s: %zu files in %s\n", app.c_str(), files->size(), dir.string().c_str());
  if (auto e = write_all(dir, *files, scaffold_words)) return fail(1, *e);
  std::printf("\nNext (README.md says the same):\n  cd %s\n"
              "  cmake -S . -B build -G Ninja -DCMAKE_PREFIX_PATH=<where Cohort is installed>\n"
              "  cmake --build build && ctest --test-dir build --output-on-failure\n"
              "  build/bin/%s serve    # then open http://127.0.0.1:4000/\n",
              dir.string().c_str(), app.c_str());
  return 0;
}

int generate(const std::vector<std::string>& args, const std::string& version) {
  if (asks_help(args)) return std::printf("%s", kGenUsage), 0;
  std::string dir_arg;
  auto words = positional(args, dir_arg);
  if (!words || words->size() != 2 || (*words)[0] != "live") return fail(2, kGenUsage);
  const std::string& name = (*words)[1];
  if (auto bad = bad_name(name, "the view name")) return fail(2, *bad);
  fs::path dir = dir_arg.empty() ? fs::path(".") : fs::path(dir_arg);
  auto app = app_of(dir);
  if (!app) return fail(2, (dir / "CMakeLists.txt").string() + " names no project: run gen in an app that `cohort new` wrote");
  Words scaffold_words{{"@app@", *app}, {"@name@", name}, {"@cohort_version@", version}};
  std::string error;
  auto files = files_of("live", scaffold_words, error);
  if (!files) return fail(1, error);
  for (const auto& [to, from] : *files)
    if (fs::exists(dir / to)) return fail(2, (dir / to).string() + " exists: nothing was written");
  if (auto e = write_all(dir, *files, scaffold_words)) return fail(1, *e);
  std::printf("\nAdd the view to main.cpp:\n  #include \"%s_view.hpp\"\n"
              "  app.live(\"/%s\", \"%s\", [] { return %s::%s_view(); }, \"%s\");\n",
              name.c_str(), name.c_str(), name.c_str(), app->c_str(), name.c_str(), name.c_str());
  return 0;
}

}  // namespace cohort::commands
