#include <gtest/gtest.h>
TEST(Template, Placeholder) {}
