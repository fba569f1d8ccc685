# The test harnesses of cohort/testing.hpp, used the way an app's tests use them: through
# Cohort::testing and the public headers alone.
cohort_unit_tests(LINKS Cohort::testing TESTS store_harness_test)
