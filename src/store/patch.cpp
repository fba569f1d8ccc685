// patch.cpp — RFC 6902 operations built for apps; the contract is in cohort/patch.hpp. Escaping
// is the store's own (store/json_patch.hpp), the same that parse_pointer undoes when the store
// applies what these build.
#include "cohort/patch.hpp"

#include "store/json_patch.hpp"

namespace cohort::patch {

std::string pointer_token(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  store::append_escaped(out, token);
  return out;
}

JsonObject remove(std::string path) { return JsonObject{{"op", "remove"}, {"path", std::move(path)}}; }

JsonObject move(std::string from, std::string path) {
  return JsonObject{{"op", "move"}, {"from", std::move(from)}, {"path", std::move(path)}};
}

JsonObject copy(std::string from, std::string path) {
  return JsonObject{{"op", "copy"}, {"from", std::move(from)}, {"path", std::move(path)}};
}

}  // namespace cohort::patch
