# The soak: a short chaos run (tests/soak/soak_run.mjs) on one node and on a two-node cluster,
# each under a minute of load, as `soak_run`. The long run is tools/bench/soak.mjs.
cohort_node_tests(${CMAKE_CURRENT_LIST_DIR} soak 240 soak)
