# In a -DCOHORT_SANITIZE=ON build (cmake/sanitize.cmake): every node a test starts writes its
# ASan / UBSan / LeakSanitizer reports to ${COHORT_SANITIZER_LOGS}, and the test
# sanitizer_reports, which CTest runs after every node test it ran (fixture cleanup), fails when
# any report is there, printing them. So a finding fails the run even when the node's death
# went unnoticed by the test (a test that only kills the node at the end, a report at exit).
# cohort_node_tests() adds COHORT_SANITIZER_ENV and the fixture to each node test.
if(COHORT_SANITIZE)
  set(COHORT_SANITIZER_LOGS ${PROJECT_BINARY_DIR}/sanitizer-logs)
  set(COHORT_SANITIZER_ENV
      "ASAN_OPTIONS=log_path=${COHORT_SANITIZER_LOGS}/asan:detect_leaks=1:strict_string_checks=1:check_initialization_order=1"
      "UBSAN_OPTIONS=log_path=${COHORT_SANITIZER_LOGS}/ubsan:print_stacktrace=1:halt_on_error=1"
      "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/lsan.supp")
  add_test(NAME sanitizer_logs_clear
           COMMAND ${CMAKE_COMMAND} -DDIR=${COHORT_SANITIZER_LOGS} -DCLEAR=1 -P ${CMAKE_CURRENT_LIST_DIR}/check_sanitizer_logs.cmake)
  add_test(NAME sanitizer_reports
           COMMAND ${CMAKE_COMMAND} -DDIR=${COHORT_SANITIZER_LOGS} -P ${CMAKE_CURRENT_LIST_DIR}/check_sanitizer_logs.cmake)
  set_tests_properties(sanitizer_logs_clear PROPERTIES FIXTURES_SETUP sanitizer_logs)
  set_tests_properties(sanitizer_reports PROPERTIES FIXTURES_CLEANUP sanitizer_logs)
endif()
