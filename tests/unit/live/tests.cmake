# The live layer: templates, rendering and diffs, routes, forms, sign-in, where assigns grow.
cohort_unit_tests(LINKS cohort_live TESTS template_test rendering_test router_test form_test signin_test async_pool_test upload_test
  assign_table_test)

# The diffs above, merged by the real phoenix_live_view client (needs node and `npm ci`).
add_executable(live_trace ${CMAKE_CURRENT_LIST_DIR}/live_trace.cpp)
target_include_directories(live_trace PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(live_trace PRIVATE cohort_live)
find_program(NODE node REQUIRED)
add_test(NAME live_client_merge
         COMMAND ${NODE} --test ${CMAKE_CURRENT_LIST_DIR}/live_client_merge.test.mjs
         WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
set_tests_properties(live_client_merge PROPERTIES
  ENVIRONMENT "LIVE_TRACE_BIN=$<TARGET_FILE:live_trace>" TIMEOUT 120)

# One mounted view (src/live/view_instance.*) on real reactors, pubsub, presence and SQLite-backed
# stores (reads can be switched to "unavailable"), with a fake lv:<id> channel
# (tests/support/live_view_fakes.hpp).
cohort_unit_tests(LINKS cohort_live TESTS view_instance_test)
# Several views of one page sharing the diff of a store change (src/live/shared_render.hpp), each
# view's diffs merged into a ClientTree (src/testing) as the browser client merges them.
cohort_unit_tests(LINKS cohort_live cohort_testing TESTS shared_render_test)

# Live::install()'s start-up checks, on a real Node (not started); a view's page on a started
# node: identity hooks and the page layout.
cohort_unit_tests(LINKS cohort_live TESTS live_install_test page_test)
target_compile_definitions(live_install_test PRIVATE COHORT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
target_compile_definitions(page_test PRIVATE COHORT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
