# The test harnesses of cohort/testing.hpp, used the way an app's tests use them: through
# Cohort::testing and the public headers alone (the templates of live_harness_test beside it).
cohort_unit_tests(LINKS Cohort::testing TESTS store_harness_test live_harness_test channel_harness_test async_harness_test)
target_compile_definitions(live_harness_test PRIVATE COHORT_TEST_TEMPLATES="${CMAKE_CURRENT_LIST_DIR}/templates")
target_compile_definitions(async_harness_test PRIVATE COHORT_TEST_TEMPLATES="${CMAKE_CURRENT_LIST_DIR}/templates")
