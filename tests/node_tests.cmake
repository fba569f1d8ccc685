# cohort_node_tests(DIR PREFIX TIMEOUT LABEL [ENV...]): every DIR/*.test.mjs is one CTest test,
# PREFIX_<name>, run with `node --test` from the repo root (so node finds node_modules) with
# COHORT_BIN pointing at the built server, plus the extra ENV entries (and, in a sanitizer
# build, where the node writes its reports: tests/sanitize.cmake). Returns the test names in
# COHORT_NODE_TESTS for further properties.
find_program(NODE node REQUIRED)

function(cohort_node_tests dir prefix timeout label)
  if(COHORT_SANITIZE)  # an ASan+UBSan node is about twice as slow
    math(EXPR timeout "${timeout} * 2")
  endif()
  file(GLOB files CONFIGURE_DEPENDS ${dir}/*.test.mjs)
  set(names)
  foreach(test_file IN LISTS files)
    get_filename_component(test_name ${test_file} NAME)
    string(REGEX REPLACE "\\.test\\.mjs$" "" test_name ${test_name})
    set(name ${prefix}_${test_name})
    set(env "COHORT_BIN=$<TARGET_FILE:cohort_demo>" ${ARGN} ${COHORT_SANITIZER_ENV})
    add_test(NAME ${name} COMMAND ${NODE} --test ${test_file} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(${name} PROPERTIES
      ENVIRONMENT "${env}"
      TIMEOUT ${timeout}
      LABELS ${label})
    if(COHORT_SANITIZE)  # tests/sanitize.cmake: the reports of its nodes are checked after it
      set_tests_properties(${name} PROPERTIES FIXTURES_REQUIRED sanitizer_logs)
    endif()
    list(APPEND names ${name})
  endforeach()
  set(COHORT_NODE_TESTS ${names} PARENT_SCOPE)
endfunction()
