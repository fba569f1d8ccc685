# Conformance tests: the official `phoenix` npm client (and raw WebSocket/TCP clients) against a
# running node. Each tests/conformance/*.test.mjs is one CTest test, `conformance_<name>`; each
# starts its own `cohort serve --port 0` from COHORT_BIN. Needs node and `npm ci` (scripts/setup)
# so that node_modules/ holds phoenix and ws; runs from the repo root so node finds them.
find_program(NODE node REQUIRED)

file(GLOB COHORT_CONFORMANCE_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/*.test.mjs)
foreach(test_file IN LISTS COHORT_CONFORMANCE_TESTS)
  get_filename_component(test_name ${test_file} NAME)
  string(REGEX REPLACE "\\.test\\.mjs$" "" test_name ${test_name})
  add_test(NAME conformance_${test_name}
           COMMAND ${NODE} --test ${test_file}
           WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(conformance_${test_name} PROPERTIES
    ENVIRONMENT "COHORT_BIN=$<TARGET_FILE:cohort>"
    TIMEOUT 120
    LABELS conformance)
endforeach()
