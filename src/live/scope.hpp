// scope.hpp — how a template path finds its value, and how a value prints and tests.
//
// Owns: mustache resolution (innermost section context first, then outward, finally the view's
// assigns; once the first name is found the rest of the path is looked up inside it), value to
// text (strings as-is, integers in decimal, doubles in shortest round-trip form, true/false,
// null/missing -> "", objects and arrays as JSON), and truthiness. Pure; no shared state.
#pragma once

#include "cohort/json.hpp"

#include <string>
#include <vector>

namespace cohort::live {

class Scope {
 public:
  explicit Scope(const JsonObject& assigns) : assigns_(&assigns) {}
  void push(const Json& context) { stack_.push_back(&context); }
  void pop() { stack_.pop_back(); }
  // nullptr when missing; path {} is the innermost context (nullptr at top level).
  const Json* lookup(const std::vector<std::string>& path) const;

 private:
  const JsonObject* assigns_;
  std::vector<const Json*> stack_;  // innermost last
};

std::string to_text(const Json* value);
bool truthy(const Json* value);

}  // namespace cohort::live
