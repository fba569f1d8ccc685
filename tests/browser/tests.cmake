# Browser tests: live pages in headless Chromium (Debian's chromium, driven by playwright-core),
# several browser contexts at once against a running node. Each tests/browser/*.test.mjs is one
# CTest test, `browser_<name>`; each starts its own node from COHORT_BIN. Screenshots go to
# build/test-artifacts/.
find_program(NODE node REQUIRED)

file(GLOB COHORT_BROWSER_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.test.mjs)
foreach(test_file IN LISTS COHORT_BROWSER_TESTS)
  get_filename_component(test_name ${test_file} NAME)
  string(REGEX REPLACE "\\.test\\.mjs$" "" test_name ${test_name})
  add_test(NAME browser_${test_name}
           COMMAND ${NODE} --test ${test_file}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(browser_${test_name} PROPERTIES
    ENVIRONMENT "COHORT_BIN=$<TARGET_FILE:cohort>;COHORT_ARTIFACTS=${PROJECT_BINARY_DIR}/test-artifacts"
    TIMEOUT 180
    LABELS browser
    RESOURCE_LOCK chromium)
endforeach()
