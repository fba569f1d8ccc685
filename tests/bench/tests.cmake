# cohort-bench (tools/bench) against a running node: bench_live runs each `live` mode with a few
# views and checks its counts. The bench's path is COHORT_BENCH. Registered only where the bench
# is built: the sanitizer build (scripts/build-asan) leaves it out, as it is a tool, not the node.
if(TARGET cohort-bench)
  cohort_node_tests(${CMAKE_CURRENT_LIST_DIR} bench 120 bench "COHORT_BENCH=$<TARGET_FILE:cohort-bench>")
endif()
