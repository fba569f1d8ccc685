// visitors.cpp — the demo's made-up names and colours: see visitors.hpp.
#include "apps/visitors.hpp"

#include <array>
#include <atomic>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace cohort::apps {

// A friendly made-up name and a colour, so people can tell each other apart in presence lists
// and cursors before anyone signs in. The twelve colours are well apart in hue or lightness
// (CIEDE2000 >= 16 between any two) and readable on white (contrast >= 3.4); they are handed out
// in turn, so people who arrive around the same time get different ones until twelve have come,
// in an order where any three in a row are even further apart (CIEDE2000 >= 28).
void name_visitor(JsonObject& visitor) {
  // 32 × 32 names: a dozen people online at once share one about 6% of the time (16 × 16: 23%).
  static constexpr std::array<std::string_view, 32> kAdjectives = {
      "Amber", "Brisk", "Calm", "Dapper", "Eager", "Fabled", "Gentle", "Hardy",
      "Jolly", "Keen", "Lucky", "Mellow", "Nimble", "Plucky", "Quiet", "Witty",
      "Bold", "Cheery", "Clever", "Cosy", "Daring", "Fuzzy", "Golden", "Humble",
      "Lively", "Merry", "Noble", "Rustic", "Silver", "Sunny", "Swift", "Tidy"};
  static constexpr std::array<std::string_view, 32> kAnimals = {
      "Otter", "Heron", "Lynx", "Badger", "Falcon", "Marten", "Ibis", "Koala",
      "Puffin", "Raven", "Gecko", "Bison", "Crane", "Walrus", "Mole", "Tapir",
      "Beaver", "Dingo", "Egret", "Ferret", "Gannet", "Hare", "Jackal", "Kestrel",
      "Lemur", "Moose", "Newt", "Ocelot", "Panda", "Quokka", "Stoat", "Wombat"};
  static constexpr std::array<std::string_view, 12> kColors = {
      "#0b7e8c" /* teal */,  "#7b4ee0" /* violet */, "#a87900" /* amber */,   "#d7263d" /* red */,
      "#5c6370" /* slate */, "#1f9d55" /* green */,  "#e8590c" /* orange */,  "#1c7ed6" /* blue */,
      "#6b8e00" /* olive */, "#b5179e" /* magenta */, "#243b80" /* navy */,   "#8d5524" /* brown */};
  static std::atomic<std::uint32_t> next_color{std::random_device{}()};
  // A name, not a secret: a generator per thread, seeded once (a random_device per visitor was
  // 9% of the node's CPU while 10,000 visitors opened the counter).
  thread_local std::mt19937 pick{std::random_device{}()};
  std::uint32_t r = pick();
  std::string name = std::string(kAdjectives[r % 32]) + " " + std::string(kAnimals[(r >> 5) % 32]);
  std::string_view color = kColors[next_color.fetch_add(1, std::memory_order_relaxed) % kColors.size()];
  visitor["name"] = name;
  visitor["color"] = color;
}

}  // namespace cohort::apps
