cohort_test(template_test unit/template_test.cpp)
cohort_test(rendering_test unit/rendering_test.cpp)

# The diffs above, merged by the real phoenix_live_view client (needs node and `npm ci`).
add_executable(live_trace unit/live_trace.cpp)
target_include_directories(live_trace PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(live_trace PRIVATE cohort_core)
find_program(NODE node REQUIRED)
add_test(NAME live_client_merge
         COMMAND ${NODE} --test ${CMAKE_CURRENT_LIST_DIR}/live_client_merge.test.mjs
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(live_client_merge PROPERTIES
  ENVIRONMENT "LIVE_TRACE_BIN=$<TARGET_FILE:live_trace>" TIMEOUT 120)

# Live::install()'s start-up checks, on a real Node (not started).
cohort_test(live_install_test unit/live_install_test.cpp)
target_compile_definitions(live_install_test PRIVATE COHORT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
